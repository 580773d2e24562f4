//! Events and registration from other servers: `Create`/`Update` of an `Event` by a group we
//! follow (or its `Announce`), `Delete` of one, and `Join`/`Leave` (or `Undo(Join)`) of our
//! events by remote people, into `domain::events::federation` and `domain::events::registrations`.
use url::Url;

use super::{activity, data_actor, forbidden, malformed};
use crate::ap::inbound::{Object, Received, Ref};
use crate::ap::participation::EventJson;
use crate::ap::same_origin;
use crate::db::member;
use crate::domain::actors::{ActorSource, ApActor};
use crate::domain::events::federation::{self as event_federation, IncomingEvent, Via};
use crate::domain::{events::registrations, follows};
use crate::error::AppError;
use crate::federation::{AppErrorBox, FedData, FedError};
use crate::state::State;

/// A remote person registers for one of our events.
#[derive(Clone, Debug)]
pub struct Join(pub Received<Ref>);

/// A remote person gives their seat back.
#[derive(Clone, Debug)]
pub struct Leave(pub Received<Ref>);

/// A group on another server invites one of ours to co-host its event.
#[derive(Clone, Debug)]
pub struct Offer(pub Received<Ref>);

activity!(Join, a => a.0);
activity!(Leave, a => a.0);
activity!(Offer, a => a.0);

impl Join {
    async fn check(&self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        person(&actor).ok_or_else(|| FedError::Ignored("Join not from a remote person".into()))?;
        self.0.object.id().map(|_| ()).ok_or_else(|| FedError::BadRequest("Join without object".into()))
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        receive_join(data, &actor, &self.0).await
    }
}

impl Leave {
    async fn check(&self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        person(&actor).ok_or_else(|| FedError::Ignored("Leave not from a remote person".into()))?;
        self.0.object.id().map(|_| ()).ok_or_else(|| FedError::BadRequest("Leave without object".into()))
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        receive_leave(data, &actor, self.0.object.id()).await
    }
}

impl Offer {
    async fn check(&self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        if !matches!(actor.source, ActorSource::Group(_)) {
            return Err(FedError::Ignored("an Offer not from a group".into()));
        }
        self.0.target.id().map(|_| ()).ok_or_else(|| FedError::Ignored("Offer without target".into()))
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        receive_offer(data, &actor, &self.0).await
    }
}

/// An event as its group sent or announced it. `group` is the actor vouching for it: it must
/// be the group the event is attributed to, live on its server, and be followed here.
pub async fn take_event(data: &FedData<State>, group: &ApActor, object: &Object) -> Result<(), FedError> {
    let state = data.app_data();
    let ActorSource::Group(g) = &group.source else {
        return Err(FedError::Ignored("an event not from a group".into()));
    };
    if g.local {
        return Err(FedError::Ignored("an event of one of our own groups".into()));
    }
    let Object::Event(ev) = object else { return Err(malformed("Event", object)) };
    if !same_origin(&ev.id, &group.id) || ev.group().is_some_and(|a| a != group.id) {
        return Err(forbidden("the event is not this group's"));
    }
    if !follows::is_followed_here(&state.db, g.id).await? {
        return Err(FedError::Ignored("an event of a group nobody here follows".into()));
    }
    event_federation::receive(state, g, incoming(ev)).await?;
    Ok(())
}

fn incoming(ev: &EventJson) -> IncomingEvent {
    let venue = ev.venue();
    IncomingEvent {
        ap_id: ev.id.to_string(),
        url: ev.page().to_string(),
        title: ev.name.clone().unwrap_or_else(|| "(untitled)".into()),
        summary: ev.summary.clone(),
        html: ev.content.clone(),
        starts_at: ev.start_time,
        ends_at: ev.end_time.unwrap_or(ev.start_time),
        timezone: ev.timezone.clone().unwrap_or_else(|| "UTC".into()),
        online: ev.online(),
        venue,
        capacity: ev.maximum_attendee_capacity.and_then(|c| i32::try_from(c).ok()),
        remaining: ev.remaining_attendee_capacity.and_then(|c| i32::try_from(c).ok()),
        cancelled: ev.cancelled(),
        external_url: ev.external_participation_url.as_ref().map(|u| u.to_string()),
        updated: ev.updated,
        tags: ev.hashtags(),
        public: ev.is_public(),
        picture: ev.picture(),
    }
}

/// A group on another server invites one of ours to co-host its event (`Offer`, `target` our
/// group): the event is fetched from its server (the library checks the id it answers) and
/// the domain decides.
async fn receive_offer(data: &FedData<State>, actor: &ApActor, activity: &Received<Ref>) -> Result<(), FedError> {
    let state = data.app_data();
    let ActorSource::Group(inviter) = &actor.source else {
        return Err(FedError::Ignored("an Offer not from a group".into()));
    };
    let target = activity.target.id().ok_or_else(|| FedError::Ignored("Offer without target".into()))?;
    let Some(invited) = ApActor::by_ap_id(state, target.as_str()).await? else {
        return Err(FedError::Ignored("an Offer to nobody here".into()));
    };
    let ActorSource::Group(invited) = &invited.source else {
        return Err(FedError::Ignored("an Offer to something other than a group".into()));
    };
    if !invited.local || inviter.local {
        return Err(FedError::Ignored("an Offer between groups not here and elsewhere".into()));
    }
    let event = activity.object.id().ok_or_else(|| FedError::BadRequest("Offer without object".into()))?;
    if !same_origin(event, &actor.id) {
        return Err(forbidden("the offered event is not the inviting group's"));
    }
    let fetched = activitypub_federation::fetch::fetch_object_http::<State, Object>(event, data).await?;
    let Object::Event(ev) = &fetched.object else { return Err(malformed("Event", &fetched.object)) };
    if &ev.id != event || ev.group().is_some_and(|a| a != actor.id) {
        return Err(forbidden("the offered event is not the inviting group's"));
    }
    event_federation::cohost_offered(state, inviter, invited, activity.id.as_str(), incoming(ev)).await?;
    Ok(())
}

/// `Delete` of an event by its group.
pub async fn remove(data: &FedData<State>, actor: &ApActor, target: &Url) -> Result<bool, FedError> {
    Ok(event_federation::remove(data.app_data(), actor.id.as_str(), target.as_str()).await?)
}

fn person(actor: &ApActor) -> Option<member::Model> {
    match &actor.source {
        ActorSource::Member(m) if !m.local => Some((**m).clone()),
        _ => None,
    }
}

/// A remote person registers for one of our events, as a local `rsvp` does; refused
/// registrations (closed, cancelled, full without a waitlist) are answered with `Reject`.
async fn receive_join(data: &FedData<State>, actor: &ApActor, activity: &Received<Ref>) -> Result<(), FedError> {
    let state = data.app_data();
    let who = person(actor).ok_or_else(|| FedError::Ignored("Join not from a remote person".into()))?;
    let target = activity.object.id().ok_or_else(|| FedError::BadRequest("Join without object".into()))?;
    let Some(e) = event_federation::local_by_ap_id(state, target.as_str()).await? else {
        return Err(FedError::Ignored("Join of an unknown event".into()));
    };
    if !crate::domain::events::may_view(&state.db, &crate::domain::viewer::Viewer::Anonymous, &e).await? {
        return Err(FedError::Ignored("Join of an event not open to the public".into()));
    }
    let via = Via::Join(activity.id.as_str());
    match registrations::register(state, &who, &e, None, via).await {
        Ok(_) => Ok(()),
        Err(AppError::Conflict(why)) => Ok(event_federation::refuse(state, &e, &who, via, &why).await?),
        Err(other) => Err(FedError::App(AppErrorBox(other))),
    }
}

/// `Leave` (or `Undo(Join)`): the seat goes back and the waitlist moves up.
pub async fn receive_leave(data: &FedData<State>, actor: &ApActor, event: Option<&Url>) -> Result<(), FedError> {
    let state = data.app_data();
    let who = person(actor).ok_or_else(|| FedError::Ignored("Leave not from a remote person".into()))?;
    let target = event.ok_or_else(|| FedError::BadRequest("Leave without object".into()))?;
    let Some(e) = event_federation::local_by_ap_id(state, target.as_str()).await? else {
        return Err(FedError::Ignored("Leave of an unknown event".into()));
    };
    match registrations::release(state, who.id, &e).await {
        Ok(_) | Err(AppError::NotFound(_)) => Ok(()),
        Err(other) => Err(FedError::App(AppErrorBox(other))),
    }
}

/// Whether a `Note` is a vote in one of our event polls: a `name` (the option) answering a
/// poll id.
pub fn is_vote(o: &crate::ap::content::ObjectJson) -> bool {
    o.name.is_some() && o.in_reply_to().is_some_and(|u| u.path().ends_with("/poll"))
}

/// A Mastodon user votes in an event's poll: "Going" registers them (GOING, or WAITLISTED when
/// the event is full) through the same function as `rsvp`; "Not going" gives their seat back.
/// Either way the group answers with a direct note.
pub async fn receive_vote(
    data: &FedData<State>,
    voter: &member::Model,
    o: &crate::ap::content::ObjectJson,
) -> Result<(), FedError> {
    use crate::ap::participation::{GOING, NOT_GOING};
    let state = data.app_data();
    let question = o.in_reply_to().map(|u| u.to_string()).unwrap_or_default();
    let Some(e) = event_federation::event_of_poll(state, &question).await? else {
        return Err(FedError::Ignored("a vote in an unknown poll".into()));
    };
    if voter.local {
        return Err(FedError::Ignored("a vote from a local member".into()));
    }
    let vote_id = o.id.to_string();
    let via = Via::Vote(&vote_id);
    let choice = o.name.as_deref().unwrap_or_default().trim();
    if choice.eq_ignore_ascii_case(GOING) {
        if !crate::domain::events::may_view(&state.db, &crate::domain::viewer::Viewer::Anonymous, &e).await? {
            event_federation::refuse(state, &e, voter, via, "this event is not open to the public").await?;
            return Ok(());
        }
        return match registrations::register(state, voter, &e, None, via).await {
            Ok(_) => Ok(()),
            Err(AppError::Conflict(why)) => Ok(event_federation::refuse(state, &e, voter, via, &why).await?),
            Err(other) => Err(FedError::App(AppErrorBox(other))),
        };
    }
    if choice.eq_ignore_ascii_case(NOT_GOING) {
        match registrations::release(state, voter.id, &e).await {
            Ok(_) | Err(AppError::NotFound(_)) => {}
            Err(other) => return Err(FedError::App(AppErrorBox(other))),
        }
        event_federation::acknowledge(state, &e, voter, via, crate::db::enums::RegistrationStatus::Cancelled).await?;
        return Ok(());
    }
    Err(FedError::Ignored(format!("a vote for {choice:?}")))
}

/// `Undo` or `Delete` of a vote (or of a `Join`, by its id): the registration it made goes.
pub async fn withdraw_by_id(data: &FedData<State>, actor: &ApActor, id: &str) -> Result<bool, FedError> {
    let Some(who) = person(actor) else { return Ok(false) };
    Ok(registrations::release_by_via(data.app_data(), who.id, id).await?)
}
