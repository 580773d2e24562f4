//! People elsewhere (who registered by voting in an event's poll from Mastodon) are asked after
//! the event with a direct Note from the group; their reply to it arrives as a reflection on
//! the event. The Note's id names the event and the person, so a reply is matched without a
//! table, and only the person asked may answer it.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::db::enums::{RecordVisibility, ReflectionKind, RegistrationStatus};
use crate::db::{self, event, member, reflection, registration};
use crate::domain::{markdown, search};
use crate::error::AppResult;
use crate::state::AppState;

/// What the group asks.
pub const PROMPT: &str = "How did it go? Reply to this to share a reflection with the hosts of";

/// The id of the prompt sent to `member` after event `event`.
pub fn prompt_url(state: &AppState, event: Uuid, member: Uuid) -> String {
    format!("{}/events/{event}/prompts/{member}", state.base_url())
}

/// The event and person a prompt id of ours names.
pub fn prompt_of(state: &AppState, url: &str) -> Option<(Uuid, Uuid)> {
    let rest = url.strip_prefix(&format!("{}/events/", state.base_url()))?;
    let (event, member) = rest.split_once("/prompts/")?;
    Some((Uuid::parse_str(event).ok()?, Uuid::parse_str(member).ok()?))
}

/// A person's reply to the prompt after an event: a reflection on it, seen by the group's
/// members. Only the person asked, who was GOING, may answer; the same reply twice is one
/// reflection. `None` when the reply answers no prompt of theirs.
pub async fn reflect_from_reply(
    state: &AppState,
    person: &member::Model,
    prompt: &str,
    reply_id: &str,
    html: &str,
    published: Option<DateTime<Utc>>,
) -> AppResult<Option<reflection::Model>> {
    let Some((event_id, member_id)) = prompt_of(state, prompt) else { return Ok(None) };
    if member_id != person.id {
        return Ok(None);
    }
    let Some(e) = event::Entity::find_by_id(event_id).one(&state.db).await? else { return Ok(None) };
    let went = registration::Entity::find()
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::MemberId.eq(person.id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Going))
        .one(&state.db)
        .await?
        .is_some();
    if !went {
        return Ok(None);
    }
    let html: String = markdown::sanitize(html).chars().take(super::MAX_TEXT * 2).collect();
    let text = search::plain(&html).split_whitespace().collect::<Vec<_>>().join(" ");
    let now = Utc::now();
    let row = reflection::ActiveModel {
        id: Set(Uuid::now_v7()),
        ap_id: Set(reply_id.to_owned()),
        local: Set(false),
        group_id: Set(e.group_id),
        author_id: Set(Some(person.id)),
        kind: Set(ReflectionKind::Observation),
        visibility: Set(RecordVisibility::Group),
        body: Set(Some(text)),
        body_html: Set(Some(html)),
        intended: Set(None),
        happened: Set(None),
        why: Set(None),
        next_time: Set(None),
        event_id: Set(Some(e.id)),
        session_index: Set(None),
        thread_id: Set(None),
        resource_id: Set(None),
        created_at: Set(published.filter(|p| *p <= now).unwrap_or(now)),
        updated_at: Set(now),
    };
    let txn = db::begin_write(&state.db).await?;
    reflection::Entity::insert(row)
        .on_conflict(OnConflict::column(reflection::Column::ApId).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    let saved = reflection::Entity::find().filter(reflection::Column::ApId.eq(reply_id)).one(&txn).await?;
    if let Some(r) = &saved {
        search::index_reflection(&txn, r).await?;
    }
    txn.commit().await?;
    Ok(saved)
}
