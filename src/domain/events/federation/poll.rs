//! The RSVP poll (`Question`) that goes out with a public event: Mastodon users vote to
//! register.
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::receiving::local_by_ap_id;
use crate::ap::participation;
use crate::db::enums::{EventStatus, RegistrationStatus};
use crate::db::{event, group, registration};
use crate::domain::actors::local_followers;
use crate::domain::events::wording::{place, when};
use crate::domain::markdown;
use crate::error::AppResult;
use crate::state::AppState;

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
        markdown::escape(&when(e).first().cloned().unwrap_or_default()),
        markdown::escape(&place(e)),
        participation::GOING,
    );
    let closes = e.registration_closes_at.unwrap_or(e.ends_at);
    let id = poll_id(e);
    let followers = local_followers(&g.ap_id);
    Ok(participation::poll(&participation::PollParts {
        id: &id,
        group: &g.ap_id,
        followers: Some(&followers),
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

/// The local event a poll id names.
pub async fn event_of_poll(state: &AppState, question: &str) -> AppResult<Option<event::Model>> {
    match question.strip_suffix("/poll") {
        Some(event) => local_by_ap_id(state, event).await,
        None => Ok(None),
    }
}
