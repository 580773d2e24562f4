//! `feed` and `feedChanged`: a member's home feed (`domain::feed`) and the signal that
//! something new arrived in it.
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Union};

use crate::domain::feed::{self, FeedEntry};
use crate::domain::pagination::{encode_cursor, PageRequest};
use crate::graphql::events::Event;
use crate::graphql::learning::Reflection;
use crate::graphql::resources::Resource;
use crate::graphql::threads::{Post, Thread};
use crate::graphql::types::Result;
use crate::graphql::ContextExt as _;

/// Something new in the viewer's groups.
// One value per entry, moved once into its edge: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Union)]
pub enum FeedItem {
    Event(Event),
    Thread(Thread),
    Post(Post),
    Resource(Resource),
    Reflection(Reflection),
}

impl From<FeedEntry> for FeedItem {
    fn from(e: FeedEntry) -> Self {
        match e {
            FeedEntry::Event(x) => FeedItem::Event(Event::from(x)),
            FeedEntry::Thread(x) => FeedItem::Thread(Thread::from(x)),
            FeedEntry::Post(x) => FeedItem::Post(Post::from(x)),
            FeedEntry::Resource(x) => FeedItem::Resource(Resource(x)),
            FeedEntry::Reflection(x) => FeedItem::Reflection(Reflection(x)),
        }
    }
}

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// What is new in the signed-in member's groups and the groups elsewhere they follow,
    /// newest first: events (not drafts), threads, replies, library entries and reflections,
    /// each as the viewer may see it.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn feed(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, FeedItem>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let rows = feed::feed(&ctx.state().db, ctx.viewer(), page).await?;
        let mut conn = Connection::new(false, rows.has_next);
        conn.edges.extend(rows.items.into_iter().map(|e| Edge::new(encode_cursor(e.id()), FeedItem::from(e))));
        Ok(conn)
    }
}

#[derive(Default)]
pub struct FeedSubscription;

#[async_graphql::Subscription]
impl FeedSubscription {
    /// `true` each time something new arrives in the viewer's feed (a thread or reply, a
    /// library entry or reflection, an event published or changed; on PostgreSQL, from any
    /// replica): ask `feed` again.
    async fn feed_changed(&self, ctx: &Context<'_>) -> Result<impl futures_util::Stream<Item = bool> + use<>> {
        use tokio::sync::broadcast::error::RecvError;
        let state = ctx.data_unchecked::<crate::state::State>().clone();
        let me = ctx.viewer().active_member()?.id;
        let groups = feed::groups_of(&state.db, me).await?;
        let rx = state.bus.subscribe();
        Ok(futures_util::stream::unfold((rx, state, groups), move |(mut rx, state, groups)| async move {
            loop {
                let change = match rx.recv().await {
                    Ok(c) => c,
                    Err(RecvError::Lagged(_)) => return Some((true, (rx, state, groups))),
                    Err(RecvError::Closed) => return None,
                };
                match feed::concerns(&state.db, &change, &groups).await {
                    Ok(true) => return Some((true, (rx, state, groups))),
                    Ok(false) => continue,
                    Err(_) => return None,
                }
            }
        }))
    }
}
