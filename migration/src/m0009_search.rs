//! Full-text search over members, groups, events, resources, threads and posts. One entry per
//! searchable row in `search_entry`; each engine indexes it its own way:
//! - SQLite: an FTS5 table with `search_entry` as its external content, kept in step by
//!   triggers (so writers touch `search_entry` only);
//! - PostgreSQL: a stored, generated `tsvector` (title weighted above body) under a GIN index.
//!
//! Existing members, groups and events are indexed here; new writes are the domain's.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE search_entry (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        ref_id uuid_text NOT NULL UNIQUE,
        owner_id uuid_text NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_entry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
     END",
    "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
     END",
    "CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
     END",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE search_entry (
        id BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL,
        ref_id uuid NOT NULL UNIQUE,
        owner_id uuid NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')) STORED)",
    "CREATE INDEX ix_search_entry_document ON search_entry USING GIN (document)",
];

/// Backfill, the same SQL on both engines.
const BACKFILL: &[&str] = &[
    "INSERT INTO search_entry (kind, ref_id, owner_id, title, body)
        SELECT 'member', id, id, COALESCE(display_name, '') || ' ' || handle,
               COALESCE(organization, '') || ' ' || COALESCE(bio, '') || ' ' || COALESCE(country, '')
        FROM member",
    "INSERT INTO search_entry (kind, ref_id, owner_id, title, body)
        SELECT 'group', id, id, name || ' ' || handle, COALESCE(summary, '') FROM groups",
    "INSERT INTO search_entry (kind, ref_id, owner_id, title, body)
        SELECT 'event', id, id, title, COALESCE(summary, '') || ' ' || COALESCE(description, '') FROM event",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let create = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for sql in create.iter().chain(BACKFILL) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
