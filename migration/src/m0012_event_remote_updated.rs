//! A remote event keeps the time its server last changed it (`updated`), so that an `Update`
//! that arrives late (a retried delivery, two deliveries in flight) never overwrites a newer
//! state.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Event {
    Table,
    RemoteUpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Event::Table)
                    .add_column(ColumnDef::new(Event::RemoteUpdatedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await
    }
}
