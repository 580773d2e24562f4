//! What goes out to the group's followers: the event's document (`Create`, `Update`,
//! `Delete`) with its RSVP poll, addressed as the event's visibility says, and short public
//! notes for Mastodon.
use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::poll::{poll_id, poll_of};
use super::{federated, shown_publicly, Change, Sent};
use crate::ap::{activities, participation};
use crate::db::enums::Visibility;
use crate::db::{event, group};
use crate::domain::actors::local_followers;
use crate::domain::events::document::document;
use crate::domain::events::lookup;
use crate::domain::markdown;
use crate::domain::outbox::{self, Outgoing};
use crate::error::AppResult;
use crate::state::AppState;

/// The event's document as its group sends it (a public organiser, the confirmed co-hosts).
pub async fn document_of<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    g: &group::Model,
) -> AppResult<serde_json::Value> {
    let organizer = lookup::organizer(conn, e).await?.filter(crate::domain::visibility::member_public);
    let contributors = confirmed_cohosts(conn, e).await?;
    let picture = crate::domain::media::image(conn, state, e.picture_id).await?;
    document(state, e, g, organizer.as_ref(), &contributors, picture)
}

/// The ActivityPub ids of the co-hosting groups that accepted (listed as `contributors`).
pub async fn confirmed_cohosts<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<String>> {
    let hosts = crate::domain::events::hosts(conn, e).await?;
    Ok(hosts.iter().filter(|g| g.id != e.group_id).map(|g| g.ap_id.clone()).collect())
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
    let inboxes = outbox::follower_inboxes(conn, g.id).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let was_public = before == Some(Visibility::Public);
    let is_public = change != Change::Delete && shown_publicly(e);
    let id = outbox::activity_id(state, change.as_str());
    let followers = vec![local_followers(&g.ap_id)];
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
        let cc = vec![local_followers(&g.ap_id)];
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
    let inboxes = outbox::follower_inboxes(conn, g.id).await?;
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
    let note = participation::announcement(
        &note_id,
        &g.ap_id,
        Some(local_followers(&g.ap_id).as_str()),
        &html,
        &url,
        Utc::now(),
    );
    let id = outbox::activity_id(state, "Create");
    let payload = activities::wrap(activities::Kind::Create, &id, &g.ap_id, note);
    outbox::enqueue(conn, state, Outgoing::from_group(&g, id, "Create", payload, true, inboxes)).await?;
    Ok(())
}
