//! Builders of the activities we send. Each returns the activity without `@context` (the
//! outbox adds it when it stores the activity).
use serde_json::{json, Value};

use super::actor::ActorJson;
use super::PUBLIC;

/// `Follow` from `actor` to `object`.
pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    json!({ "id": id, "type": "Follow", "actor": actor, "object": object, "to": [object] })
}

/// Whether a follow is answered with `Accept` or `Reject`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowAnswer {
    Accept,
    Reject,
}

impl FollowAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowAnswer::Accept => "Accept",
            FollowAnswer::Reject => "Reject",
        }
    }
}

/// `Accept` or `Reject` of a follow, embedding it as Mastodon expects.
pub fn respond_to_follow(answer: FollowAnswer, id: &str, actor: &str, follow_id: &str, follower: &str) -> Value {
    json!({
        "id": id,
        "type": answer.as_str(),
        "actor": actor,
        "to": [follower],
        "object": follow(follow_id, follower, actor),
    })
}

/// `Undo` of a follow.
pub fn undo_follow(id: &str, actor: &str, follow_id: &str, object: &str) -> Value {
    json!({ "id": id, "type": "Undo", "actor": actor, "to": [object], "object": follow(follow_id, actor, object) })
}

/// `Update` of an actor's own profile, to the public and its followers.
pub fn update_actor(id: &str, actor: &ActorJson) -> Result<Value, serde_json::Error> {
    let cc: Vec<String> = actor.followers.iter().map(|f| f.to_string()).collect();
    Ok(json!({
        "id": id,
        "type": "Update",
        "actor": actor.id,
        "to": [PUBLIC],
        "cc": cc,
        "object": serde_json::to_value(actor)?,
    }))
}

/// `Delete` of an actor (account deletion).
pub fn delete_actor(id: &str, actor: &str, followers: Option<&str>) -> Value {
    json!({
        "id": id,
        "type": "Delete",
        "actor": actor,
        "to": [PUBLIC],
        "cc": followers.map(|f| vec![f.to_string()]).unwrap_or_default(),
        "object": actor,
    })
}
