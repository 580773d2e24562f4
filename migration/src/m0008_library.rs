//! The shared library (resources) and discussions (threads and their posts). Local and remote
//! rows share each table (`ap_id`, `local`). A thread's opening text is its first post, so one
//! table holds every piece of text a thread has. Posts keep a materialised `path` (their
//! ancestors' ids and their own, each a time-ordered UUID v7 in hex), so ordering by it gives
//! the tree: each post, then its replies, in the order they were written.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Resource {
    Table,
    Id,
    ApId,
    Local,
    GroupId,
    AuthorId,
    Title,
    Kind,
    Link,
    Description,
    DescriptionHtml,
    Tags,
    TagList,
    Folder,
    EventId,
    ThreadId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Thread {
    Table,
    Id,
    ApId,
    Local,
    GroupId,
    AuthorId,
    Title,
    Kind,
    EventId,
    ResourceId,
    Locked,
    Pinned,
    Hidden,
    PostCount,
    LastPostAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
    ApId,
    Local,
    ThreadId,
    AuthorId,
    ParentId,
    Path,
    Depth,
    Body,
    BodyHtml,
    Deleted,
    CreatedAt,
    UpdatedAt,
    EditedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Resource::Table)
                    .col(uuid(Resource::Id).primary_key())
                    .col(string_uniq(Resource::ApId))
                    .col(boolean(Resource::Local))
                    .col(uuid(Resource::GroupId))
                    .col(uuid_null(Resource::AuthorId))
                    .col(text(Resource::Title))
                    .col(string(Resource::Kind))
                    .col(text_null(Resource::Link))
                    .col(text_null(Resource::Description))
                    .col(text_null(Resource::DescriptionHtml))
                    .col(json(Resource::Tags))
                    .col(text(Resource::TagList))
                    .col(string(Resource::Folder).default(""))
                    .col(uuid_null(Resource::EventId))
                    .col(uuid_null(Resource::ThreadId))
                    .col(timestamp_with_time_zone(Resource::CreatedAt))
                    .col(timestamp_with_time_zone(Resource::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Thread::Table)
                    .col(uuid(Thread::Id).primary_key())
                    .col(string_uniq(Thread::ApId))
                    .col(boolean(Thread::Local))
                    .col(uuid(Thread::GroupId))
                    .col(uuid_null(Thread::AuthorId))
                    .col(text(Thread::Title))
                    .col(string(Thread::Kind))
                    .col(uuid_null(Thread::EventId))
                    .col(uuid_null(Thread::ResourceId))
                    .col(boolean(Thread::Locked).default(false))
                    .col(boolean(Thread::Pinned).default(false))
                    .col(boolean(Thread::Hidden).default(false))
                    .col(integer(Thread::PostCount).default(0))
                    .col(timestamp_with_time_zone(Thread::LastPostAt))
                    .col(timestamp_with_time_zone(Thread::CreatedAt))
                    .col(timestamp_with_time_zone(Thread::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Post::Table)
                    .col(uuid(Post::Id).primary_key())
                    .col(string_uniq(Post::ApId))
                    .col(boolean(Post::Local))
                    .col(uuid(Post::ThreadId))
                    .col(uuid_null(Post::AuthorId))
                    .col(uuid_null(Post::ParentId))
                    .col(text(Post::Path))
                    .col(integer(Post::Depth))
                    .col(text_null(Post::Body))
                    .col(text(Post::BodyHtml))
                    .col(boolean(Post::Deleted).default(false))
                    .col(timestamp_with_time_zone(Post::CreatedAt))
                    .col(timestamp_with_time_zone(Post::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Post::EditedAt))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            Index::create()
                .name("ix_resource_group")
                .table(Resource::Table)
                .col(Resource::GroupId)
                .col(Resource::Id)
                .to_owned(),
            Index::create().name("ix_resource_event").table(Resource::Table).col(Resource::EventId).to_owned(),
            Index::create()
                .name("ix_thread_group")
                .table(Thread::Table)
                .col(Thread::GroupId)
                .col(Thread::Id)
                .to_owned(),
            Index::create().name("ix_thread_event").table(Thread::Table).col(Thread::EventId).to_owned(),
            Index::create()
                .name("ux_post_thread_path")
                .table(Post::Table)
                .col(Post::ThreadId)
                .col(Post::Path)
                .unique()
                .to_owned(),
            Index::create().name("ix_post_author").table(Post::Table).col(Post::AuthorId).to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }
}
