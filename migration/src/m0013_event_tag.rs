//! An event's tags become rows of `event_tag` (see [`crate::tag_rows`]).
use sea_orm_migration::prelude::*;

use crate::tag_rows::TagTable;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TAGS: TagTable = TagTable { owner: "event", table: "event_tag", owner_id: "event_id" };

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TAGS.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TAGS.down(manager).await
    }
}
