//! Remote registrations remember the activity they came by (a `Join`, or a vote in an event's
//! poll), so that an `Undo` or `Delete` of it gives the seat back. Co-hosts on other servers
//! are confirmed when their group accepts (`event_host.confirmed`; local co-hosts are at once).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Registration {
    Table,
    ViaApId,
}

#[derive(DeriveIden)]
enum EventHost {
    Table,
    Confirmed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventHost::Table)
                    .add_column(boolean(EventHost::Confirmed).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(Registration::Table).add_column(text_null(Registration::ViaApId)).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_registration_via")
                    .table(Registration::Table)
                    .col(Registration::ViaApId)
                    .to_owned(),
            )
            .await
    }
}
