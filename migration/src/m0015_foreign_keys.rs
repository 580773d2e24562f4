//! Foreign keys on the rows that belong to an event: `event_host` (its event and its group) and
//! `registration` (its event and its member) go with what they belong to (`ON DELETE CASCADE`),
//! and a row naming a missing event, group or member is refused. Rows that already name a
//! missing one are removed first (what the cascade would have done).
//!
//! PostgreSQL adds the constraints in place. SQLite cannot add a constraint to a table: each
//! table is rebuilt (its own `CREATE TABLE` text with the constraints appended, the rows
//! copied, the old table dropped, the new one renamed, its indexes made again). Nothing refers
//! to these two tables, so dropping the old one triggers no foreign-key action.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column, referenced table, constraint name)
const KEYS: [(&str, &str, &str, &str); 4] = [
    ("event_host", "event_id", "event", "fk_event_host_event"),
    ("event_host", "group_id", "groups", "fk_event_host_group"),
    ("registration", "event_id", "event", "fk_registration_event"),
    ("registration", "member_id", "member", "fk_registration_member"),
];

const TABLES: [&str; 2] = ["event_host", "registration"];

fn clause(column: &str, parent: &str, name: &str) -> String {
    format!(", CONSTRAINT \"{name}\" FOREIGN KEY (\"{column}\") REFERENCES \"{parent}\" (\"id\") ON DELETE CASCADE")
}

async fn run<C: ConnectionTrait>(db: &C, sql: String) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.map(|_| ())
}

/// Rebuilds a SQLite table with `edit` applied to its `CREATE TABLE` text, keeping its rows
/// and indexes.
async fn rebuild_sqlite<C: ConnectionTrait>(db: &C, table: &str, edit: impl Fn(&str) -> String) -> Result<(), DbErr> {
    let schema = |kind: &str| {
        Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT sql FROM sqlite_master WHERE type = '{kind}' AND tbl_name = '{table}' AND sql IS NOT NULL"),
        )
    };
    let create: String = db
        .query_one_raw(schema("table"))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("no table {table}")))?
        .try_get("", "sql")?;
    let indexes: Vec<String> =
        db.query_all_raw(schema("index")).await?.iter().map(|r| r.try_get("", "sql")).collect::<Result<_, _>>()?;
    let temp = format!("{table}_rebuilt");
    let head = create.find('(').ok_or_else(|| DbErr::Custom(format!("unexpected schema of {table}: {create}")))?;
    let new = edit(&format!("CREATE TABLE \"{temp}\" {}", &create[head..]));
    run(db, new).await?;
    run(db, format!("INSERT INTO \"{temp}\" SELECT * FROM \"{table}\"")).await?;
    run(db, format!("DROP TABLE \"{table}\"")).await?;
    run(db, format!("ALTER TABLE \"{temp}\" RENAME TO \"{table}\"")).await?;
    for sql in indexes {
        run(db, sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // The SQLite rebuild must not be seen half done.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column, parent, _) in KEYS {
            run(
                db,
                format!(
                    "DELETE FROM \"{table}\" WHERE NOT EXISTS \
                     (SELECT 1 FROM \"{parent}\" p WHERE p.\"id\" = \"{table}\".\"{column}\")"
                ),
            )
            .await?;
        }
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for table in TABLES {
                    rebuild_sqlite(db, table, |sql| {
                        let mut clauses = String::new();
                        for (_, column, parent, name) in KEYS.iter().filter(|k| k.0 == table) {
                            clauses.push_str(&clause(column, parent, name));
                        }
                        match sql.rfind(')') {
                            Some(end) => format!("{}{clauses}{}", &sql[..end], &sql[end..]),
                            None => sql.to_owned(),
                        }
                    })
                    .await?;
                }
                Ok(())
            }
            _ => {
                for (table, column, parent, name) in KEYS {
                    manager
                        .create_foreign_key(
                            ForeignKey::create()
                                .name(name)
                                .from(Alias::new(table), Alias::new(column))
                                .to(Alias::new(parent), Alias::new("id"))
                                .on_delete(ForeignKeyAction::Cascade)
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
                for table in TABLES {
                    rebuild_sqlite(db, table, |sql| {
                        let mut out = sql.to_owned();
                        for (_, column, parent, name) in KEYS.iter().filter(|k| k.0 == table) {
                            out = out.replace(&clause(column, parent, name), "");
                        }
                        out
                    })
                    .await?;
                }
                Ok(())
            }
            _ => {
                for (table, _, _, name) in KEYS {
                    manager.drop_foreign_key(ForeignKey::drop().name(name).table(Alias::new(table)).to_owned()).await?;
                }
                Ok(())
            }
        }
    }
}
