//! Learning records: the questions a group commits to, the reflections that are their evidence
//! (with what they answer, the values they describe and who they resonate with), harvests that
//! gather reflections into themes with next actions, members' notifications (reflection
//! prompts, reviews due) and share links for progress reports. Every reference is a foreign
//! key: what belongs to a group, question, reflection or harvest goes with it; an author, owner
//! or linked event, thread or entry that goes is cleared.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &str, column: &str, parent: &str, cascade: bool) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(parent), Alias::new("id"))
        .on_delete(if cascade { ForeignKeyAction::Cascade } else { ForeignKeyAction::SetNull })
        .to_owned()
}

fn id(name: &str) -> ColumnDef {
    uuid(Alias::new(name)).primary_key().to_owned()
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

const TABLES: [&str; 10] = [
    "report_link",
    "notification",
    "harvest_action",
    "harvest_item",
    "harvest",
    "resonance",
    "reflection_value",
    "reflection_question",
    "reflection",
    "learning_question",
];

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table(col("learning_question"))
            .col(id("id"))
            .col(string_uniq(col("ap_id")))
            .col(boolean(col("local")))
            .col(uuid(col("group_id")))
            .col(uuid_null(col("author_id")))
            .col(uuid_null(col("owner_id")))
            .col(text(col("title")))
            .col(text_null(col("why_it_matters")))
            .col(text_null(col("why_it_matters_html")))
            .col(string(col("status")))
            .col(integer_null(col("review_every_days")))
            .col(timestamp_with_time_zone_null(col("next_review_at")))
            .col(text_null(col("understanding")))
            .col(timestamp_with_time_zone_null(col("understanding_updated_at")))
            .col(string(col("visibility")))
            .col(timestamp_with_time_zone(col("created_at")))
            .col(timestamp_with_time_zone(col("updated_at")))
            .foreign_key(&mut fk("learning_question", "group_id", "groups", true))
            .foreign_key(&mut fk("learning_question", "author_id", "member", false))
            .foreign_key(&mut fk("learning_question", "owner_id", "member", false))
            .to_owned(),
        Table::create()
            .table(col("reflection"))
            .col(id("id"))
            .col(string_uniq(col("ap_id")))
            .col(boolean(col("local")))
            .col(uuid(col("group_id")))
            .col(uuid_null(col("author_id")))
            .col(string(col("kind")))
            .col(string(col("visibility")))
            .col(text_null(col("body")))
            .col(text_null(col("body_html")))
            .col(text_null(col("intended")))
            .col(text_null(col("happened")))
            .col(text_null(col("why")))
            .col(text_null(col("next_time")))
            .col(uuid_null(col("event_id")))
            .col(integer_null(col("session_index")))
            .col(uuid_null(col("thread_id")))
            .col(uuid_null(col("resource_id")))
            .col(timestamp_with_time_zone(col("created_at")))
            .col(timestamp_with_time_zone(col("updated_at")))
            .foreign_key(&mut fk("reflection", "group_id", "groups", true))
            .foreign_key(&mut fk("reflection", "author_id", "member", false))
            .foreign_key(&mut fk("reflection", "event_id", "event", false))
            .foreign_key(&mut fk("reflection", "thread_id", "thread", false))
            .foreign_key(&mut fk("reflection", "resource_id", "resource", false))
            .to_owned(),
        Table::create()
            .table(col("reflection_question"))
            .col(uuid(col("reflection_id")))
            .col(uuid(col("question_id")))
            .primary_key(Index::create().col(col("reflection_id")).col(col("question_id")))
            .foreign_key(&mut fk("reflection_question", "reflection_id", "reflection", true))
            .foreign_key(&mut fk("reflection_question", "question_id", "learning_question", true))
            .to_owned(),
        Table::create()
            .table(col("reflection_value"))
            .col(uuid(col("reflection_id")))
            .col(string(col("value")))
            .primary_key(Index::create().col(col("reflection_id")).col(col("value")))
            .foreign_key(&mut fk("reflection_value", "reflection_id", "reflection", true))
            .to_owned(),
        Table::create()
            .table(col("resonance"))
            .col(uuid(col("reflection_id")))
            .col(uuid(col("member_id")))
            .col(timestamp_with_time_zone(col("created_at")))
            .primary_key(Index::create().col(col("reflection_id")).col(col("member_id")))
            .foreign_key(&mut fk("resonance", "reflection_id", "reflection", true))
            .foreign_key(&mut fk("resonance", "member_id", "member", true))
            .to_owned(),
        Table::create()
            .table(col("harvest"))
            .col(id("id"))
            .col(uuid(col("group_id")))
            .col(uuid_null(col("event_id")))
            .col(uuid_null(col("created_by")))
            .col(text(col("title")))
            .col(timestamp_with_time_zone(col("period_from")))
            .col(timestamp_with_time_zone(col("period_to")))
            .col(text_null(col("understanding")))
            .col(text_null(col("understanding_html")))
            .col(timestamp_with_time_zone(col("created_at")))
            .col(timestamp_with_time_zone(col("updated_at")))
            .foreign_key(&mut fk("harvest", "group_id", "groups", true))
            .foreign_key(&mut fk("harvest", "event_id", "event", false))
            .foreign_key(&mut fk("harvest", "created_by", "member", false))
            .to_owned(),
        Table::create()
            .table(col("harvest_item"))
            .col(uuid(col("harvest_id")))
            .col(uuid(col("reflection_id")))
            .col(text(col("theme")))
            .col(timestamp_with_time_zone(col("created_at")))
            .primary_key(Index::create().col(col("harvest_id")).col(col("reflection_id")))
            .foreign_key(&mut fk("harvest_item", "harvest_id", "harvest", true))
            .foreign_key(&mut fk("harvest_item", "reflection_id", "reflection", true))
            .to_owned(),
        Table::create()
            .table(col("harvest_action"))
            .col(id("id"))
            .col(uuid(col("harvest_id")))
            .col(text(col("title")))
            .col(uuid_null(col("owner_id")))
            .col(timestamp_with_time_zone_null(col("due_at")))
            .col(string(col("status")))
            .col(timestamp_with_time_zone(col("created_at")))
            .col(timestamp_with_time_zone(col("updated_at")))
            .foreign_key(&mut fk("harvest_action", "harvest_id", "harvest", true))
            .foreign_key(&mut fk("harvest_action", "owner_id", "member", false))
            .to_owned(),
        Table::create()
            .table(col("notification"))
            .col(id("id"))
            .col(uuid(col("member_id")))
            .col(string(col("kind")))
            .col(uuid_null(col("event_id")))
            .col(uuid_null(col("question_id")))
            // What makes it once: a member is prompted once per event, and once per review.
            .col(string(col("once_key")))
            .col(timestamp_with_time_zone_null(col("read_at")))
            .col(timestamp_with_time_zone(col("created_at")))
            .foreign_key(&mut fk("notification", "member_id", "member", true))
            .foreign_key(&mut fk("notification", "event_id", "event", true))
            .foreign_key(&mut fk("notification", "question_id", "learning_question", true))
            .to_owned(),
        Table::create()
            .table(col("report_link"))
            .col(id("id"))
            .col(uuid(col("group_id")))
            .col(string_uniq(col("token_hash")))
            .col(timestamp_with_time_zone_null(col("period_from")))
            .col(timestamp_with_time_zone_null(col("period_to")))
            .col(uuid_null(col("created_by")))
            .col(timestamp_with_time_zone(col("created_at")))
            .col(timestamp_with_time_zone_null(col("revoked_at")))
            .col(timestamp_with_time_zone_null(col("expires_at")))
            .foreign_key(&mut fk("report_link", "group_id", "groups", true))
            .foreign_key(&mut fk("report_link", "created_by", "member", false))
            .to_owned(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    let ix = |name: &str, table: &str, cols: &[&str]| {
        let mut i = Index::create();
        i.name(name).table(col(table));
        for c in cols {
            i.col(col(c));
        }
        i.to_owned()
    };
    vec![
        ix("ix_learning_question_group", "learning_question", &["group_id", "status", "id"]),
        ix("ix_learning_question_review", "learning_question", &["next_review_at"]),
        ix("ix_reflection_group", "reflection", &["group_id", "id"]),
        ix("ix_reflection_event", "reflection", &["event_id", "id"]),
        ix("ix_reflection_author", "reflection", &["author_id", "id"]),
        ix("ix_reflection_question_question", "reflection_question", &["question_id", "reflection_id"]),
        ix("ix_reflection_value_value", "reflection_value", &["value", "reflection_id"]),
        ix("ix_harvest_group", "harvest", &["group_id", "id"]),
        ix("ix_harvest_action_harvest", "harvest_action", &["harvest_id", "id"]),
        ix("ix_notification_member", "notification", &["member_id", "id"]),
        Index::create()
            .name("ux_notification_once")
            .table(col("notification"))
            .col(col("member_id"))
            .col(col("once_key"))
            .unique()
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.drop_table(Table::drop().table(col(table)).to_owned()).await?;
        }
        Ok(())
    }
}
