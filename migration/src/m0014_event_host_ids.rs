//! An event's hosts are its confirmed `event_host` rows, read as rows (a list's in one statement
//! with their groups); the copy of their ids on the event (`host_ids`, JSON) goes. `down()`
//! writes the copy back from the rows.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    GroupId,
    HostIds,
}

#[derive(DeriveIden)]
enum EventHost {
    Table,
    EventId,
    GroupId,
    Position,
    Confirmed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Event::Table).drop_column(Event::HostIds).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Event::Table).add_column(json_null(Event::HostIds)).to_owned())
            .await?;
        let db = manager.get_connection();
        let events = db.query_all(Query::select().columns([Event::Id, Event::GroupId]).from(Event::Table)).await?;
        let hosts = db
            .query_all(
                Query::select()
                    .columns([EventHost::EventId, EventHost::GroupId])
                    .from(EventHost::Table)
                    .and_where(Expr::col(EventHost::Confirmed).eq(true))
                    .order_by(EventHost::EventId, Order::Asc)
                    .order_by(EventHost::Position, Order::Asc),
            )
            .await?;
        let mut by_event: std::collections::HashMap<uuid::Uuid, Vec<uuid::Uuid>> = std::collections::HashMap::new();
        for h in hosts {
            by_event.entry(h.try_get("", "event_id")?).or_default().push(h.try_get("", "group_id")?);
        }
        for e in events {
            let id: uuid::Uuid = e.try_get("", "id")?;
            let group: uuid::Uuid = e.try_get("", "group_id")?;
            let ids = by_event.remove(&id).unwrap_or_else(|| vec![group]);
            let value = serde_json::to_value(ids).map_err(|e| DbErr::Custom(e.to_string()))?;
            db.execute(
                Query::update().table(Event::Table).value(Event::HostIds, value).and_where(Expr::col(Event::Id).eq(id)),
            )
            .await?;
        }
        Ok(())
    }
}
