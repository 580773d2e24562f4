//! Starting, replying in, changing and moderating threads; editing and deleting posts.
use async_graphql::{Context, Object, ID};

use super::inputs::{CreateThreadInput, ReplyInput, UpdateThreadInput};
use super::types::{Post, Thread};
use crate::domain::mentions;
use crate::domain::threads::{self, NewThread, ThreadChanges};
use crate::federation::resolve;
use crate::graphql::types::{optional_id, parse_id, Result};
use crate::graphql::ContextExt as _;

/// Looks up (for signed-in callers, within the request's budget) the remote accounts a text
/// mentions, so that the domain can link them. A failed look-up leaves the mention as text.
async fn resolve_mentions(ctx: &Context<'_>, text: &str) {
    let here = &ctx.state().config.domain;
    for handle in mentions::handles(text).into_iter().filter(|h| crate::domain::handles::is_remote(h, here)).take(3) {
        let _ = resolve::find_by_handle(&ctx.fed(), &handle, ctx.lookup(), ctx.viewer()).await;
    }
}

#[derive(Default)]
pub struct ThreadMutation;

#[Object]
impl ThreadMutation {
    /// Starts a thread in a group (its members), with the body as its opening post.
    async fn create_thread(&self, ctx: &Context<'_>, input: CreateThreadInput) -> Result<Thread> {
        resolve_mentions(ctx, &input.body).await;
        let new = NewThread {
            group_id: parse_id("groupId", &input.group_id)?,
            title: input.title,
            body: input.body,
            kind: input.kind.map(Into::into),
            event_id: optional_id("eventId", input.event_id.as_ref())?,
            resource_id: optional_id("resourceId", input.resource_id.as_ref())?,
        };
        let (t, _) = threads::create(ctx.state(), ctx.viewer(), new).await?;
        Ok(Thread::from(t))
    }

    /// Replies in a thread (CONFLICT when it is locked).
    async fn reply(&self, ctx: &Context<'_>, input: ReplyInput) -> Result<Post> {
        let thread = parse_id("threadId", &input.thread_id)?;
        let parent = optional_id("parentId", input.parent_id.as_ref())?;
        resolve_mentions(ctx, &input.body).await;
        Ok(Post::from(threads::reply(ctx.state(), ctx.viewer(), thread, parent, &input.body).await?))
    }

    /// Renames a thread or changes its kind (its author or the group's moderators); locks, pins or
    /// hides it (the group's moderators). What the input leaves out stays.
    async fn update_thread(&self, ctx: &Context<'_>, id: ID, input: UpdateThreadInput) -> Result<Thread> {
        let id = parse_id("id", &id)?;
        let changes = ThreadChanges {
            title: input.title,
            kind: input.kind.map(Into::into),
            locked: input.locked,
            pinned: input.pinned,
            hidden: input.hidden,
        };
        Ok(Thread::from(threads::update(ctx.state(), ctx.viewer(), id, changes).await?))
    }

    /// The author changes their post's text.
    async fn edit_post(&self, ctx: &Context<'_>, id: ID, body: String) -> Result<Post> {
        let id = parse_id("id", &id)?;
        resolve_mentions(ctx, &body).await;
        Ok(Post::from(threads::edit_post(ctx.state(), ctx.viewer(), id, &body).await?))
    }

    /// Its author or the group's moderators; the post keeps its place as "deleted".
    async fn delete_post(&self, ctx: &Context<'_>, id: ID) -> Result<Post> {
        let id = parse_id("id", &id)?;
        Ok(Post::from(threads::delete_post(ctx.state(), ctx.viewer(), id).await?))
    }
}
