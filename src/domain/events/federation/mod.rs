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
//!
//! Its files: `publishing` (what goes out, and to whom), `poll` (the RSVP poll), `receiving`
//! (remote events stored here), `answers` (answers to remote people's registrations),
//! `joining` (our members at remote events), `cohosts` (co-hosts on other servers). This file
//! holds what they share: whether an event goes out at all, and the keys made before a
//! transaction.
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::db::enums::{EventStatus, Visibility};
use crate::db::{event, group};
use crate::domain::actors::{ensure_keys, ApActor};
use crate::domain::outbox;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

mod answers;
mod cohosts;
mod joining;
mod poll;
mod publishing;
mod receiving;

pub use answers::{acknowledge, answer, answer_join, direct_note, refuse, Via};
pub use cohosts::{cohost_answered, cohost_offered, offer_cohosts, prepare_offers};
pub use joining::{join_answered, join_remote, leave_remote};
pub use poll::{event_of_poll, poll_id, poll_of};
pub use publishing::{announce_note, confirmed_cohosts, document_of, publish};
pub use receiving::{local_by_ap_id, receive, remove, IncomingEvent};

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
    if outbox::follower_inboxes(&state.db, group_id).await?.is_empty() {
        return Ok(false);
    }
    let g = group::Entity::find_by_id(group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    if !g.local {
        return Ok(false);
    }
    ensure_keys(state, ApActor::of_group(&state.db, g).await?).await?;
    Ok(true)
}

/// Before a change of `e` (outside the transaction): whether it reaches other servers; if so,
/// its group's keys are made now.
pub async fn prepare(state: &AppState, e: &event::Model) -> AppResult<bool> {
    if !e.local {
        return Ok(false);
    }
    let inboxes = outbox::follower_inboxes(&state.db, e.group_id).await?;
    if inboxes.is_empty() {
        return Ok(false);
    }
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    ensure_keys(state, ApActor::of_group(&state.db, g).await?).await?;
    Ok(true)
}

/// Makes sure the event's group can sign (before a transaction that answers a `Join`).
pub async fn prepare_answer(state: &AppState, e: &event::Model) -> AppResult<()> {
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    ensure_keys(state, ApActor::of_group(&state.db, g).await?).await?;
    Ok(())
}
