//! A change counter per table, moved by the database itself in the transaction that writes.
//!
//! `data_version` has one row and, for every table Weave keeps, a column of the same name that
//! counts the changes to that table (on SQLite each row written, on PostgreSQL each transaction
//! that wrote it). Triggers move it, so no writer can forget
//! to, whichever code path, process or replica it is:
//! - SQLite: a trigger per table and kind of change adds one in the writing statement (one
//!   writer at a time is SQLite's model, so nothing waits on it).
//! - PostgreSQL: a deferred constraint trigger per table adds one once per transaction, when it
//!   commits (`weave_data_changed`). All counters share one row, and a transaction takes that
//!   row's lock only as it commits, after every other lock it holds, so writers can never
//!   deadlock on it; but they do commit one at a time (each holds it until its commit is
//!   flushed), which caps a PostgreSQL server's write rate at one commit per flush. A row per
//!   table, locked in a fixed order, would lift that; it is not done yet.
//!
//! Readers (the server's response cache) read the row before and after a computation, and the
//! counters of the tables it read tell whether what it read is still current.
//!
//! A migration that creates a table calls [`track`] for it (last: it locks the counters), and
//! one that makes a table again calls [`add_triggers`]. [`untracked`] names every table that is
//! neither tracked (its counter and triggers in place) nor read through one that is (the server keeps no answers while it
//! names any, and a test checks it names none).
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The counters' table.
pub const TABLE: &str = "data_version";

/// Tables read through another's counter: SQLite's full-text index is written only by the
/// triggers of the table it indexes.
pub const READ_AS: &[(&str, &str)] = &[("search_fts", "search_entry")];

/// Tables that hold no data a reader could be answered from.
const NOT_DATA: &[&str] = &["seaql_migrations", TABLE];

/// The counters' table and its function (PostgreSQL), with no table tracked yet.
pub async fn create<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let statements: &[&str] = match db.get_database_backend() {
        DbBackend::Postgres => &[
            "CREATE TABLE data_version (id SMALLINT PRIMARY KEY CHECK (id = 1))",
            "INSERT INTO data_version (id) VALUES (1)",
            // Once per table and transaction (a flag local to the transaction), at commit.
            "CREATE FUNCTION weave_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
             DECLARE flag text := 'weave.changed_' || TG_TABLE_NAME;
             BEGIN
               IF current_setting(flag, true) IS DISTINCT FROM '1' THEN
                 PERFORM set_config(flag, '1', true);
                 EXECUTE format('UPDATE %I.data_version SET %I = %I + 1', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_TABLE_NAME);
               END IF;
               RETURN NULL;
             END $$",
        ],
        _ => &[
            "CREATE TABLE data_version (id INTEGER PRIMARY KEY CHECK (id = 1))",
            "INSERT INTO data_version (id) VALUES (1)",
        ],
    };
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Gives `table` its counter and the triggers that move it. Call it last in a migration that
/// creates a table (it locks the counters' table).
pub async fn track<C: ConnectionTrait>(db: &C, table: &str) -> Result<(), DbErr> {
    let kind = match db.get_database_backend() {
        DbBackend::Postgres => "BIGINT",
        _ => "INTEGER",
    };
    db.execute_unprepared(&format!(
        "ALTER TABLE data_version ADD COLUMN \"{}\" {kind} NOT NULL DEFAULT 0",
        name(table)?
    ))
    .await?;
    add_triggers(db, table).await
}

/// The triggers that move `table`'s counter. [`track`] makes them; a migration that makes a
/// tracked table again (a copy, the old one dropped, the copy renamed) makes them again with
/// this, since dropping a table drops its triggers.
pub async fn add_triggers<C: ConnectionTrait>(db: &C, table: &str) -> Result<(), DbErr> {
    let table = name(table)?;
    let statements: Vec<String> = match db.get_database_backend() {
        DbBackend::Postgres => vec![format!(
            "CREATE CONSTRAINT TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE ON \"{table}\" \
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION weave_data_changed()"
        )],
        _ => CHANGES
            .iter()
            .map(|(suffix, change)| {
                format!(
                    "CREATE TRIGGER data_version_{table}_{suffix} AFTER {change} ON \"{table}\" \
                     BEGIN UPDATE data_version SET \"{table}\" = \"{table}\" + 1; END"
                )
            })
            .collect(),
    };
    for sql in statements {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// SQLite's triggers per table: their names' suffixes and the changes they follow.
const CHANGES: [(&str, &str); 3] = [("i", "INSERT"), ("u", "UPDATE"), ("d", "DELETE")];

/// `table`, if it is a name the statements here may quote as it is.
fn name(table: &str) -> Result<&str, DbErr> {
    if table.is_empty() || !table.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(DbErr::Custom(format!("not a table name: {table:?}")));
    }
    Ok(table)
}

/// Every table of the database that holds data (not the counters, the migrations' record, or
/// SQLite's own and its full-text index's inner tables), and which of them are virtual.
pub async fn tables<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, bool)>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            // Only Weave's own: another extension's tables in the same schema (PostGIS's
            // `spatial_ref_sys`) are not its to follow.
            "SELECT c.relname::text, false FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
             AND pg_get_userbyid(c.relowner) = current_user ORDER BY 1"
        }
        _ => {
            "SELECT name, sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master \
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    let mut all = Vec::with_capacity(rows.len());
    for row in rows {
        all.push((row.try_get_by_index::<String>(0)?, row.try_get_by_index::<bool>(1)?));
    }
    // A virtual table's inner tables are named after it.
    let virtual_names: Vec<String> = all.iter().filter(|(_, v)| *v).map(|(n, _)| format!("{n}_")).collect();
    all.retain(|(name, _)| {
        !NOT_DATA.contains(&name.as_str()) && !virtual_names.iter().any(|prefix| name.starts_with(prefix.as_str()))
    });
    Ok(all)
}

/// The tracked tables: the counters' columns, in their order.
pub async fn tracked<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'data_version' AND column_name <> 'id' \
             ORDER BY ordinal_position"
        }
        _ => "SELECT name FROM pragma_table_info('data_version') WHERE name <> 'id' ORDER BY cid",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter().map(|row| row.try_get_by_index::<String>(0)).collect()
}

/// The names of the triggers that move the counters, with their tables.
async fn triggers<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, String)>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT t.tgname::text, c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND t.tgname LIKE 'data\\_version\\_%'"
        }
        _ => "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'data_version_%'",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter().map(|row| Ok((row.try_get_by_index::<String>(0)?, row.try_get_by_index::<String>(1)?))).collect()
}

/// The tables that hold data but whose changes no counter follows: without a counter, or
/// without the triggers that move it (dropped with the table, when a migration made it again).
pub async fn untracked<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let tracked = tracked(db).await?;
    let triggers = triggers(db).await?;
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let moved = |table: &str| {
        let on = |trigger: String| triggers.iter().any(|(t, of)| *t == trigger && of == table);
        tracked.iter().any(|t| t == table)
            && if postgres {
                on(format!("data_version_{table}"))
            } else {
                CHANGES.iter().all(|(suffix, _)| on(format!("data_version_{table}_{suffix}")))
            }
    };
    let follows = |name: &str| moved(name) || READ_AS.iter().any(|(table, through)| *table == name && moved(through));
    Ok(tables(db).await?.into_iter().map(|(name, _)| name).filter(|name| !follows(name)).collect())
}
