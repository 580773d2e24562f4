//! Password reset tokens: single-use, stored hashed, expiring; made for a member by an
//! instance admin (`createPasswordResetLink`) or asked for by email (`requestPasswordReset`).
//! A member's tokens go with the member.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(col("password_reset"))
                    .col(uuid(col("id")).primary_key())
                    .col(uuid(col("member_id")))
                    .col(string_uniq(col("token_hash")))
                    .col(timestamp_with_time_zone(col("created_at")))
                    .col(timestamp_with_time_zone(col("expires_at")))
                    .col(timestamp_with_time_zone_null(col("used_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_password_reset_member_id")
                            .from(col("password_reset"), col("member_id"))
                            .to(col("member"), col("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_password_reset_member")
                    .table(col("password_reset"))
                    .col(col("member_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(col("password_reset")).to_owned()).await
    }
}
