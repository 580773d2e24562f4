//! The `Thread` and `Post` objects.
use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use crate::db::enums::ThreadKind as DbThreadKind;
use crate::db::{post, thread};
use crate::domain::pagination::{Page, PageRequest};
use crate::domain::{threads, visibility};
use crate::error::AppError;
use crate::graphql::events::{visible_event, Event};
use crate::graphql::groups::{group_by_id, Group};
use crate::graphql::in_place::InPlace;
use crate::graphql::members::{visible_member, Member};
use crate::graphql::resources::Resource;
use crate::graphql::types::{connection_with, load_failed, loaded, prime_members, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

mirror_enum!(
    /// REFLECTION threads are the community's learning record.
    ThreadKind => DbThreadKind {
        /// A conversation (the default).
        Discussion,
        /// A question put to the group.
        Question,
        /// What someone learned: the community's learning record.
        Reflection,
    }
);

/// The thread `id` when the viewer may see it (read through the request's loader: from the
/// shared rows for a query).
pub async fn visible_thread(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Thread>> {
    let Some(id) = id else { return Ok(None) };
    let Some(t) = loaded(ctx.loaders().threads.load_one(id).await)? else { return Ok(None) };
    if !visibility::thread_visible(&ctx.state().db, ctx.viewer(), &t).await? {
        return Ok(None);
    }
    Ok(Some(Thread(t)))
}

/// Shared (`Arc`), as the shared rows keep it.
pub struct Thread(pub Arc<thread::Model>);

impl From<thread::Model> for Thread {
    fn from(t: thread::Model) -> Self {
        Thread(Arc::new(t))
    }
}

impl Thread {
    async fn role(&self, ctx: &Context<'_>) -> Result<Option<crate::db::enums::Role>> {
        crate::graphql::types::viewer_role(ctx, self.0.group_id).await
    }

    async fn may_edit(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(threads::may_edit_thread(ctx.viewer().optional()?, &self.0, self.role(ctx).await?))
    }
}

/// A discussion in a group: a title and its posts, the first of which opens it.
#[Object]
impl Thread {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What the thread is for.
    async fn kind(&self) -> ThreadKind {
        self.0.kind.into()
    }
    /// Who started it; null when unknown or hidden from the viewer.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<InPlace<Member>>> {
        Ok(visible_member(ctx, self.0.author_id).await?.map(InPlace))
    }
    /// The group it belongs to.
    async fn group(&self, ctx: &Context<'_>) -> Result<InPlace<Group>> {
        Ok(InPlace(group_by_id(ctx, self.0.group_id).await?))
    }
    /// The event it is about, when the viewer may see it.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move { visible_event(ctx, self.0.event_id).await }).await
    }
    /// The library entry it is about.
    async fn resource(&self, ctx: &Context<'_>) -> Result<Option<Resource>> {
        let Some(id) = self.0.resource_id else { return Ok(None) };
        Ok(loaded(ctx.loaders().resources.load_one(id).await)?.map(Resource))
    }
    /// The opening post's Markdown as written: for its author and the group's moderators
    /// (null for others, and for threads from other servers).
    async fn body_source(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            if !self.0.local || !self.may_edit(ctx).await? {
                return Ok(None);
            }
            Ok(threads::opening_post(&ctx.state().db, self.0.id).await?.and_then(|p| p.body))
        })
        .await
    }
    /// Whether the viewer may change its title and kind (`updateThread`).
    async fn viewer_can_edit(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.local && self.may_edit(ctx).await?)
    }
    /// Whether the viewer may lock, pin and hide it.
    async fn viewer_can_manage(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(threads::may_manage_thread(self.role(ctx).await?))
    }
    /// Posts in the thread, its opening post included.
    async fn post_count(&self) -> i32 {
        self.0.post_count
    }
    /// The posts in tree order: the opening post, then each reply followed by its replies.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn posts(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Conn<Post>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let after = after.as_deref().map(threads::decode_post_cursor).transpose()?;
            let page = PageRequest::new(first, None)?.count_total(wants_total(ctx));
            // The page's keys, then their rows through the loader (kept between requests while
            // the post table is unchanged: `domain::shared_rows`).
            let keys = threads::post_keys(&ctx.state().db, self.0.id, page, after).await?;
            let rows = ctx.loaders().posts.load_many(keys.items.iter().map(|k| k.id)).await.map_err(load_failed)?;
            let page = keys.fill(rows, |k| k.id);
            prime_members(ctx, page.items.iter().filter_map(|(_, p)| p.author_id)).await?;
            Ok(connection_with(page, |(k, _)| k.cursor(), |(_, p)| Post(p)))
        })
        .await
    }
    /// A locked thread takes no replies (`reply` answers CONFLICT).
    async fn locked(&self) -> bool {
        self.0.locked
    }
    /// Pinned threads list first.
    async fn pinned(&self) -> bool {
        self.0.pinned
    }
    /// Hidden by a moderator (only the group's moderators see it).
    async fn hidden(&self) -> bool {
        self.0.hidden
    }
    /// Whether it is this server's (false: from another server).
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its page (and ActivityPub id).
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
    /// When it was started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When its latest post was written.
    async fn last_post_at(&self) -> DateTime<Utc> {
        self.0.last_post_at
    }
}

/// Shared (`Arc`), as the shared rows keep it.
pub struct Post(pub Arc<post::Model>);

impl From<post::Model> for Post {
    fn from(p: post::Model) -> Self {
        Post(Arc::new(p))
    }
}

/// A text in a thread: its opening post or a reply.
#[Object]
impl Post {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Sanitised HTML; empty once deleted.
    async fn body(&self) -> &str {
        &self.0.body_html
    }
    /// The Markdown as written: for its author and the group's moderators (null for others,
    /// and once deleted).
    async fn body_source(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        if self.0.deleted {
            return Ok(None);
        }
        if threads::may_edit_post(ctx.viewer().optional()?, &self.0) {
            return Ok(self.0.body.as_deref());
        }
        let Some(t) = loaded(ctx.loaders().threads.load_one(self.0.thread_id).await)? else { return Ok(None) };
        let role = crate::graphql::types::viewer_role(ctx, t.group_id).await?;
        Ok(if threads::may_manage_thread(role) { self.0.body.as_deref() } else { None })
    }
    /// Whether the viewer may change its text (`editPost`).
    async fn viewer_can_edit(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(threads::may_edit_post(ctx.viewer().optional()?, &self.0))
    }
    /// Who wrote it; null once deleted, or when unknown or hidden from the viewer.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<InPlace<Member>>> {
        if self.0.deleted {
            return Ok(None);
        }
        Ok(visible_member(ctx, self.0.author_id).await?.map(InPlace))
    }
    /// The post it replies to; null for the opening post and replies to the thread itself.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Post>> {
        let Some(id) = self.0.parent_id else { return Ok(None) };
        Ok(loaded(ctx.loaders().posts.load_one(id).await)?.map(Post))
    }
    /// The thread it is in.
    async fn thread(&self, ctx: &Context<'_>) -> Result<Thread> {
        loaded(ctx.loaders().threads.load_one(self.0.thread_id).await)?
            .map(Thread)
            .ok_or_else(|| AppError::not_found("thread").into())
    }
    /// 0 for the opening post and direct replies to the thread.
    async fn depth(&self) -> i32 {
        self.0.depth
    }
    /// Deleted posts keep their place in the tree, without text or author.
    async fn deleted(&self) -> bool {
        self.0.deleted
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When its author last changed its text; null if never.
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
    /// Whether it was written here (false: on another server).
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its ActivityPub id (a local post's page shows it in its thread).
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
}

pub(super) fn thread_connection(page: Page<thread::Model>) -> Conn<Thread> {
    connection_with(page, threads::cursor, Thread::from)
}
