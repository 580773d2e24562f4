//! What we published, as it is now. Outboxes and activities fetched by id (`federation::
//! collections`) are stored when sent, but they are served from here, object by object:
//! - an object still there is served as it is now (edited text, new title, current counts, a
//!   profile as it reads today);
//! - a deleted post, thread, library entry or event is a `Tombstone`;
//! - what is no longer public (a hidden thread and its posts, an event become MEMBERS-only,
//!   UNLISTED or a draft, its poll and the notes about it) is not served at all;
//! - retractions (`Delete`) and activities about no object (follows, profile updates) are served
//!   as stored.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::db::{event, group, post, resource, thread};
use crate::domain::actors::ApActor;
use crate::domain::{events::federation, publishing, threads, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// An object as it is now.
pub enum Now {
    /// As it is now.
    Object(Value),
    /// Deleted: a `Tombstone` with its id.
    Tombstone(String),
    /// No longer public: the activity is not served.
    Withdrawn,
    /// Not an object we keep: served as stored.
    Stored,
}

/// A stored public activity as it may be served now, or `None` when what it carries is no
/// longer public. `Create`, `Update` and `Announce` carry the object as it is now (an
/// `Announce` of an `Update` too); everything else is served as stored.
pub async fn as_now<C: ConnectionTrait>(conn: &C, state: &AppState, mut activity: Value) -> AppResult<Option<Value>> {
    if !matches!(kind(&activity), Some("Create" | "Update" | "Announce")) {
        return Ok(Some(activity));
    }
    let Some(object) = activity.get_mut("object") else { return Ok(Some(activity)) };
    // A group's `Announce` of an activity (Lemmy style): its object is the one that counts.
    let object = match kind(object) {
        Some("Create" | "Update") => match object.get_mut("object") {
            Some(inner) => inner,
            None => return Ok(Some(activity)),
        },
        Some("Delete" | "Undo" | "Remove") => return Ok(Some(activity)),
        _ => object,
    };
    match object_now(conn, state, object).await? {
        Now::Object(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.remove("@context");
            }
            *object = v;
        }
        Now::Tombstone(id) => {
            *object = serde_json::to_value(crate::ap::activities::Tombstone::of(&id)).map_err(AppError::internal)?
        }
        Now::Withdrawn => return Ok(None),
        Now::Stored => {}
    }
    Ok(Some(activity))
}

fn kind(v: &Value) -> Option<&str> {
    v.get("type").and_then(Value::as_str)
}

/// The id of an embedded object or a bare reference.
fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

async fn object_now<C: ConnectionTrait>(conn: &C, state: &AppState, object: &Value) -> AppResult<Now> {
    let Some(id) = id_of(object) else { return Ok(Now::Stored) };
    let kind = kind(object).unwrap_or_default();
    match kind {
        "Page" | "Article" | "Note" => {
            if let Some(t) = thread::Entity::find().filter(thread::Column::ApId.eq(id)).one(conn).await? {
                if !visibility::thread_public(&t) {
                    return Ok(Now::Withdrawn);
                }
                let opening = threads::opening_post(conn, t.id).await?;
                return Ok(match publishing::page_of(conn, &t, opening.as_ref()).await? {
                    Some(page) => Now::Object(page),
                    None => Now::Tombstone(id.to_string()),
                });
            }
            if let Some(p) = post::Entity::find().filter(post::Column::ApId.eq(id)).one(conn).await? {
                let t = thread::Entity::find_by_id(p.thread_id).one(conn).await?;
                if t.is_some_and(|t| !visibility::thread_public(&t)) {
                    return Ok(Now::Withdrawn);
                }
                if p.deleted {
                    return Ok(Now::Tombstone(id.to_string()));
                }
                return Ok(match publishing::note_of(conn, state, &p).await? {
                    Some((note, _)) => Now::Object(note),
                    None => Now::Tombstone(id.to_string()),
                });
            }
            if let Some(now) = crate::domain::learning::published_now(conn, id).await? {
                return Ok(now);
            }
            if kind == "Note" {
                // A group's note about an event (cancelled, new date): public while the event is.
                let about = object.get("url").and_then(Value::as_str).unwrap_or_default();
                return match event_by(conn, about).await? {
                    Some(e) if !federation::shown_publicly(&e) => Ok(Now::Withdrawn),
                    Some(_) => Ok(Now::Stored),
                    None if is_announcement(state, id) => Ok(Now::Withdrawn),
                    None => Ok(Now::Tombstone(id.to_string())),
                };
            }
            Ok(Now::Tombstone(id.to_string()))
        }
        "Document" => match resource::Entity::find().filter(resource::Column::ApId.eq(id)).one(conn).await? {
            Some(r) => match group::Entity::find_by_id(r.group_id).one(conn).await? {
                Some(g) => Ok(Now::Object(publishing::document_of(&g, &r))),
                None => Ok(Now::Tombstone(id.to_string())),
            },
            None => Ok(Now::Tombstone(id.to_string())),
        },
        "Event" => match event::Entity::find().filter(event::Column::ApId.eq(id)).one(conn).await? {
            Some(e) if !federation::shown_publicly(&e) => Ok(Now::Withdrawn),
            Some(e) => match group::Entity::find_by_id(e.group_id).one(conn).await? {
                Some(g) => Ok(Now::Object(federation::document_of(conn, state, &e, &g).await?)),
                None => Ok(Now::Tombstone(id.to_string())),
            },
            None => Ok(Now::Tombstone(id.to_string())),
        },
        "Question" => {
            let found = match id.strip_suffix("/poll") {
                Some(event_id) => event::Entity::find().filter(event::Column::ApId.eq(event_id)).one(conn).await?,
                None => None,
            };
            match found {
                Some(e) if !federation::shown_publicly(&e) => Ok(Now::Withdrawn),
                Some(e) => match group::Entity::find_by_id(e.group_id).one(conn).await? {
                    Some(g) => Ok(Now::Object(federation::poll_of(conn, &e, &g).await?)),
                    None => Ok(Now::Tombstone(id.to_string())),
                },
                None => Ok(Now::Tombstone(id.to_string())),
            }
        }
        // A profile update: the profile as it is now.
        "Person" | "Group" => match ApActor::by_ap_id(state, id).await? {
            Some(a) if a.local && !visibility::actor_public(&a) => Ok(Now::Withdrawn),
            Some(a) if a.local => {
                Ok(Now::Object(serde_json::to_value(a.document(state).await?).map_err(AppError::internal)?))
            }
            _ => Ok(Now::Stored),
        },
        _ => Ok(Now::Stored),
    }
}

/// An event by its id or its page's URL.
async fn event_by<C: ConnectionTrait>(conn: &C, url: &str) -> AppResult<Option<event::Model>> {
    if url.is_empty() {
        return Ok(None);
    }
    Ok(event::Entity::find()
        .filter(sea_orm::Condition::any().add(event::Column::ApId.eq(url)).add(event::Column::Url.eq(url)))
        .one(conn)
        .await?)
}

/// Whether an id is one of our groups' notes about events.
fn is_announcement(state: &AppState, id: &str) -> bool {
    id.starts_with(&format!("{}/notes/", state.base_url()))
}
