//! Search by kind inside the index (SQLite): the FTS5 table gains the entry's `kind` as a
//! column, so that a search of one kind matches only that kind's entries in the index itself
//! (`kind : member AND …`) instead of joining every match of every kind back to `search_entry`
//! to filter it, and keeps prefix indexes of 2, 3 and 4 characters (every query word is a
//! prefix). The table is made again and rebuilt from `search_entry`.
//!
//! PostgreSQL: the GIN index is split in two partial ones, threads with their posts (most
//! entries) and every other kind, so that a search of members does not visit the rows of every
//! post that matches.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The statements that make `search_fts` again over `columns` of `search_entry` (with its
/// triggers) and fill it.
fn remake(columns: &[&str], options: &str) -> Vec<String> {
    let cols = columns.join(", ");
    let new: Vec<String> = columns.iter().map(|c| format!("new.{c}")).collect();
    let old: Vec<String> = columns.iter().map(|c| format!("old.{c}")).collect();
    let (new, old) = (new.join(", "), old.join(", "));
    let insert = format!("INSERT INTO search_fts(rowid, {cols}) VALUES (new.id, {new});");
    let delete = format!("INSERT INTO search_fts(search_fts, rowid, {cols}) VALUES ('delete', old.id, {old});");
    vec![
        "DROP TRIGGER IF EXISTS search_entry_ai".into(),
        "DROP TRIGGER IF EXISTS search_entry_ad".into(),
        "DROP TRIGGER IF EXISTS search_entry_au".into(),
        "DROP TABLE IF EXISTS search_fts".into(),
        format!(
            "CREATE VIRTUAL TABLE search_fts USING fts5({cols}, content='search_entry', content_rowid='id', \
             tokenize='unicode61 remove_diacritics 2'{options})"
        ),
        format!("CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN {insert} END"),
        format!("CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN {delete} END"),
        format!("CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN {delete} {insert} END"),
        "INSERT INTO search_fts(search_fts) VALUES ('rebuild')".into(),
    ]
}

const POSTGRES_UP: &[&str] = &[
    "CREATE INDEX ix_search_entry_threads ON search_entry USING GIN (document) WHERE kind IN ('thread', 'post')",
    "CREATE INDEX ix_search_entry_others ON search_entry USING GIN (document) WHERE kind NOT IN ('thread', 'post')",
    "DROP INDEX ix_search_entry_document",
];
const POSTGRES_DOWN: &[&str] = &[
    "CREATE INDEX ix_search_entry_document ON search_entry USING GIN (document)",
    "DROP INDEX ix_search_entry_threads",
    "DROP INDEX ix_search_entry_others",
];

async fn run(manager: &SchemaManager<'_>, sqlite: Vec<String>, postgres: &[&str]) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DbBackend::Postgres => postgres.iter().map(|s| String::from(*s)).collect::<Vec<String>>(),
        _ => sqlite,
    };
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // One connection, and the index is never seen half made.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, remake(&["kind", "title", "body"], ", prefix='2 3 4'"), POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Back to m0009's table: title and body only.
        run(manager, remake(&["title", "body"], ""), POSTGRES_DOWN).await
    }
}
