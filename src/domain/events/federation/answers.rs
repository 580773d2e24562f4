//! Answers to remote people's registrations: `Accept` or `Reject` of a `Join`, a private note
//! for a vote in the poll.
use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::prepare_answer;
use crate::ap::{activities, participation};
use crate::db::enums::RegistrationStatus;
use crate::db::{self, event, group, member};
use crate::domain::events::rules::open_seats;
use crate::domain::events::wording::when;
use crate::domain::markdown;
use crate::domain::outbox::{self, Outgoing};
use crate::error::AppResult;
use crate::state::AppState;

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
            let when = when(e).first().cloned().unwrap_or_default();
            let text = match (outcome, why) {
                (Some(RegistrationStatus::Going), _) => format!("You're going to {} on {when}.", e.title),
                (Some(RegistrationStatus::Waitlisted), _) => {
                    format!("{} is full: you're on the waitlist, and we'll tell you if a seat frees up.", e.title)
                }
                (Some(RegistrationStatus::Requested), _) if open_seats(e).is_some_and(|n| n > 0) => format!(
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
            direct_note(conn, state, e, person, None, id, &text).await
        }
    }
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
    let Some(inbox) = outbox::inbox_of(conn, person.id).await? else {
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

/// A private note from the event's group to one person, mentioning them, in reply to
/// `in_reply_to`; at `note_id` when given (a fresh id otherwise).
pub async fn direct_note<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    person: &member::Model,
    note_id: Option<String>,
    in_reply_to: &str,
    text: &str,
) -> AppResult<()> {
    let Some(g) = group::Entity::find_by_id(e.group_id).one(conn).await? else { return Ok(()) };
    let Some(inbox) = outbox::inbox_of(conn, person.id).await? else {
        return Ok(());
    };
    let name = format!("@{}", person.handle);
    let profile = crate::domain::actors::actor_row(conn, person.id).await?.url.unwrap_or_else(|| person.ap_id.clone());
    let url = e.url.clone().unwrap_or_else(|| e.ap_id.clone());
    let html = format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span> {} <a href=\"{}\">{}</a></p>",
        markdown::escape(&profile),
        markdown::escape(&name),
        markdown::escape(text),
        markdown::escape(&url),
        markdown::escape(&url),
    );
    let note_id = note_id.unwrap_or_else(|| format!("{}/notes/{}", state.base_url(), Uuid::now_v7()));
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
