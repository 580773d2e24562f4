//! Pictures: uploads (stored in the media store, see `src/domain/media`) and the pictures of
//! remote actors and events, which are referenced by their URL, never copied. Members point at
//! their avatar, groups at their banner, events at their picture; a picture that is deleted
//! leaves them without one.
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
                    .table(col("media"))
                    .col(uuid(col("id")).primary_key())
                    // Who uploaded it (local), or whose picture it is (remote); cleared with them.
                    .col(uuid_null(col("owner_id")))
                    .col(boolean(col("local")))
                    // Local: the store keys of the picture and its thumbnail.
                    .col(string_null(col("storage_key")))
                    .col(string_null(col("thumbnail_key")))
                    // Remote: where it is.
                    .col(string_null(col("remote_url")).unique_key())
                    .col(string(col("content_type")))
                    .col(integer_null(col("width")))
                    .col(integer_null(col("height")))
                    .col(big_integer_null(col("byte_size")))
                    .col(text_null(col("alt")))
                    .col(timestamp_with_time_zone(col("created_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_owner_id")
                            .from(col("media"), col("owner_id"))
                            .to(col("actor"), col("id"))
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_media_owner").table(col("media")).col(col("owner_id")).to_owned())
            .await?;
        for (table, column) in [("member", "avatar_id"), ("groups", "banner_id"), ("event", "picture_id")] {
            manager
                .alter_table(
                    Table::alter().table(col(table)).add_column(ColumnDef::new(col(column)).uuid().null()).to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [("member", "avatar_id"), ("groups", "banner_id"), ("event", "picture_id")] {
            manager.alter_table(Table::alter().table(col(table)).drop_column(col(column)).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(col("media")).to_owned()).await
    }
}
