//! A resource and the library list.
use async_graphql::{Context, Object, ID};

use super::inputs::ResourceFilter;
use super::types::Resource;
use crate::domain::pagination::PageRequest;
use crate::domain::resources;
use crate::graphql::types::{connection, load_failed, optional_id, parse_id, prime_members, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

async fn list_resources(
    ctx: &Context<'_>,
    filter: ResourceFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Conn<Resource>> {
    let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
    let filter = resources::ResourceFilter {
        group_handle: filter.group_handle,
        kind: filter.kind.map(Into::into),
        tag: filter.tag,
        search: filter.search,
        event_id: optional_id("eventId", filter.event_id.as_ref())?,
        thread_id: optional_id("threadId", filter.thread_id.as_ref())?,
        folder: filter.folder,
        include_remote: filter.include_remote.unwrap_or(false),
    };
    let page = resources::list(ctx.state(), filter, page).await?;
    let node = ctx.look_ahead().field("edges").field("node");
    if node.field("author").exists() {
        prime_members(ctx, page.items.iter().filter_map(|r| r.author_id)).await?;
    }
    if node.field("group").exists() {
        ctx.loaders().groups.load_many(page.items.iter().map(|r| r.group_id)).await.map_err(load_failed)?;
    }
    Ok(connection(page, |r| r.id, Resource))
}

#[derive(Default)]
pub struct ResourceQuery;

#[Object]
impl ResourceQuery {
    /// A library entry by id; null when there is none.
    async fn resource(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Resource>> {
        let id = parse_id("id", &id)?;
        Ok(resources::find(ctx.state(), id).await?.map(Resource))
    }

    /// Library entries, newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn resources(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResourceFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Resource>> {
        list_resources(ctx, filter.unwrap_or_default(), first, after).await
    }
}
