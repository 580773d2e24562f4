//! Mail to members: a durable queue (one row per mail, made in the transaction of what it tells
//! of, unique per member and subject so that each is sent once) and each member's kinds of mail
//! turned off.
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
                    .table(col("mail"))
                    .col(uuid(col("id")).primary_key())
                    .col(uuid(col("member_id")))
                    .col(string(col("kind")))
                    .col(uuid_null(col("event_id")))
                    .col(uuid_null(col("registration_id")))
                    // What makes it once: a second mail with the same key is not queued.
                    .col(string(col("dedupe_key")))
                    // A link only the mail may carry (a password reset), cleared once sent.
                    .col(text_null(col("secret_link")))
                    .col(string(col("state")))
                    .col(integer(col("attempts")))
                    .col(timestamp_with_time_zone(col("next_attempt_at")))
                    .col(timestamp_with_time_zone_null(col("locked_until")))
                    .col(text_null(col("last_error")))
                    .col(timestamp_with_time_zone(col("created_at")))
                    .col(timestamp_with_time_zone_null(col("sent_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_member_id")
                            .from(col("mail"), col("member_id"))
                            .to(col("member"), col("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_event_id")
                            .from(col("mail"), col("event_id"))
                            .to(col("event"), col("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_once")
                    .table(col("mail"))
                    .col(col("member_id"))
                    .col(col("dedupe_key"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_due")
                    .table(col("mail"))
                    .col(col("state"))
                    .col(col("next_attempt_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(col("member"))
                    .add_column(ColumnDef::new(col("mail_off")).string().not_null().default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(col("member")).drop_column(col("mail_off")).to_owned()).await?;
        manager.drop_table(Table::drop().table(col("mail")).to_owned()).await
    }
}
