//! The event and the events list, whose page loads what its rows show in one batch per kind.
use std::sync::Arc;

use async_graphql::{Context, Object, ID};

use super::inputs::EventFilter;
use super::types::Event;
use crate::db::event;
use crate::domain::events::{self, EventFilter as DomainFilter, EventPage};
use crate::graphql::types::{connection_with, load_failed, parse_id, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

pub async fn list_events(
    ctx: &Context<'_>,
    filter: EventFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Conn<Event>> {
    let mut page = EventPage::new(first, after.as_deref())?;
    page.count_total = wants_total(ctx);
    let filter = DomainFilter {
        group_handle: filter.group_handle,
        from: filter.from,
        to: filter.to,
        tag: filter.tag,
        search: filter.search,
        include_remote: filter.include_remote.unwrap_or(false),
        registered: filter.registered,
        mode: filter.mode.map(Into::into),
        country: filter.country,
        city: filter.city,
        descending: filter.order == Some(crate::graphql::types::SortOrder::Desc),
    };
    // The page's ids, then their rows through the loader (kept between requests while the
    // event table is unchanged: `domain::shared_rows`).
    let keys = events::list_ids(ctx.state(), ctx.viewer(), filter, page).await?;
    let rows = ctx.loaders().events.load_many(keys.items.iter().map(|k| k.id)).await.map_err(load_failed)?;
    let page = keys.fill(rows, |k| k.id);
    let events: Vec<Arc<event::Model>> = page.items.iter().map(|(_, e)| e.clone()).collect();
    prime(ctx, &events).await?;
    // Each edge's cursor from the key the page was ordered by.
    Ok(connection_with(page, |(k, _)| k.cursor(), |(_, e)| Event(e)))
}

/// Loads what the selected fields of a list's events need, one batch per kind, before the
/// fields resolve (they then read the request's loader cache): the statement count of a page
/// does not depend on its size or on how the engine schedules its fields.
async fn prime(ctx: &Context<'_>, rows: &[Arc<event::Model>]) -> Result<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    let ids: Vec<uuid::Uuid> = rows.iter().map(|e| e.id).collect();
    let me = ctx.viewer().optional()?.map(|m| m.id);
    let loaders = ctx.loaders();
    let wants_hosts = ["hosts", "invitedHosts", "group", "location"].iter().any(|f| node.field(f).exists());
    let wants_mine = node.field("myRegistration").exists() || node.field("location").exists();
    let organizers: Vec<uuid::Uuid> = rows.iter().filter_map(|e| e.organizer_id).collect();
    let hosts = async {
        if wants_hosts {
            // The hosts and invited co-hosts with their groups in one statement; the groups
            // also answer `group`.
            let hosts = loaders.hosts.load_many(rows.iter().map(|e| (e.id, e.group_id))).await.map_err(load_failed)?;
            let groups: Vec<_> =
                hosts.values().flat_map(|h| h.hosts.iter().chain(&h.invited)).map(|g| (g.id, g.clone())).collect();
            loaders.groups.feed_many(groups).await;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let mine = async {
        if let (true, Some(me)) = (wants_mine, me) {
            loaders.registrations.load_many(ids.iter().map(|e| (me, *e))).await.map_err(load_failed)?;
            if node.field("location").exists() {
                loaders.roles.load_one(me).await.map_err(load_failed)?;
            }
        }
        Ok::<_, async_graphql::Error>(())
    };
    let people = async {
        if node.field("organizer").exists() {
            loaders.members.load_many(organizers.iter().copied()).await.map_err(load_failed)?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let (a, b, c) = futures_util::join!(hosts, mine, people);
    a?;
    b?;
    c?;
    Ok(())
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// An event the viewer may see; null otherwise.
    async fn event(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Event>> {
        let id = parse_id("id", &id)?;
        Ok(events::find(ctx.state(), ctx.viewer(), id).await?.map(Event::from))
    }

    /// Events ordered by start.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Event>> {
        list_events(ctx, filter.unwrap_or_default(), first, after).await
    }
}
