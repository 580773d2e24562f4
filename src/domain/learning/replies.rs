//! People elsewhere (who registered by voting in an event's poll from Mastodon) are asked after
//! the event with a direct Note from the group; their reply to it arrives as a reflection on
//! the event. The Note's id names the event and the person, so a reply is matched without a
//! table, and only the person asked may answer it.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::db::enums::{RecordVisibility, ReflectionKind};
use crate::db::{self, event, group, member, notification, reflection};
use crate::domain::{markdown, search};
use crate::error::AppResult;
use crate::state::AppState;

/// Replies one person's prompt becomes at most.
const MAX_REPLIES: u64 = 3;

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
    let went = crate::domain::events::registrations::is_going(&state.db, e.id, person.id).await?;
    if !went {
        return Ok(None);
    }
    // Only an answer to a prompt that was sent; a few at most per person and event.
    let asked = notification::Entity::find()
        .filter(notification::Column::MemberId.eq(person.id))
        .filter(notification::Column::OnceKey.eq(format!("prompt:{}", e.id)))
        .one(&state.db)
        .await?
        .is_some();
    let answered = reflection::Entity::find()
        .filter(reflection::Column::EventId.eq(e.id))
        .filter(reflection::Column::AuthorId.eq(person.id))
        .filter(reflection::Column::Local.eq(false))
        .count(&state.db)
        .await?;
    if !asked || answered >= MAX_REPLIES {
        return Ok(None);
    }
    let cut: String = html.chars().take(super::MAX_TEXT * 2).collect();
    let html = markdown::sanitize(&cut);
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
        // Written after the event, and not in the future.
        created_at: Set(published.map_or(now, |p| p.clamp(e.ends_at.min(now), now))),
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

/// A reflection received from elsewhere (a reply to a prompt, a partner's reflection on a
/// shared question) is deleted by its author, or withdrawn by the group on another server that
/// shared it: it goes. `by` is who says so. Answers whether there was one.
pub async fn forget_reply(state: &AppState, by: &str, reply_id: &str) -> AppResult<bool> {
    let Some(r) = reflection::Entity::find()
        .filter(reflection::Column::ApId.eq(reply_id))
        .filter(reflection::Column::Local.eq(false))
        .one(&state.db)
        .await?
    else {
        return Ok(false);
    };
    let by_author = match r.author_id {
        Some(a) => member::Entity::find_by_id(a).one(&state.db).await?.is_some_and(|m| m.ap_id == by && !m.local),
        None => false,
    };
    let by_group =
        group::Entity::find_by_id(r.group_id).one(&state.db).await?.is_some_and(|g| g.ap_id == by && !g.local);
    if !(by_author || by_group) {
        return Err(crate::error::AppError::forbidden("only its author or its group may delete a reflection"));
    }
    let txn = db::begin_write(&state.db).await?;
    // A reflection on a question of ours that the group shared on: it withdraws it.
    if let Some(was) = super::federation::sent_as(&txn, &r).await? {
        super::federation::publish_reflection(&txn, state, &r, Some(was), true).await?;
    }
    reflection::Entity::delete_by_id(r.id).exec(&txn).await?;
    search::remove(&txn, search::Kind::Reflection, r.id).await?;
    txn.commit().await?;
    Ok(true)
}

/// Whether `by` is the (remote) group a received reflection belongs to.
async fn group_of_is<C: sea_orm::ConnectionTrait>(conn: &C, r: &reflection::Model, by: &str) -> AppResult<bool> {
    Ok(group::Entity::find_by_id(r.group_id).one(conn).await?.is_some_and(|g| g.ap_id == by && !g.local))
}

/// Whether `reflection` is one received here that the group `by` (on another server) shared:
/// that group may withdraw it, wherever it was written.
pub async fn shared_by<C: sea_orm::ConnectionTrait>(conn: &C, reflection: &str, by: &str) -> AppResult<bool> {
    let r = reflection::Entity::find()
        .filter(reflection::Column::ApId.eq(reflection))
        .filter(reflection::Column::Local.eq(false))
        .one(conn)
        .await?;
    match r {
        Some(r) => group_of_is(conn, &r, by).await,
        None => Ok(false),
    }
}

/// A person elsewhere is gone: their replies go with them (not left without an author).
pub async fn forget_replies_of<C: sea_orm::ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<()> {
    let ids: Vec<Uuid> = reflection::Entity::find()
        .filter(reflection::Column::AuthorId.eq(member_id))
        .filter(reflection::Column::Local.eq(false))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for id in &ids {
        search::remove(conn, search::Kind::Reflection, *id).await?;
    }
    reflection::Entity::delete_many().filter(reflection::Column::Id.is_in(ids)).exec(conn).await?;
    Ok(())
}
