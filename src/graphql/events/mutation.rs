//! Creating, changing and cancelling events; registering and reviewing seat requests.
use async_graphql::{Context, Object, ID};

use super::inputs::{CreateEventInput, UpdateEventInput};
use super::types::{Event, Registration};
use crate::domain::events::{self, registrations};
use crate::graphql::types::{parse_id, Result};
use crate::graphql::ContextExt as _;

/// Looks up co-host groups on other servers (WebFinger, within the request's budget) so that
/// the domain knows them; one that cannot be found is reported by the domain.
async fn resolve_co_hosts(ctx: &Context<'_>, handles: Option<&[String]>) {
    let here = &ctx.state().config.domain;
    for h in handles.unwrap_or_default().iter().filter(|h| crate::domain::handles::is_remote(h, here)).take(3) {
        let _ = crate::federation::resolve::group_by_handle(&ctx.fed(), h, ctx.lookup(), ctx.viewer()).await;
    }
}

#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    /// Creates an event in a group of this server (its moderators and up). Groups named in
    /// `coHosts` are invited to co-host.
    async fn create_event(&self, ctx: &Context<'_>, mut input: CreateEventInput) -> Result<Event> {
        let group = parse_id("groupId", &input.group_id)?;
        let picture = crate::graphql::media::change("pictureId", std::mem::take(&mut input.picture_id))?;
        resolve_co_hosts(ctx, input.co_hosts.as_deref()).await;
        let fields = events::EventFields { picture, ..input.into() };
        Ok(Event::from(events::create(ctx.state(), ctx.viewer(), group, fields).await?))
    }

    /// Changes an event of this server (its hosts); a cancelled one cannot change (CONFLICT). Seats
    /// freed by a larger capacity or fewer held seats go to the waitlist at once.
    async fn update_event(&self, ctx: &Context<'_>, id: ID, mut input: UpdateEventInput) -> Result<Event> {
        let id = parse_id("id", &id)?;
        let picture = crate::graphql::media::change("pictureId", std::mem::take(&mut input.picture_id))?;
        resolve_co_hosts(ctx, input.co_hosts.as_deref()).await;
        let fields = events::EventFields { picture, ..input.into() };
        Ok(Event::from(events::update(ctx.state(), ctx.viewer(), id, fields).await?))
    }

    /// An admin of a group invited to co-host an event answers: `accept: true` makes the group
    /// a host (the event joins its page, calendar and members' view); `false` declines.
    async fn answer_co_host_invitation(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        group_id: ID,
        accept: bool,
    ) -> Result<Event> {
        let event = parse_id("eventId", &event_id)?;
        let group = parse_id("groupId", &group_id)?;
        Ok(Event::from(events::answer_cohost(ctx.state(), ctx.viewer(), event, group, accept).await?))
    }

    /// Cancels an event of this server (its hosts), with an optional reason (`cancelReason`): it
    /// stays listed, marked CANCELLED, and refuses registrations. Cancelling again changes nothing.
    async fn cancel_event(&self, ctx: &Context<'_>, id: ID, reason: Option<String>) -> Result<Event> {
        let id = parse_id("id", &id)?;
        Ok(Event::from(events::cancel(ctx.state(), ctx.viewer(), id, reason).await?))
    }

    /// GOING while seats are left; REQUESTED (for a held seat, with `message`) when only held
    /// seats remain; else WAITLISTED, or CONFLICT when the event has no waitlist.
    async fn rsvp(&self, ctx: &Context<'_>, event_id: ID, message: Option<String>) -> Result<Registration> {
        let id = parse_id("eventId", &event_id)?;
        Ok(Registration(registrations::rsvp(ctx.state(), ctx.viewer(), id, message).await?))
    }

    /// Frees the seat; the first waitlisted registration is promoted.
    async fn cancel_rsvp(&self, ctx: &Context<'_>, event_id: ID) -> Result<Registration> {
        let id = parse_id("eventId", &event_id)?;
        Ok(Registration(registrations::cancel(ctx.state(), ctx.viewer(), id).await?))
    }

    /// Hosts grant (GOING, taking a held seat) or decline (DECLINED) a request for a held seat.
    async fn review_seat_request(&self, ctx: &Context<'_>, registration_id: ID, grant: bool) -> Result<Registration> {
        let id = parse_id("registrationId", &registration_id)?;
        Ok(Registration(registrations::review(ctx.state(), ctx.viewer(), id, grant).await?))
    }

    /// A new secret address for the viewer's personal calendar; the old one stops working.
    async fn rotate_calendar_url(&self, ctx: &Context<'_>) -> Result<String> {
        let token = crate::domain::events::calendar::rotate(ctx.state(), ctx.viewer()).await?;
        Ok(crate::domain::events::calendar::url(ctx.state(), &token))
    }
}
