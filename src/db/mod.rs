//! sea-orm entities (one module per table) and connection set-up.
pub mod group;
pub mod group_invitation;
pub mod harvest;
pub mod harvest_action;
pub mod harvest_item;
pub mod instance_profile;
pub mod invite;
pub mod learning_question;
pub mod login_failure;
pub mod mail;
pub mod media;
pub mod member;
pub mod membership;
pub mod notification;
pub mod reflection;
pub mod reflection_question;
pub mod reflection_value;
pub mod refresh_token;
pub mod registration;
pub mod report_link;
pub mod resonance;
mod sqlite;
pub mod version;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// How many statements a connection has run: benchmarks and tests read it to check that a
/// request's statement count does not grow with its page size.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Connects, applies pending migrations, and counts the statements run from then on (and
/// notes the tables they name for a [`version::recording`] in progress).
pub async fn connect_counted(url: &str, pool: Option<u32>) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    let mut db = connect(url, pool).await?;
    let counter = StatementCounter::default();
    let inner = counter.0.clone();
    db.set_metric_callback(move |info| {
        inner.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        version::saw(&info.statement.sql);
    });
    Ok((db, counter))
}

/// Connects (keeping `pool` connections open, or the engine's default) and applies pending
/// migrations.
pub async fn connect(url: &str, pool: Option<u32>) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // One writer at a time is SQLite's model; WAL lets readers proceed meanwhile.
        opts.max_connections(pool.unwrap_or(8)).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
        opts.map_sqlx_sqlite_pool_opts(sqlite::stable_plans);
    } else {
        opts.max_connections(pool.unwrap_or(32));
    }
    let db = Database::connect(opts).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`) so that read-then-write transactions wait for each other instead of
/// failing with SQLITE_BUSY when they upgrade.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        })
        .await
    } else {
        db.begin().await
    }
}
pub mod actor;
pub mod delivery;
pub mod domain_block;
pub mod enums;
pub mod event;
pub mod event_host;
pub mod event_tag;
pub mod follow;
pub mod inbound_activity;
pub mod moderation_log;
pub mod outbound_activity;
pub mod password_reset;
pub mod post;
pub mod remote_instance;
pub mod report;
pub mod resource;
pub mod resource_tag;
pub mod thread;
