//! What the instance says of itself, set by its admins: a description, its rules, a contact
//! address. One row (id 1), absent until an admin first writes it.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("instance_profile"))
                    .col(integer(Alias::new("id")).primary_key())
                    .col(text_null(Alias::new("description")))
                    .col(json(Alias::new("rules")))
                    .col(string_null(Alias::new("contact_email")))
                    .col(timestamp_with_time_zone(Alias::new("updated_at")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("instance_profile")).to_owned()).await
    }
}
