//! The threads list is ordered pinned first, then newest (`pinned DESC, id DESC`): an index in
//! that order lets a page read its rows in order and stop, instead of sorting every thread.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Thread {
    Table,
    Pinned,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_thread_listing")
                    .table(Thread::Table)
                    .col(Thread::Pinned)
                    .col(Thread::Id)
                    .to_owned(),
            )
            .await
    }
}
