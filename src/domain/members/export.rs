//! A member's own data, to take with them: their profile, registrations, posts, reflections and
//! follows as JSON, with an ActivityPub outbox of their posts (the `outbox.json` of a
//! Mastodon archive), and the accounts they follow as the CSV Mastodon's import reads.
use sea_orm::{ActiveEnum as _, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};

use crate::db::enums::FollowState;
use crate::db::{actor, event, follow, member, post, reflection, registration};
use crate::domain::viewer::Viewer;
use crate::error::AppResult;
use crate::state::AppState;

/// Rows of each kind in one export: far more than a member writes, and a bound all the same.
pub const MAX_ROWS: u64 = 10_000;

/// Everything of the signed-in member's, as one JSON document.
pub async fn export(state: &AppState, viewer: &Viewer) -> AppResult<Value> {
    let me = viewer.member()?;
    let db = &state.db;
    let registrations = registration::Entity::find()
        .filter(registration::Column::MemberId.eq(me.id))
        .order_by_asc(registration::Column::CreatedAt)
        .limit(MAX_ROWS)
        .all(db)
        .await?;
    let events =
        event::Entity::find().filter(event::Column::Id.is_in(registrations.iter().map(|r| r.event_id))).all(db).await?;
    let posts = post::Entity::find()
        .filter(post::Column::AuthorId.eq(me.id))
        .filter(post::Column::Deleted.eq(false))
        .order_by_asc(post::Column::CreatedAt)
        .limit(MAX_ROWS)
        .all(db)
        .await?;
    let reflections = reflection::Entity::find()
        .filter(reflection::Column::AuthorId.eq(me.id))
        .order_by_asc(reflection::Column::CreatedAt)
        .limit(MAX_ROWS)
        .all(db)
        .await?;
    let following = following(state, me.id).await?;
    let registrations: Vec<Value> = registrations
        .iter()
        .map(|r| {
            let e = events.iter().find(|e| e.id == r.event_id);
            json!({
                "event": e.map(|e| json!({"id": e.id, "title": e.title, "url": e.url.as_deref().unwrap_or(&e.ap_id),
                    "startsAt": e.starts_at, "endsAt": e.ends_at})),
                "status": r.status.to_value(),
                "message": r.message,
                "createdAt": r.created_at,
            })
        })
        .collect();
    Ok(json!({
        "exportedAt": chrono::Utc::now(),
        "profile": profile(state, me),
        "registrations": registrations,
        "posts": posts.iter().map(|p| json!({
            "id": p.id, "url": p.ap_id, "threadId": p.thread_id, "body": p.body, "bodyHtml": p.body_html,
            "createdAt": p.created_at, "editedAt": p.edited_at,
        })).collect::<Vec<_>>(),
        "reflections": reflections.iter().map(|r| json!({
            "id": r.id, "url": r.ap_id, "kind": r.kind.to_value(),
            "visibility": r.visibility.to_value(), "body": r.body, "intended": r.intended,
            "happened": r.happened, "why": r.why, "nextTime": r.next_time, "eventId": r.event_id,
            "createdAt": r.created_at,
        })).collect::<Vec<_>>(),
        "following": following.iter().map(|(handle, ap_id)| json!({"handle": handle, "id": ap_id})).collect::<Vec<_>>(),
        "outbox": outbox(me, &posts),
    }))
}

fn profile(state: &AppState, me: &member::Model) -> Value {
    json!({
        "id": me.ap_id, "username": me.username, "handle": format!("{}@{}", me.username, state.config.domain),
        "email": me.email, "displayName": me.display_name, "bio": me.bio, "sector": me.sector,
        "organization": me.organization, "country": me.country, "pronouns": me.pronouns,
        "interests": me.interests, "links": me.links, "avatarUrl": me.avatar_url,
        "discoverable": me.discoverable, "createdAt": me.created_at,
    })
}

/// The posts as the `Create` activities of an ActivityPub outbox.
fn outbox(me: &member::Model, posts: &[post::Model]) -> Value {
    let items: Vec<Value> = posts
        .iter()
        .map(|p| {
            json!({
                "id": format!("{}/activity", p.ap_id), "type": "Create", "actor": me.ap_id, "published": p.created_at,
                "object": {"id": p.ap_id, "type": "Note", "attributedTo": me.ap_id, "content": p.body_html,
                    "published": p.created_at, "url": p.ap_id},
            })
        })
        .collect();
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/outbox", me.ap_id),
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    })
}

/// The accounts and groups the member follows (accepted): `name@server` and their id.
pub async fn following(state: &AppState, member_id: uuid::Uuid) -> AppResult<Vec<(String, String)>> {
    let follows = follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(member_id))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .limit(MAX_ROWS)
        .all(&state.db)
        .await?;
    let actors = actor::Entity::find()
        .filter(actor::Column::Id.is_in(follows.iter().map(|f| f.target_id)))
        .all(&state.db)
        .await?;
    Ok(actors
        .into_iter()
        .map(|a| {
            let domain = a.domain.clone().unwrap_or_else(|| state.config.domain.clone());
            (format!("{}@{domain}", a.username), a.ap_id)
        })
        .collect())
}

/// The follows in the CSV Mastodon imports (`Account address,Show boosts,…`).
pub async fn following_csv(state: &AppState, viewer: &Viewer) -> AppResult<String> {
    let me = viewer.member()?;
    let mut csv = String::from("Account address,Show boosts,Notify on new posts,Languages\n");
    for (handle, _) in following(state, me.id).await? {
        // Handles are `name@host[:port]`: no commas, quotes or line breaks to escape.
        if handle.chars().all(|c| c.is_ascii_alphanumeric() || "@._-:".contains(c)) {
            csv.push_str(&format!("{handle},true,false,\n"));
        }
    }
    Ok(csv)
}
