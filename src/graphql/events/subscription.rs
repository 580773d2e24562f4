//! `eventChanged`.
use async_graphql::{Context, ID};

use super::types::Event;
use crate::domain::events;
use crate::graphql::types::{parse_id, Result};
use crate::graphql::ContextExt as _;

#[derive(Default)]
pub struct EventSubscription;

#[async_graphql::Subscription]
impl EventSubscription {
    /// The event each time its details, status or seats change (made here or, on PostgreSQL,
    /// on any replica). Ends when the event is no longer visible to the subscriber.
    async fn event_changed(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
    ) -> Result<impl futures_util::Stream<Item = Event> + use<>> {
        use tokio::sync::broadcast::error::RecvError;
        let id = parse_id("eventId", &event_id)?;
        let state = ctx.data_unchecked::<crate::state::State>().clone();
        let viewer = ctx.viewer().clone();
        events::get(&state, &viewer, id).await?;
        let rx = state.bus.subscribe();
        Ok(futures_util::stream::unfold((rx, state, viewer), move |(mut rx, state, viewer)| async move {
            loop {
                match rx.recv().await {
                    Ok(crate::bus::Change::Event { id: changed }) if changed == id => {}
                    // Missed some: reload in case this event was among them.
                    Err(RecvError::Lagged(_)) => {}
                    Ok(_) => continue,
                    Err(RecvError::Closed) => return None,
                }
                let current = events::find(&state, &viewer, id).await.ok().flatten()?;
                return Some((Event::from(current), (rx, state, viewer)));
            }
        }))
    }
}
