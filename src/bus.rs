//! The change bus behind GraphQL subscriptions. Domain writes announce what changed after they
//! commit; subscribers (each a WebSocket subscription) filter what concerns them and reload it.
//!
//! Within one process a tokio broadcast channel carries changes. On PostgreSQL every change
//! goes through `NOTIFY weave_changes` instead, and each replica's listener feeds its own
//! channel from `LISTEN`, so subscribers behind a load balancer all hear every change.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

const CHANNEL: &str = "weave_changes";
/// Subscribers that fall this far behind miss changes (and reload on the next one).
const CAPACITY: usize = 1024;

/// Something subscribers may want to hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Change {
    /// An event's details, status or seats changed.
    Event { id: Uuid },
    /// A post was added to a thread (written here or received by federation).
    Post { thread: Uuid, post: Uuid },
    /// A member has a new notification.
    Notified { member: Uuid },
    /// A library entry or a reflection was added to a group (home feeds hear of it).
    Shared { group: Uuid },
}

pub struct Bus {
    tx: broadcast::Sender<Change>,
    postgres: bool,
}

impl Bus {
    pub fn new(db: &DatabaseConnection) -> Bus {
        let (tx, _) = broadcast::channel(CAPACITY);
        Bus { tx, postgres: db.get_database_backend() == DbBackend::Postgres }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }

    /// Announces a committed change. A failure to announce is logged, never an error of the
    /// write that made the change.
    pub async fn publish(&self, db: &DatabaseConnection, change: Change) {
        if !self.postgres {
            // No subscriber is no error.
            let _ = self.tx.send(change);
            return;
        }
        let Ok(payload) = serde_json::to_string(&change) else { return };
        let notify = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        if let Err(e) = db.execute_raw(notify).await {
            tracing::warn!(error = %e, "announcing a change");
        }
    }

    /// On PostgreSQL: listens for every replica's changes (this one's included) and feeds them
    /// to local subscribers, reconnecting after failures.
    pub fn spawn_listener(&self, db: &DatabaseConnection) {
        if !self.postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&pool, &tx).await {
                    if pool.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "change listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
    }
}

/// Forwards notifications (reconnecting transparently) until an error, such as the pool
/// closing when the server stops.
async fn listen(pool: &sea_orm::sqlx::PgPool, tx: &broadcast::Sender<Change>) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    loop {
        let n = listener.recv().await?;
        match serde_json::from_str::<Change>(n.payload()) {
            Ok(change) => {
                let _ = tx.send(change);
            }
            Err(e) => tracing::warn!(error = %e, "an unreadable change notification"),
        }
    }
}
