//! An event's tags are rows of `event_tag` (one per event and tag, lowercase), so the tag filter
//! is an indexed equality instead of `LIKE '%,tag,%'` over a joined string, and a tag may hold
//! any character (`%`, `_`, `,`). The rows are filled from the events' `tags` (the list as
//! shown, kept on the event), and `tag_list` goes.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    Tags,
    TagList,
}

#[derive(DeriveIden)]
enum EventTag {
    Table,
    EventId,
    Tag,
}

/// The key a tag is stored and looked up under; the same as `domain::events::tag_key`.
fn tag_key(t: &str) -> String {
    t.trim().to_lowercase()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventTag::Table)
                    .col(uuid(EventTag::EventId))
                    .col(string(EventTag::Tag))
                    .primary_key(Index::create().col(EventTag::EventId).col(EventTag::Tag))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_tag_event")
                            .from(EventTag::Table, EventTag::EventId)
                            .to(Event::Table, Event::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_event_tag_tag").table(EventTag::Table).col(EventTag::Tag).to_owned())
            .await?;

        // Filled in Rust rather than with each engine's JSON functions: the key is lowercased
        // as the application does it (SQLite's `lower` knows ASCII only).
        let db = manager.get_connection();
        let rows = db.query_all(Query::select().columns([Event::Id, Event::Tags]).from(Event::Table)).await?;
        let mut pairs: Vec<(uuid::Uuid, String)> = Vec::new();
        for row in rows {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let tags: serde_json::Value = row.try_get("", "tags")?;
            let mut seen = std::collections::HashSet::new();
            for t in tags.as_array().into_iter().flatten().filter_map(|t| t.as_str()) {
                let key = tag_key(t);
                if !key.is_empty() && seen.insert(key.clone()) {
                    pairs.push((id, key));
                }
            }
        }
        for chunk in pairs.chunks(500) {
            let mut insert = Query::insert();
            insert.into_table(EventTag::Table).columns([EventTag::EventId, EventTag::Tag]);
            for (id, tag) in chunk {
                insert.values([(*id).into(), tag.clone().into()]).map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            db.execute(&insert).await?;
        }

        manager.alter_table(Table::alter().table(Event::Table).drop_column(Event::TagList).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Event::Table).add_column(text(Event::TagList).default(",")).to_owned())
            .await?;
        let db = manager.get_connection();
        let concat = match db.get_database_backend() {
            DbBackend::Postgres => "string_agg(t.tag, ',')",
            _ => "group_concat(t.tag, ',')",
        };
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "UPDATE event SET tag_list = ',' || (SELECT {concat} FROM event_tag t WHERE t.event_id = event.id) || ',' \
                 WHERE EXISTS (SELECT 1 FROM event_tag t WHERE t.event_id = event.id)"
            ),
        ))
        .await?;
        manager.drop_table(Table::drop().table(EventTag::Table).to_owned()).await
    }
}
