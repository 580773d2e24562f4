//! A token for "the committed data as it is now": two reads that get the same token saw the same
//! data. The GraphQL response cache (`graphql::cache`) keeps an answer only while the token it
//! was computed under is still current, so a cached answer is never older than the data.
//!
//! - SQLite: `PRAGMA data_version` on a connection of its own that never writes. It changes
//!   whenever another connection (any writer in this process or another) commits. It counts
//!   for one connection only (a new one starts again from the same number), so the probe's
//!   connection is kept open for good, and the token also names which connection read it: a
//!   read during which the probe reconnected gives no token.
//! - PostgreSQL: `pg_current_snapshot()`. Two statements whose snapshots are equal (same xmin,
//!   xmax and in-progress list) see exactly the same rows, on every replica sharing the
//!   database. Any transaction that writes changes it, on any database of the cluster: a
//!   busy cluster gets fewer cache hits, never a stale one.
//!
//! The probe has its own connection so that it never waits behind request queries and is not
//! counted in [`super::StatementCounter`]. Concurrent askers share reads: one read runs at a
//! time, and whoever waited for it uses the next read that began after they arrived (its
//! version is current for them), so under load one read serves many requests. The reads run
//! in the askers' own tasks: nothing depends on a background task being scheduled.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};
use tokio::sync::Mutex;

pub struct DataVersion {
    probe: DatabaseConnection,
    backend: DbBackend,
    /// SQLite: connections the probe has opened (its `data_version` counts per connection).
    connections: Arc<AtomicU64>,
    /// Reads begun so far; a read's number is taken when it begins.
    begun: AtomicU64,
    /// The last finished read: its number and what it read.
    last: Mutex<(u64, Option<String>)>,
}

impl DataVersion {
    /// Opens the probe, or `None` where no token can be had (an in-memory SQLite database is
    /// private to one connection, so a second connection would watch another database).
    pub async fn open(url: &str) -> Result<Option<DataVersion>, DbErr> {
        let backend = if url.starts_with("sqlite:") {
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Ok(None);
            }
            DbBackend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            DbBackend::Postgres
        } else {
            return Ok(None);
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        // One connection: SQLite's `data_version` compares commits against that connection,
        // and one read at a time serves every asker anyway.
        opts.sqlx_logging(false)
            .max_connections(1)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        let connections = Arc::new(AtomicU64::new(0));
        let opened = connections.clone();
        opts.map_sqlx_sqlite_pool_opts(move |pool| {
            let opened = opened.clone();
            pool.idle_timeout(None).max_lifetime(None).after_connect(move |_, _| {
                opened.fetch_add(1, Ordering::SeqCst);
                Box::pin(async { Ok(()) })
            })
        });
        let probe = Database::connect(opts).await?;
        Ok(Some(DataVersion { probe, backend, connections, begun: AtomicU64::new(0), last: Mutex::new((0, None)) }))
    }

    /// The current token, read after this call began; `None` when it cannot be read (callers
    /// then treat the data as unknown).
    pub async fn current(&self) -> Option<String> {
        let arrived = self.begun.load(Ordering::SeqCst);
        let mut last = self.last.lock().await;
        if last.0 > arrived {
            // Begun after this call arrived, finished while it waited for the lock.
            return last.1.clone();
        }
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let version = match self.backend {
            DbBackend::Sqlite => {
                // Which connection read it: the same before and after, or no token.
                let before = self.connections.load(Ordering::SeqCst);
                let read = read(&self.probe, self.backend).await;
                let after = self.connections.load(Ordering::SeqCst);
                read.filter(|_| before == after).map(|v| format!("{after}:{v}"))
            }
            _ => read(&self.probe, self.backend).await,
        };
        *last = (number, version.clone());
        version
    }
}

async fn read(probe: &DatabaseConnection, backend: DbBackend) -> Option<String> {
    let sql = match backend {
        DbBackend::Sqlite => "PRAGMA data_version",
        _ => "SELECT pg_current_snapshot()::text",
    };
    let row = probe.query_one_raw(Statement::from_string(backend, sql)).await.ok()??;
    match backend {
        DbBackend::Sqlite => row.try_get_by_index::<i64>(0).ok().map(|v| v.to_string()),
        _ => row.try_get_by_index::<String>(0).ok(),
    }
}
