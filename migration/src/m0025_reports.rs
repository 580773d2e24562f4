//! Reports and the moderation log. A report is about one member or one piece of content (a
//! post, thread, library entry, event or reflection), made by a local member or received from
//! another server (`Flag`); moderators of the content's group, and instance admins, resolve it
//! with an action that the log keeps with who and why. Reporters hear the outcome through a
//! notification (`notification.report_id`).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> Alias {
    Alias::new(name)
}

fn to_actor(name: &str, table: &str, column: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(col(table), col(column))
        .to(col("actor"), col("id"))
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(col("report"))
                    .col(uuid(col("id")).primary_key())
                    // What is reported: its kind, row id and ActivityPub id (kept after it goes).
                    .col(string(col("subject_kind")))
                    .col(uuid(col("subject_id")))
                    .col(string(col("subject_ap_id")))
                    // The group whose moderators handle it (none for members: admins only).
                    .col(uuid_null(col("group_id")))
                    // Whose content it is (the member, for a report of a member).
                    .col(uuid_null(col("author_id")))
                    // A local reporter, or the server a `Flag` came from.
                    .col(uuid_null(col("reporter_id")))
                    .col(string_null(col("origin_domain")))
                    .col(string(col("reason")))
                    .col(text_null(col("comment")))
                    .col(boolean(col("forwarded")))
                    .col(string(col("status")))
                    .col(string_null(col("action")))
                    .col(uuid_null(col("resolved_by")))
                    .col(text_null(col("resolution_note")))
                    .col(timestamp_with_time_zone_null(col("resolved_at")))
                    .col(timestamp_with_time_zone(col("created_at")))
                    .foreign_key(&mut to_actor("fk_report_author_id", "report", "author_id"))
                    .foreign_key(&mut to_actor("fk_report_reporter_id", "report", "reporter_id"))
                    .foreign_key(&mut to_actor("fk_report_resolved_by", "report", "resolved_by"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_report_status", &["status", "id"][..]),
            ("idx_report_group", &["group_id", "status"][..]),
            ("idx_report_reporter", &["reporter_id"][..]),
            ("idx_report_subject", &["subject_id", "status"][..]),
            ("idx_report_origin", &["origin_domain", "status"][..]),
        ] {
            let mut index = Index::create().name(name).table(col("report")).to_owned();
            for c in columns {
                index.col(col(c));
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(col("moderation_log"))
                    .col(uuid(col("id")).primary_key())
                    .col(uuid_null(col("moderator_id")))
                    .col(string(col("action")))
                    .col(uuid_null(col("report_id")))
                    .col(string(col("subject_kind")))
                    .col(uuid(col("subject_id")))
                    .col(string(col("subject_ap_id")))
                    .col(uuid_null(col("group_id")))
                    .col(text_null(col("note")))
                    .col(timestamp_with_time_zone(col("created_at")))
                    .foreign_key(&mut to_actor("fk_moderation_log_moderator_id", "moderation_log", "moderator_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_moderation_log_report_id")
                            .from(col("moderation_log"), col("report_id"))
                            .to(col("report"), col("id"))
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_moderation_log_group")
                    .table(col("moderation_log"))
                    .col(col("group_id"))
                    .col(col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(col("notification"))
                    .add_column(ColumnDef::new(col("report_id")).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(col("notification")).drop_column(col("report_id")).to_owned()).await?;
        manager.drop_table(Table::drop().table(col("moderation_log")).to_owned()).await?;
        manager.drop_table(Table::drop().table(col("report")).to_owned()).await
    }
}
