//! A change counter per table (see [`crate::data_version`]): the response cache keeps an
//! answer while the tables it was read from are unchanged, so a reply in a thread no longer
//! retires the kept events pages.
use sea_orm_migration::prelude::*;

use crate::data_version;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // No counter is ever seen without its triggers.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        data_version::create(db).await?;
        for (table, is_virtual) in data_version::tables(db).await? {
            if !is_virtual {
                data_version::track(db, &table).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let tracked = data_version::tracked(db).await?;
        let backend = manager.get_database_backend();
        for table in &tracked {
            let drops = match backend {
                sea_orm_migration::sea_orm::DbBackend::Postgres => {
                    vec![format!("DROP TRIGGER IF EXISTS data_version_{table} ON \"{table}\"")]
                }
                _ => {
                    ["i", "u", "d"].iter().map(|s| format!("DROP TRIGGER IF EXISTS data_version_{table}_{s}")).collect()
                }
            };
            for sql in drops {
                db.execute_unprepared(&sql).await?;
            }
        }
        db.execute_unprepared("DROP TABLE data_version").await?;
        if backend == sea_orm_migration::sea_orm::DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION weave_data_changed()").await?;
        }
        Ok(())
    }
}
