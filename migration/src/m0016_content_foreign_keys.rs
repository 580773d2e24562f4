//! Foreign keys on what a group holds: events, library entries (`resource`), threads and posts.
//!
//! A row goes with what it belongs to (`ON DELETE CASCADE`: an event, entry or thread with its
//! group, a post with its thread); an optional reference is cleared when its row goes (`ON
//! DELETE SET NULL`: an organizer or author who is deleted, as `actors::forget_remote` deletes
//! remote members, leaves their events, entries, threads and posts authored by nobody; an entry
//! or thread about an event, thread or entry outlives it; a reply outlives a removed parent).
//! References that already name a missing row are settled first the same way: the belonging
//! rows are removed (posts last, after the threads they may have lost), the optional ones
//! cleared.
//!
//! PostgreSQL adds the constraints in place. On SQLite, m0015 rebuilt its tables (copy, drop,
//! rename), which is only safe for tables nothing refers to; these four are referred to
//! (`event_host`, `registration` and `event_tag` cascade from `event`; `post` from itself), and
//! dropping the old table with foreign keys on would run those cascades and empty them. The
//! constraints do not change how rows are stored, so this migration rewrites the tables'
//! `CREATE TABLE` text in the schema instead, as SQLite's documentation describes for schema
//! changes that leave the stored rows as they are (writable schema, schema version bumped, in
//! the migration's transaction), and then asks `PRAGMA foreign_key_check` that no row breaks
//! a new constraint.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What happens to a row when the row it names is deleted.
#[derive(Clone, Copy)]
enum OnDelete {
    Cascade,
    SetNull,
}

/// (table, column, referenced table, on delete, constraint name); the cascades in the order
/// their dangling rows are removed (posts after the threads that may go).
const KEYS: [(&str, &str, &str, OnDelete, &str); 13] = [
    ("event", "group_id", "groups", OnDelete::Cascade, "fk_event_group"),
    ("event", "organizer_id", "member", OnDelete::SetNull, "fk_event_organizer"),
    ("resource", "group_id", "groups", OnDelete::Cascade, "fk_resource_group"),
    ("resource", "author_id", "member", OnDelete::SetNull, "fk_resource_author"),
    ("resource", "event_id", "event", OnDelete::SetNull, "fk_resource_event"),
    ("resource", "thread_id", "thread", OnDelete::SetNull, "fk_resource_thread"),
    ("thread", "group_id", "groups", OnDelete::Cascade, "fk_thread_group"),
    ("thread", "author_id", "member", OnDelete::SetNull, "fk_thread_author"),
    ("thread", "event_id", "event", OnDelete::SetNull, "fk_thread_event"),
    ("thread", "resource_id", "resource", OnDelete::SetNull, "fk_thread_resource"),
    ("post", "thread_id", "thread", OnDelete::Cascade, "fk_post_thread"),
    ("post", "author_id", "member", OnDelete::SetNull, "fk_post_author"),
    ("post", "parent_id", "post", OnDelete::SetNull, "fk_post_parent"),
];

const TABLES: [&str; 4] = ["event", "resource", "thread", "post"];

fn clause(column: &str, parent: &str, on_delete: OnDelete, name: &str) -> String {
    let action = match on_delete {
        OnDelete::Cascade => "CASCADE",
        OnDelete::SetNull => "SET NULL",
    };
    format!(", CONSTRAINT \"{name}\" FOREIGN KEY (\"{column}\") REFERENCES \"{parent}\" (\"id\") ON DELETE {action}")
}

async fn run<C: ConnectionTrait>(db: &C, sql: String) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.map(|_| ())
}

/// Removes the rows that belong to a missing row, then (none being removed any more) clears the
/// optional references to one.
async fn settle_dangling<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let cascades = KEYS.iter().filter(|k| matches!(k.3, OnDelete::Cascade));
    let set_nulls = KEYS.iter().filter(|k| matches!(k.3, OnDelete::SetNull));
    for &(table, column, parent, on_delete, _) in cascades.chain(set_nulls) {
        let missing = format!(
            "\"{table}\".\"{column}\" IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM \"{parent}\" p WHERE p.\"id\" = \"{table}\".\"{column}\")"
        );
        let sql = match on_delete {
            OnDelete::Cascade => format!("DELETE FROM \"{table}\" WHERE {missing}"),
            OnDelete::SetNull => format!("UPDATE \"{table}\" SET \"{column}\" = NULL WHERE {missing}"),
        };
        run(db, sql).await?;
    }
    Ok(())
}

/// Rewrites the `CREATE TABLE` text of each of [`TABLES`] with `edit`, in the schema itself
/// (the rows stay as they are), then checks every row against the foreign keys.
async fn rewrite_sqlite_schema<C: ConnectionTrait>(db: &C, edit: impl Fn(&str, &str) -> String) -> Result<(), DbErr> {
    let one = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_owned());
    let version: i64 = db
        .query_one_raw(one("PRAGMA schema_version"))
        .await?
        .ok_or_else(|| DbErr::Custom("no schema version".into()))?
        .try_get_by_index(0)?;
    run(db, "PRAGMA writable_schema = ON".into()).await?;
    for table in TABLES {
        let create: String = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                [table.into()],
            ))
            .await?
            .ok_or_else(|| DbErr::Custom(format!("no table {table}")))?
            .try_get("", "sql")?;
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            [edit(table, &create).into(), table.into()],
        ))
        .await?;
    }
    run(db, format!("PRAGMA schema_version = {}", version + 1)).await?;
    run(db, "PRAGMA writable_schema = OFF".into()).await?;
    for table in TABLES {
        let broken = db.query_all_raw(one(&format!("PRAGMA foreign_key_check(\"{table}\")"))).await?;
        if !broken.is_empty() {
            return Err(DbErr::Custom(format!("{} rows of {table} name a missing row", broken.len())));
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // The schema rewrite must not be seen half done.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        settle_dangling(db).await?;
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                rewrite_sqlite_schema(db, |table, sql| {
                    let mut clauses = String::new();
                    for (_, column, parent, on_delete, name) in KEYS.into_iter().filter(|k| k.0 == table) {
                        clauses.push_str(&clause(column, parent, on_delete, name));
                    }
                    match sql.rfind(')') {
                        Some(end) => format!("{}{clauses}{}", &sql[..end], &sql[end..]),
                        None => sql.to_owned(),
                    }
                })
                .await
            }
            _ => {
                for (table, column, parent, on_delete, name) in KEYS {
                    manager
                        .create_foreign_key(
                            ForeignKey::create()
                                .name(name)
                                .from(Alias::new(table), Alias::new(column))
                                .to(Alias::new(parent), Alias::new("id"))
                                .on_delete(match on_delete {
                                    OnDelete::Cascade => ForeignKeyAction::Cascade,
                                    OnDelete::SetNull => ForeignKeyAction::SetNull,
                                })
                                .to_owned(),
                        )
                        .await?;
                }
                Ok(())
            }
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                rewrite_sqlite_schema(db, |table, sql| {
                    let mut out = sql.to_owned();
                    for (_, column, parent, on_delete, name) in KEYS.into_iter().filter(|k| k.0 == table) {
                        out = out.replace(&clause(column, parent, on_delete, name), "");
                    }
                    out
                })
                .await
            }
            _ => {
                for (table, _, _, _, name) in KEYS {
                    manager.drop_foreign_key(ForeignKey::drop().name(name).table(Alias::new(table)).to_owned()).await?;
                }
                Ok(())
            }
        }
    }
}
