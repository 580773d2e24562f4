//! A change counter per table, moved by the database itself in the transaction that writes.
//!
//! `data_version` has one row and, for every table Weave keeps, a column of the same name that
//! counts the transactions that changed that table. Triggers move it, so no writer can forget
//! to, whichever code path, process or replica it is:
//! - SQLite: a trigger per table and kind of change adds one in the writing statement (one
//!   writer at a time is SQLite's model, so nothing waits on it).
//! - PostgreSQL: a deferred constraint trigger per table adds one once per transaction, when it
//!   commits (`weave_data_changed`). All counters share one row, and a transaction takes that
//!   row's lock only while it commits, after every other lock it holds: writers queue there
//!   for an instant, and can never deadlock on it.
//!
//! Readers (the server's response cache) read the row before and after a computation, and the
//! counters of the tables it read tell whether what it read is still current.
//!
//! A migration that creates a table calls [`track`] for it. [`untracked`] names every table
//! that is neither tracked nor read through one that is (the server keeps no answers while it
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
                 EXECUTE format('UPDATE data_version SET %I = %I + 1', TG_TABLE_NAME, TG_TABLE_NAME);
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

/// Gives `table` its counter and the triggers that move it.
pub async fn track<C: ConnectionTrait>(db: &C, table: &str) -> Result<(), DbErr> {
    if table.is_empty() || !table.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(DbErr::Custom(format!("not a table name: {table:?}")));
    }
    let statements: Vec<String> = match db.get_database_backend() {
        DbBackend::Postgres => vec![
            format!("ALTER TABLE data_version ADD COLUMN \"{table}\" BIGINT NOT NULL DEFAULT 0"),
            format!(
                "CREATE CONSTRAINT TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE ON \"{table}\" \
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION weave_data_changed()"
            ),
        ],
        _ => {
            let mut s = vec![format!("ALTER TABLE data_version ADD COLUMN \"{table}\" INTEGER NOT NULL DEFAULT 0")];
            for (suffix, change) in [("i", "INSERT"), ("u", "UPDATE"), ("d", "DELETE")] {
                s.push(format!(
                    "CREATE TRIGGER data_version_{table}_{suffix} AFTER {change} ON \"{table}\" \
                     BEGIN UPDATE data_version SET \"{table}\" = \"{table}\" + 1; END"
                ));
            }
            s
        }
    };
    for sql in statements {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Every table of the database that holds data (not the counters, the migrations' record, or
/// SQLite's own and its full-text index's inner tables), and which of them are virtual.
pub async fn tables<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, bool)>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name::text, false FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
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

/// The tables that hold data but whose changes no counter follows.
pub async fn untracked<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let tracked = tracked(db).await?;
    let follows = |name: &str| {
        tracked.iter().any(|t| t == name)
            || READ_AS.iter().any(|(table, through)| *table == name && tracked.iter().any(|t| t == through))
    };
    Ok(tables(db).await?.into_iter().map(|(name, _)| name).filter(|name| !follows(name)).collect())
}
