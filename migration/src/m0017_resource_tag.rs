//! A library entry's tags become rows of `resource_tag` (see [`crate::tag_rows`]), as events'
//! did in m0013: the `resources(filter: {tag})` filter no longer matches `LIKE '%,tag,%'`.
use sea_orm_migration::prelude::*;

use crate::tag_rows::TagTable;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TAGS: TagTable = TagTable { owner: "resource", table: "resource_tag", owner_id: "resource_id" };

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TAGS.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TAGS.down(manager).await
    }
}
