//! Events across servers.
//! - **Out**: a published event goes from its group to the group's followers as `Create(Event)`,
//!   its changes (details, seats, status) as `Update(Event)`, its removal as `Delete`. PUBLIC
//!   events are addressed to the public and the followers; UNLISTED ones to the followers only;
//!   MEMBERS events and drafts are never sent. A cancellation or a new date also goes out as a
//!   short public `Note` from the group, because Mastodon ignores `Update`s of events.
//! - **In**: events of groups someone here follows are stored as remote events (by `ap_id`,
//!   updated in place, never duplicated) and listed with `includeRemote`.
//! - **Registration**: a remote person's `Join` takes a seat through the same function as a
//!   local `rsvp` (`registrations::register`) and is answered, in the same transaction, with
//!   `Accept` (GOING, WAITLISTED or REQUESTED, in `weave:status`) or, when refused, `Reject`.
//!   `Leave` or `Undo(Join)` gives the seat back.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::ap::participation;
use crate::db::enums::{ActorKind, EventStatus, LocationMode, RegistrationStatus, Visibility};
use crate::db::{self, event, event_host, group, member, registration};
use crate::domain::actors::{ensure_keys, ApActor};
use crate::domain::outbox::{self, Outgoing};
use crate::domain::{events, markdown, search};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use crate::ap::activities;
/// What happened to the object: one enum for every object we publish.
pub use crate::ap::activities::Change;

/// Whether an event is sent at all.
fn federated(e: &event::Model) -> bool {
    e.local && e.status != EventStatus::Draft && e.visibility != Visibility::Members
}

/// Whether an event is public on the wire now (sent to the public, with its poll, and listed
/// in its group's outbox).
pub fn shown_publicly(e: &event::Model) -> bool {
    federated(e) && e.visibility == Visibility::Public
}

/// The event's document as its group sends it (a public organiser, the confirmed co-hosts).
pub async fn document_of<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    g: &group::Model,
) -> AppResult<serde_json::Value> {
    let organizer = events::organizer(conn, e).await?.filter(crate::domain::visibility::member_public);
    let contributors = confirmed_cohosts(conn, e).await?;
    events::document(state, e, g, organizer.as_ref(), &contributors)
}

/// What the group's followers were sent of an event before a change: nothing, or the event
/// addressed as its visibility then was (PUBLIC: the public and the followers, with its RSVP
/// poll; UNLISTED: the followers only, without a poll). A retraction goes to that audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    No,
    /// Sent with the visibility it has now (a change that does not touch who hears of it).
    AsNow,
    /// Sent with this visibility.
    As(Visibility),
}

/// `true`: sent as it is now; `false`: not sent.
impl From<bool> for Sent {
    fn from(sent: bool) -> Self {
        if sent {
            Sent::AsNow
        } else {
            Sent::No
        }
    }
}

/// What the group's followers were sent of this event (as it was before a change).
pub fn was_sent(before: &event::Model) -> Sent {
    if federated(before) {
        Sent::As(before.visibility)
    } else {
        Sent::No
    }
}

/// Before a new event of a local group: whether the group has followers elsewhere; if so, its
/// keys are made now.
pub async fn prepare_group(state: &AppState, group_id: Uuid) -> AppResult<bool> {
    if outbox::follower_inboxes(&state.db, ActorKind::Group, group_id).await?.is_empty() {
        return Ok(false);
    }
    let g = group::Entity::find_by_id(group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    if !g.local {
        return Ok(false);
    }
    ensure_keys(state, ApActor::from_group(g)?).await?;
    Ok(true)
}

/// Before a change of `e` (outside the transaction): whether it reaches other servers; if so,
/// its group's keys are made now.
pub async fn prepare(state: &AppState, e: &event::Model) -> AppResult<bool> {
    if !e.local {
        return Ok(false);
    }
    let inboxes = outbox::follower_inboxes(&state.db, ActorKind::Group, e.group_id).await?;
    if inboxes.is_empty() {
        return Ok(false);
    }
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    ensure_keys(state, ApActor::from_group(g)?).await?;
    Ok(true)
}

/// Sends a change of a local event to its group's followers, in the caller's transaction, from
/// the row as that transaction sees it. `was_sent` tells what the followers have already (a
/// draft being published is a `Create`; a published event becoming MEMBERS-only a `Delete`).
/// A `Delete` (of the event, and of its poll when the poll went out) is addressed as the
/// object was, and is listed in the public outbox only when the object was public: an
/// UNLISTED event's retraction goes to the followers alone.
pub async fn publish<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    change: Change,
    was_sent: impl Into<Sent>,
) -> AppResult<()> {
    let before = match was_sent.into() {
        Sent::No => None,
        Sent::AsNow => federated(e).then_some(e.visibility),
        Sent::As(v) => Some(v),
    };
    let change = match (change, before.is_some(), federated(e)) {
        (Change::Delete, false, _) => return Ok(()),
        (Change::Delete, true, _) => Change::Delete,
        (_, false, false) => return Ok(()),
        (_, true, false) => Change::Delete,
        (_, false, true) => Change::Create,
        (c, true, true) => c,
    };
    let Some(g) = group::Entity::find_by_id(e.group_id).one(conn).await? else { return Ok(()) };
    let inboxes = outbox::follower_inboxes(conn, ActorKind::Group, g.id).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let was_public = before == Some(Visibility::Public);
    let is_public = change != Change::Delete && shown_publicly(e);
    let id = outbox::activity_id(state, change.as_str());
    let followers = g.followers_url.clone().map(|f| vec![f]).unwrap_or_default();
    // What goes (and whether it is listed publicly) is what was there: a retraction never
    // makes public what was not.
    let public = if change == Change::Delete { was_public } else { is_public };
    // A public event goes to the public, its followers in copy; an UNLISTED one to the
    // followers only, never to the public collection.
    let (to, cc) = if public { (vec![crate::ap::PUBLIC.to_string()], followers) } else { (followers, vec![]) };
    let payload = if change == Change::Delete {
        activities::delete(&id, &g.ap_id, &e.ap_id, to, cc)
    } else {
        let mut doc = document_of(conn, state, e, &g).await?;
        if let Some(o) = doc.as_object_mut() {
            o.insert("to".into(), to.iter().cloned().map(serde_json::Value::String).collect());
            o.insert("cc".into(), cc.iter().cloned().map(serde_json::Value::String).collect());
        }
        activities::wrap(change.kind(), &id, &g.ap_id, doc)
    };
    outbox::enqueue(conn, state, Outgoing::from_group(&g, id, change.as_str(), payload, public, inboxes.clone()))
        .await?;
    // The RSVP poll goes out with a public event, and goes when the event stops being public
    // (addressed as it was: the public and the followers).
    let poll_change = match (was_public, is_public) {
        (false, true) => Change::Create,
        (true, true) => change,
        (true, false) => Change::Delete,
        (false, false) => return Ok(()),
    };
    let id = outbox::activity_id(state, poll_change.as_str());
    let payload = if poll_change == Change::Delete {
        let cc = g.followers_url.iter().cloned().collect();
        activities::delete(&id, &g.ap_id, &poll_id(e), vec![crate::ap::PUBLIC.into()], cc)
    } else {
        activities::wrap(poll_change.kind(), &id, &g.ap_id, poll_of(conn, e, &g).await?)
    };
    outbox::enqueue(conn, state, Outgoing::from_group(&g, id, poll_change.as_str(), payload, true, inboxes)).await?;
    Ok(())
}

/// A short public note from the group about an event (cancelled, new date), for Mastodon.
pub async fn announce_note<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    text: &str,
) -> AppResult<()> {
    if !federated(e) || e.visibility != Visibility::Public {
        return Ok(());
    }
    let Some(g) = group::Entity::find_by_id(e.group_id).one(conn).await? else { return Ok(()) };
    let inboxes = outbox::follower_inboxes(conn, ActorKind::Group, g.id).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let url = e.url.clone().unwrap_or_else(|| e.ap_id.clone());
    let html = format!(
        "<p>{}</p><p><a href=\"{}\">{}</a></p>",
        markdown::escape(text),
        markdown::escape(&url),
        markdown::escape(&e.title)
    );
    let note_id = format!("{}/notes/{}", state.base_url(), Uuid::now_v7());
    let note = participation::announcement(&note_id, &g.ap_id, g.followers_url.as_deref(), &html, &url, Utc::now());
    let id = outbox::activity_id(state, "Create");
    let payload = activities::wrap(activities::Kind::Create, &id, &g.ap_id, note);
    outbox::enqueue(conn, state, Outgoing::from_group(&g, id, "Create", payload, true, inboxes)).await?;
    Ok(())
}

/// The group's answer to a remote person's `Join`, in the caller's transaction.
pub async fn answer_join<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    person: &member::Model,
    join_id: &str,
    outcome: Option<RegistrationStatus>,
) -> AppResult<()> {
    let Some(g) = group::Entity::find_by_id(e.group_id).one(conn).await? else { return Ok(()) };
    let Some(inbox) = outbox::member_inbox(person) else {
        return Ok(());
    };
    let (kind, status) = match outcome {
        Some(RegistrationStatus::Going) => (activities::Kind::Accept, Some("GOING")),
        Some(RegistrationStatus::Waitlisted) => (activities::Kind::Accept, Some("WAITLISTED")),
        Some(RegistrationStatus::Requested) => (activities::Kind::Accept, Some("REQUESTED")),
        _ => (activities::Kind::Reject, None),
    };
    let id = outbox::activity_id(state, kind.as_str());
    let payload = participation::answer_join(kind, &id, &g.ap_id, join_id, &person.ap_id, &e.ap_id, status);
    outbox::enqueue(conn, state, Outgoing::from_group(&g, id, kind.as_str(), payload, false, vec![inbox])).await?;
    Ok(())
}

/// Makes sure the event's group can sign (before a transaction that answers a `Join`).
pub async fn prepare_answer(state: &AppState, e: &event::Model) -> AppResult<()> {
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    ensure_keys(state, ApActor::from_group(g)?).await?;
    Ok(())
}

/// What a remote event says, as the adapter read it.
pub struct IncomingEvent {
    pub ap_id: String,
    pub url: String,
    pub title: String,
    pub summary: Option<String>,
    pub html: Option<String>,
    pub starts_at: chrono::DateTime<Utc>,
    pub ends_at: chrono::DateTime<Utc>,
    pub timezone: String,
    pub online: bool,
    pub venue: Option<participation::Venue>,
    pub capacity: Option<i32>,
    pub remaining: Option<i32>,
    pub cancelled: bool,
    pub external_url: Option<String>,
    pub tags: Vec<String>,
    pub public: bool,
    /// When its server last changed it, if it says.
    pub updated: Option<chrono::DateTime<Utc>>,
}

fn clip(s: &str, n: usize) -> String {
    s.trim().chars().filter(|c| !c.is_control() || *c == '\n').take(n).collect()
}

/// Stores (or updates in place) an event of a group we follow on another server.
pub async fn receive(state: &AppState, g: &group::Model, ev: IncomingEvent) -> AppResult<event::Model> {
    let html = match ev.html.as_deref() {
        Some(h) if h.chars().count() > 100_000 => return Err(AppError::bad_input("content", "the text is too long")),
        Some(h) => Some(markdown::sanitize(h)),
        None => None,
    };
    let timezone = events::parse_zone(&ev.timezone).map(|_| ev.timezone.clone()).unwrap_or_else(|_| "UTC".into());
    let ends_at = if ev.ends_at > ev.starts_at { ev.ends_at } else { ev.starts_at + chrono::Duration::hours(1) };
    let sessions = serde_json::to_value([events::Session { starts_at: ev.starts_at, ends_at, title: None }])
        .map_err(AppError::internal)?;
    let mode = match (&ev.venue, ev.online) {
        (Some(_), true) => LocationMode::Hybrid,
        (Some(_), false) => LocationMode::InPerson,
        (None, _) => LocationMode::Online,
    };
    let participation::Venue { name: venue, street, locality: city, country } = ev.venue.unwrap_or_default();
    let capacity = ev.capacity.filter(|c| *c >= 0);
    let taken = match (capacity, ev.remaining) {
        (Some(c), Some(r)) => (c - r.clamp(0, c)).max(0),
        _ => 0,
    };
    let tags: Vec<String> = ev.tags.iter().map(|t| clip(t, 60)).filter(|t| !t.is_empty()).take(20).collect();
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let existing = event::Entity::find().filter(event::Column::ApId.eq(&ev.ap_id)).one(&txn).await?;
    if let Some(x) = &existing {
        if x.local || x.group_id != g.id {
            return Err(AppError::forbidden("that event belongs to another group"));
        }
        // A late delivery of an older state (a retry, two updates in flight) changes nothing.
        if let (Some(had), Some(new)) = (x.remote_updated_at, ev.updated) {
            if new < had {
                txn.rollback().await?;
                return Ok(x.clone());
            }
        }
    }
    let id = existing.as_ref().map(|x| x.id).unwrap_or_else(Uuid::now_v7);
    let mut row: event::ActiveModel = match &existing {
        Some(x) => x.clone().into(),
        None => event::ActiveModel {
            id: Set(id),
            ap_id: Set(ev.ap_id.clone()),
            local: Set(false),
            group_id: Set(g.id),
            organizer_id: Set(None),
            description: Set(None),
            online_url: Set(None),
            held_seats: Set(0),
            waitlist_enabled: Set(false),
            waitlist_count: Set(0),
            request_count: Set(0),
            registration_closes_at: Set(None),
            refund_policy: Set(None),
            contact_email: Set(None),
            price_amount: Set(None),
            price_currency: Set(None),
            payment_url: Set(None),
            agenda: Set(serde_json::json!([])),
            faq: Set(serde_json::json!([])),
            facilitators: Set(serde_json::json!([])),
            cancel_reason: Set(None),
            sequence: Set(0),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.local = Set(false);
    row.url = Set(Some(ev.url.clone()));
    row.title = Set(clip(&ev.title, 200));
    row.summary = Set(ev.summary.as_deref().map(|s| clip(s, 500)).filter(|s| !s.is_empty()));
    row.description_html = Set(html);
    row.timezone = Set(timezone);
    row.starts_at = Set(ev.starts_at);
    row.ends_at = Set(ends_at);
    row.sessions = Set(sessions);
    row.location_mode = Set(mode);
    row.venue = Set(venue);
    row.address = Set(street);
    row.city = Set(city);
    row.country = Set(country);
    row.capacity = Set(capacity);
    row.seats_taken = Set(taken);
    // Checked by the link rule where it was read.
    row.external_registration_url = Set(ev.external_url);
    row.tags = Set(serde_json::json!(tags));
    row.visibility = Set(if ev.public { Visibility::Public } else { Visibility::Unlisted });
    row.status = Set(if ev.cancelled { EventStatus::Cancelled } else { EventStatus::Published });
    row.updated_at = Set(now);
    row.last_refreshed_at = Set(Some(now));
    if ev.updated.is_some() {
        row.remote_updated_at = Set(ev.updated);
    }
    if existing.is_some() {
        let seq = existing.as_ref().map(|x| x.sequence + 1).unwrap_or(0);
        row.sequence = Set(seq);
        row.update(&txn).await?;
    } else {
        row.insert(&txn).await?;
        event_host::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(id),
            group_id: Set(g.id),
            position: Set(0),
            confirmed: Set(true),
        }
        .insert(&txn)
        .await?;
    }
    let saved = event::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("event"))?;
    events::write_tags(&txn, &saved).await?;
    search::index_event(&txn, &saved).await?;
    txn.commit().await?;
    state.bus.publish(&state.db, crate::bus::Change::Event { id }).await;
    Ok(saved)
}

/// A `Delete` of a remote event by its group (or its server): it goes, with its registrations.
pub async fn remove(state: &AppState, group_ap_id: &str, ap_id: &str) -> AppResult<bool> {
    let Some(e) = event::Entity::find().filter(event::Column::ApId.eq(ap_id)).one(&state.db).await? else {
        return Ok(false);
    };
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?;
    if e.local || g.is_none_or(|g| g.ap_id != group_ap_id) {
        return Err(AppError::forbidden("only its group may delete an event"));
    }
    let txn = db::begin_write(&state.db).await?;
    registration::Entity::delete_many().filter(registration::Column::EventId.eq(e.id)).exec(&txn).await?;
    event_host::Entity::delete_many().filter(event_host::Column::EventId.eq(e.id)).exec(&txn).await?;
    event::Entity::delete_by_id(e.id).exec(&txn).await?;
    search::remove(&txn, search::Kind::Event, e.id).await?;
    txn.commit().await?;
    Ok(true)
}

/// A local event by its ActivityPub id (what a `Join` names).
pub async fn local_by_ap_id(state: &AppState, ap_id: &str) -> AppResult<Option<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::ApId.eq(ap_id))
        .filter(event::Column::Local.eq(true))
        .one(&state.db)
        .await?)
}

/// The id of an event's RSVP poll.
pub fn poll_id(e: &event::Model) -> String {
    format!("{}/poll", e.ap_id)
}

/// The event's RSVP poll (`Question`), with the current counts: "Going" counts the seats
/// taken, "Not going" the registrations given back.
pub async fn poll_of<C: ConnectionTrait>(conn: &C, e: &event::Model, g: &group::Model) -> AppResult<serde_json::Value> {
    use sea_orm::PaginatorTrait as _;
    let not_going = registration::Entity::find()
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Cancelled))
        .count(conn)
        .await?;
    let url = e.url.clone().unwrap_or_else(|| e.ap_id.clone());
    let html = format!(
        "<p>Are you coming to <a href=\"{}\">{}</a>? {} · {}.</p><p>Vote “{}” to take a seat (or a place on the waitlist); the group answers you privately.</p>",
        markdown::escape(&url),
        markdown::escape(&e.title),
        markdown::escape(&events::when(e).first().cloned().unwrap_or_default()),
        markdown::escape(&events::place(e)),
        participation::GOING,
    );
    let closes = e.registration_closes_at.unwrap_or(e.ends_at);
    let id = poll_id(e);
    Ok(participation::poll(&participation::PollParts {
        id: &id,
        group: &g.ap_id,
        followers: g.followers_url.as_deref(),
        event_url: &url,
        html: &html,
        going: i64::from(e.seats_taken),
        not_going: i64::try_from(not_going).unwrap_or(i64::MAX),
        end_time: closes,
        closed: e.status == EventStatus::Cancelled || Utc::now() >= closes,
        published: e.created_at,
        updated: e.updated_at,
    }))
}

/// How a registration came: a local `rsvp`, a remote `Join` (answered with `Accept`), or a
/// vote in the event's poll (answered with a direct note).
#[derive(Clone, Copy, Debug)]
pub enum Via<'a> {
    Local,
    Join(&'a str),
    Vote(&'a str),
}

impl Via<'_> {
    /// The id kept with the registration (so that an `Undo` or `Delete` of it can be matched).
    pub fn ap_id(&self) -> Option<String> {
        match self {
            Via::Local => None,
            Via::Join(id) | Via::Vote(id) => Some((*id).to_string()),
        }
    }
}

/// Answers a remote registration, in the caller's transaction (`outcome` `None`: refused, with
/// `why`).
pub async fn answer<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    person: &member::Model,
    via: Via<'_>,
    outcome: Option<RegistrationStatus>,
    why: Option<&str>,
) -> AppResult<()> {
    match via {
        Via::Local => Ok(()),
        Via::Join(id) => answer_join(conn, state, e, person, id, outcome).await,
        Via::Vote(id) => {
            let when = events::when(e).first().cloned().unwrap_or_default();
            let text = match (outcome, why) {
                (Some(RegistrationStatus::Going), _) => format!("You're going to {} on {when}.", e.title),
                (Some(RegistrationStatus::Waitlisted), _) => {
                    format!("{} is full: you're on the waitlist, and we'll tell you if a seat frees up.", e.title)
                }
                (Some(RegistrationStatus::Requested), _) if events::open_seats(e).is_some_and(|n| n > 0) => format!(
                    "Many people from your server have registered for {}: the hosts will review your request and \
                     tell you.",
                    e.title
                ),
                (Some(RegistrationStatus::Requested), _) => {
                    format!("{} is full: the hosts have your request for one of the seats they hold.", e.title)
                }
                (Some(RegistrationStatus::Cancelled), _) => format!("Noted: you're not going to {}.", e.title),
                (_, Some(why)) => format!("Sorry, we could not register you for {}: {why}.", e.title),
                _ => format!("Sorry, we could not register you for {}.", e.title),
            };
            direct_note(conn, state, e, person, id, &text).await
        }
    }
}

/// A private note from the event's group to one person, mentioning them.
async fn direct_note<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    person: &member::Model,
    in_reply_to: &str,
    text: &str,
) -> AppResult<()> {
    let Some(g) = group::Entity::find_by_id(e.group_id).one(conn).await? else { return Ok(()) };
    let Some(inbox) = outbox::member_inbox(person) else {
        return Ok(());
    };
    let name = format!("@{}", person.handle);
    let url = e.url.clone().unwrap_or_else(|| e.ap_id.clone());
    let html = format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span> {} <a href=\"{}\">{}</a></p>",
        markdown::escape(person.url.as_deref().unwrap_or(&person.ap_id)),
        markdown::escape(&name),
        markdown::escape(text),
        markdown::escape(&url),
        markdown::escape(&url),
    );
    let note_id = format!("{}/notes/{}", state.base_url(), Uuid::now_v7());
    let note = participation::direct_note(&note_id, &g.ap_id, &person.ap_id, &name, &html, in_reply_to, Utc::now());
    let id = outbox::activity_id(state, "Create");
    let payload = activities::wrap(activities::Kind::Create, &id, &g.ap_id, note);
    outbox::enqueue(conn, state, Outgoing::from_group(&g, id, "Create", payload, false, vec![inbox])).await?;
    Ok(())
}

/// A refused registration is answered in its own transaction (nothing else was written).
pub async fn refuse(
    state: &AppState,
    e: &event::Model,
    person: &member::Model,
    via: Via<'_>,
    why: &str,
) -> AppResult<()> {
    prepare_answer(state, e).await?;
    let txn = db::begin_write(&state.db).await?;
    answer(&txn, state, e, person, via, None, Some(why)).await?;
    txn.commit().await?;
    Ok(())
}

/// Answers a remote registration that went through (its own transaction).
pub async fn acknowledge(
    state: &AppState,
    e: &event::Model,
    person: &member::Model,
    via: Via<'_>,
    outcome: RegistrationStatus,
) -> AppResult<()> {
    prepare_answer(state, e).await?;
    let txn = db::begin_write(&state.db).await?;
    answer(&txn, state, e, person, via, Some(outcome), None).await?;
    txn.commit().await?;
    Ok(())
}

/// The local event a poll id names.
pub async fn event_of_poll(state: &AppState, question: &str) -> AppResult<Option<event::Model>> {
    match question.strip_suffix("/poll") {
        Some(event) => local_by_ap_id(state, event).await,
        None => Ok(None),
    }
}

/// A local member registers for an event on another server: the registration waits
/// (REQUESTED) while a `Join` goes to the event's group; its `Accept` or `Reject` settles it
/// ([`join_answered`]). Seats are counted on the event's own server.
pub async fn join_remote(state: &AppState, me: &member::Model, e: &event::Model) -> AppResult<registration::Model> {
    if e.status == EventStatus::Cancelled {
        return Err(AppError::conflict("this event was cancelled; it takes no registrations"));
    }
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    let inbox = outbox::group_inbox(&g).ok_or_else(|| AppError::conflict("the event's group cannot be reached"))?;
    ensure_keys(state, ApActor::from_member(me.clone())?).await?;
    let join_id = outbox::activity_id(state, "Join");
    let txn = db::begin_write(&state.db).await?;
    let existing = registration::Entity::find()
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::MemberId.eq(me.id))
        .one(&txn)
        .await?;
    if let Some(r) = &existing {
        if matches!(
            r.status,
            RegistrationStatus::Going | RegistrationStatus::Waitlisted | RegistrationStatus::Requested
        ) {
            return Ok(r.clone());
        }
    }
    let now = Utc::now();
    let saved = match existing {
        Some(r) => {
            let mut row: registration::ActiveModel = r.into();
            row.status = Set(RegistrationStatus::Requested);
            row.via_ap_id = Set(Some(join_id.clone()));
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            registration::ActiveModel {
                id: Set(Uuid::now_v7()),
                event_id: Set(e.id),
                member_id: Set(me.id),
                status: Set(RegistrationStatus::Requested),
                waitlist_seq: Set(None),
                message: Set(None),
                via_ap_id: Set(Some(join_id.clone())),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    let payload = participation::join(&join_id, &me.ap_id, &e.ap_id, &g.ap_id);
    outbox::enqueue(&txn, state, Outgoing::from_member(me, join_id, "Join", payload, false, vec![inbox])).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The group of a remote event answered one of our members' `Join`: the registration becomes
/// what it says (GOING unless `weave:status` says WAITLISTED or REQUESTED), or DECLINED.
/// Only that group may answer. Answers `false` when the id is no `Join` of ours.
pub async fn join_answered(
    state: &AppState,
    responder: &str,
    join_id: &str,
    accepted: bool,
    status: Option<&str>,
) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let Some(r) = registration::Entity::find().filter(registration::Column::ViaApId.eq(join_id)).one(&txn).await?
    else {
        return Ok(false);
    };
    let Some(e) = event::Entity::find_by_id(r.event_id).one(&txn).await? else { return Ok(false) };
    let g = group::Entity::find_by_id(e.group_id).one(&txn).await?;
    if e.local || g.is_none_or(|g| g.ap_id != responder) {
        return Err(AppError::forbidden("only the event's group may answer"));
    }
    let to = match (accepted, status) {
        (false, _) => RegistrationStatus::Declined,
        (true, Some("WAITLISTED")) => RegistrationStatus::Waitlisted,
        (true, Some("REQUESTED")) => RegistrationStatus::Requested,
        (true, _) => RegistrationStatus::Going,
    };
    let mut row: registration::ActiveModel = r.into();
    row.status = Set(to);
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    txn.commit().await?;
    state.bus.publish(&state.db, crate::bus::Change::Event { id: e.id }).await;
    Ok(true)
}

/// A local member cancels their registration for a remote event: a `Leave` goes to its group.
pub async fn leave_remote(state: &AppState, me: &member::Model, e: &event::Model) -> AppResult<registration::Model> {
    let r = registration::Entity::find()
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::MemberId.eq(me.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("registration"))?;
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    ensure_keys(state, ApActor::from_member(me.clone())?).await?;
    let txn = db::begin_write(&state.db).await?;
    let mut row: registration::ActiveModel = r.into();
    row.status = Set(RegistrationStatus::Cancelled);
    row.updated_at = Set(Utc::now());
    let saved = row.update(&txn).await?;
    if let Some(inbox) = outbox::group_inbox(&g) {
        let id = outbox::activity_id(state, "Leave");
        let payload = participation::leave(&id, &me.ap_id, &e.ap_id, &g.ap_id);
        outbox::enqueue(&txn, state, Outgoing::from_member(me, id, "Leave", payload, false, vec![inbox])).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// The ActivityPub ids of the co-hosting groups that accepted (listed as `contributors`).
pub async fn confirmed_cohosts<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<String>> {
    let hosts = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(e.id))
        .filter(event_host::Column::Confirmed.eq(true))
        .filter(event_host::Column::GroupId.ne(e.group_id))
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = hosts.iter().map(|h| h.group_id).collect();
    let mut groups = crate::domain::groups::load_many(conn, &ids).await?;
    groups.sort_by_key(|g| ids.iter().position(|i| *i == g.id));
    Ok(groups.into_iter().map(|g| g.ap_id).collect())
}

/// Before writing co-hosts (outside the transaction): whether any is on another server; if so,
/// the event's group's keys are made now, to sign the `Offer`s.
pub async fn prepare_offers(state: &AppState, group_id: Uuid, co_hosts: Option<&[Uuid]>) -> AppResult<bool> {
    let Some(ids) = co_hosts else { return Ok(false) };
    if !crate::domain::groups::load_many(&state.db, ids).await?.iter().any(|g| !g.local) {
        return Ok(false);
    }
    let g = group::Entity::find_by_id(group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    ensure_keys(state, ApActor::from_group(g)?).await?;
    Ok(true)
}

/// Invites the event's unconfirmed co-hosts on other servers: an `Offer` of the event from its
/// group to each (confirmed by their `Accept`), in the caller's transaction.
pub async fn offer_cohosts<C: ConnectionTrait>(conn: &C, state: &AppState, e: &event::Model) -> AppResult<()> {
    let Some(g) = group::Entity::find_by_id(e.group_id).one(conn).await? else { return Ok(()) };
    let pending: Vec<Uuid> = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(e.id))
        .filter(event_host::Column::Confirmed.eq(false))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.group_id)
        .collect();
    for co in crate::domain::groups::load_many(conn, &pending).await?.into_iter().filter(|c| !c.local) {
        let Some(inbox) = outbox::group_inbox(&co) else {
            continue;
        };
        let id = outbox::activity_id(state, "Offer");
        let payload = participation::offer_cohost(&id, &g.ap_id, &e.ap_id, &co.ap_id);
        outbox::enqueue(conn, state, Outgoing::from_group(&g, id, "Offer", payload, false, vec![inbox])).await?;
    }
    Ok(())
}

/// A group on another server invites one of our groups to co-host its event. Accepted when
/// the invited group follows the inviting one (a partnership both sides chose; it also keeps
/// the event current here through the inviter's `Update`s): the event is stored as a remote
/// event, listed among the invited group's events, and an `Accept` goes back in the same
/// transaction. Otherwise the invitation is declined with `Reject`.
pub async fn cohost_offered(
    state: &AppState,
    inviter: &group::Model,
    invited: &group::Model,
    offer_id: &str,
    ev: IncomingEvent,
) -> AppResult<bool> {
    let partners = crate::domain::follows::follows_group(&state.db, invited.id, inviter.id).await?;
    ensure_keys(state, ApActor::from_group(invited.clone())?).await?;
    let e = if partners { Some(receive(state, inviter, ev).await?) } else { None };
    let event_ap_id = e.as_ref().map(|e| e.ap_id.clone());
    let txn = db::begin_write(&state.db).await?;
    if let Some(e) = &e {
        let exists = event_host::Entity::find()
            .filter(event_host::Column::EventId.eq(e.id))
            .filter(event_host::Column::GroupId.eq(invited.id))
            .one(&txn)
            .await?
            .is_some();
        if !exists {
            let position = event_host::Entity::find().filter(event_host::Column::EventId.eq(e.id)).count(&txn).await?;
            event_host::ActiveModel {
                id: Set(Uuid::now_v7()),
                event_id: Set(e.id),
                group_id: Set(invited.id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                confirmed: Set(true),
            }
            .insert(&txn)
            .await?;
        }
    }
    if let Some(inbox) = outbox::group_inbox(inviter) {
        let kind = if partners { activities::Kind::Accept } else { activities::Kind::Reject };
        let id = outbox::activity_id(state, kind.as_str());
        let object = event_ap_id.unwrap_or_default();
        let payload = participation::answer_offer(kind, &id, &invited.ap_id, offer_id, &inviter.ap_id, &object);
        outbox::enqueue(&txn, state, Outgoing::from_group(invited, id, kind.as_str(), payload, false, vec![inbox]))
            .await?;
    }
    txn.commit().await?;
    Ok(partners)
}

/// The invited group answered: an `Accept` confirms it as co-host (listed in `contributors`);
/// a `Reject` removes it from the hosts. Only the invited group's answer counts.
pub async fn cohost_answered(state: &AppState, responder: &str, event_ap_id: &str, accepted: bool) -> AppResult<bool> {
    let Some(e) = local_by_ap_id(state, event_ap_id).await? else { return Ok(false) };
    let Some(g) = group::Entity::find().filter(group::Column::ApId.eq(responder)).one(&state.db).await? else {
        return Ok(false);
    };
    let federates = prepare(state, &e).await?;
    let txn = db::begin_write(&state.db).await?;
    let Some(host) = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(e.id))
        .filter(event_host::Column::GroupId.eq(g.id))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    if accepted {
        let mut row: event_host::ActiveModel = host.into();
        row.confirmed = Set(true);
        row.update(&txn).await?;
    } else {
        event_host::Entity::delete_by_id(host.id).exec(&txn).await?;
    }
    if federates {
        let now = events::lock(&txn, e.id).await?;
        publish(&txn, state, &now, Change::Update, true).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, crate::bus::Change::Event { id: e.id }).await;
    Ok(true)
}
