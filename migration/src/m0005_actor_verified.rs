//! Remote actors record when they were verified: one of their signatures checked out, or a
//! member looked them up on their own server. Until then they stay out of the directory.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Member {
    Table,
    VerifiedAt,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    VerifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Member::Table)
                    .add_column(timestamp_with_time_zone_null(Member::VerifiedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Groups::Table)
                    .add_column(timestamp_with_time_zone_null(Groups::VerifiedAt))
                    .to_owned(),
            )
            .await
    }
}
