//! A thread, a post and the threads list.
use async_graphql::{Context, Object, ID};

use super::inputs::ThreadFilter;
use super::types::{thread_connection, visible_thread, Post, Thread};
use crate::domain::pagination::PageRequest;
use crate::domain::threads;
use crate::error::AppError;
use crate::graphql::types::{load_failed, optional_id, parse_id, prime_members, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

/// A page of threads, with their authors and groups loaded in one batch each.
async fn list_threads(
    ctx: &Context<'_>,
    filter: ThreadFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Conn<Thread>> {
    let cursor = after.as_deref().map(threads::decode_cursor).transpose()?;
    let page = PageRequest::new(first, None)?.count_total(wants_total(ctx));
    let filter = threads::ThreadFilter {
        group_handle: filter.group_handle,
        kind: filter.kind.map(Into::into),
        event_id: optional_id("eventId", filter.event_id.as_ref())?,
        resource_id: optional_id("resourceId", filter.resource_id.as_ref())?,
        search: filter.search,
        include_remote: filter.include_remote.unwrap_or(false),
    };
    let page = threads::list(ctx.state(), ctx.viewer(), filter, page, cursor).await?;
    let node = ctx.look_ahead().field("edges").field("node");
    let loaders = ctx.loaders();
    let authors = async {
        if node.field("author").exists() {
            prime_members(ctx, page.items.iter().filter_map(|t| t.author_id)).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let groups = async {
        if node.field("group").exists() {
            loaders.groups.load_many(page.items.iter().map(|t| t.group_id)).await.map_err(load_failed)?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let (a, g) = futures_util::join!(authors, groups);
    a?;
    g?;
    Ok(thread_connection(page))
}

#[derive(Default)]
pub struct ThreadQuery;

#[Object]
impl ThreadQuery {
    /// A thread the viewer may see; null otherwise.
    async fn thread(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Thread>> {
        visible_thread(ctx, Some(parse_id("id", &id)?)).await
    }

    /// Threads: pinned first, then newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn threads(
        &self,
        ctx: &Context<'_>,
        filter: Option<ThreadFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Thread>> {
        list_threads(ctx, filter.unwrap_or_default(), first, after).await
    }

    /// A post, when the viewer may see its thread.
    async fn post(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Post>> {
        let id = parse_id("id", &id)?;
        match threads::get_post(&ctx.state().db, ctx.viewer(), id).await {
            Ok(p) => Ok(Some(Post::from(p))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
