//! Received activities are claimed before they are handled and marked handled after: a crash
//! in between leaves a stale claim that a retry may take over, instead of a lost activity.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InboundActivity {
    Table,
    HandledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InboundActivity::Table)
                    .add_column(timestamp_with_time_zone_null(InboundActivity::HandledAt))
                    .to_owned(),
            )
            .await
    }
}
