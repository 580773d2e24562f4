//! Activities: the ones we send (built here, queued by the domain through the outbox) and the
//! ones we accept (parsed here, handled by the domain).
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

use super::actors::{upsert_remote, ActorJson, ApActor};
use super::{FedData, FedError};
use crate::domain::follows;
use crate::state::State;

/// `Follow` from `actor` to `object`.
pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    json!({ "id": id, "type": "Follow", "actor": actor, "object": object, "to": [object] })
}

/// `Accept` or `Reject` of a follow, embedding it as Mastodon expects.
pub fn respond_to_follow(kind: &str, id: &str, actor: &str, follow_id: &str, follower: &str) -> Value {
    json!({
        "id": id,
        "type": kind,
        "actor": actor,
        "to": [follower],
        "object": follow(follow_id, follower, actor),
    })
}

/// `Undo` of a follow.
pub fn undo_follow(id: &str, actor: &str, follow_id: &str, object: &str) -> Value {
    json!({ "id": id, "type": "Undo", "actor": actor, "to": [object], "object": follow(follow_id, actor, object) })
}

/// `Update` of an actor's own profile, to its followers.
pub fn update_actor(id: &str, actor: &ActorJson, followers: Option<&str>) -> Result<Value, FedError> {
    let mut cc = vec![];
    if let Some(f) = followers {
        cc.push(f.to_string());
    }
    Ok(json!({
        "id": id,
        "type": "Update",
        "actor": actor.id,
        "to": [super::PUBLIC],
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
        "to": [super::PUBLIC],
        "cc": followers.map(|f| vec![f.to_string()]).unwrap_or_default(),
        "object": actor,
    })
}

/// Any received activity. The type is read from `type`; types we do not handle are accepted
/// and ignored. The library checks the HTTP signature against `actor` before [`receive`] runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Inbound {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: activitypub_federation::fetch::object_id::ObjectId<ApActor>,
    #[serde(default)]
    pub object: Value,
}

/// The id of an embedded object or a bare reference.
pub fn object_id(v: &Value) -> Option<Url> {
    match v {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(o) => o.get("id").and_then(Value::as_str).and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
}

fn object_type(v: &Value) -> Option<&str> {
    v.get("type").and_then(Value::as_str)
}

#[async_trait::async_trait]
impl Activity for Inbound {
    type DataType = State;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _data: &FedData<State>) -> Result<(), FedError> {
        Ok(())
    }

    async fn receive(self, data: &FedData<State>) -> Result<(), FedError> {
        let state = data.app_data();
        let actor = self.actor.dereference(data).await?;
        match self.kind.as_str() {
            "Follow" => {
                let target =
                    object_id(&self.object).ok_or_else(|| FedError::BadRequest("Follow without object".into()))?;
                let target = ApActor::by_ap_id(state, target.as_str())
                    .await?
                    .filter(|t| t.local && t.kind != super::actors::ActorKind::Instance && t.is_active())
                    .ok_or_else(|| FedError::Ignored("Follow of an unknown actor".into()))?;
                follows::receive_follow(state, &actor, &target, self.id.as_str()).await?;
            }
            "Accept" | "Reject" => {
                let follow_id =
                    object_id(&self.object).ok_or_else(|| FedError::BadRequest("response without object".into()))?;
                if object_type(&self.object).is_some_and(|t| t != "Follow") {
                    return Err(FedError::Ignored(format!("{} of a {:?}", self.kind, object_type(&self.object))));
                }
                follows::receive_response(state, &actor, follow_id.as_str(), self.kind == "Accept").await?;
            }
            "Undo" => {
                if object_type(&self.object).is_some_and(|t| t != "Follow") {
                    return Err(FedError::Ignored(format!("Undo of a {:?}", object_type(&self.object))));
                }
                let follow_id =
                    object_id(&self.object).ok_or_else(|| FedError::BadRequest("Undo without object".into()))?;
                let target = self.object.get("object").and_then(object_id);
                follows::receive_undo(state, &actor, follow_id.as_str(), target.as_ref().map(Url::as_str)).await?;
            }
            "Update" => {
                let is_self = object_id(&self.object).is_some_and(|id| id == actor.id);
                if !is_self {
                    return Err(FedError::Ignored("Update of an object other than the actor".into()));
                }
                let json: ActorJson = serde_json::from_value(self.object)
                    .map_err(|e| FedError::BadRequest(format!("Update with a malformed actor: {e}")))?;
                if json.public_key.owner != json.id {
                    return Err(FedError::BadRequest("publicKey.owner is not the actor".into()));
                }
                activitypub_federation::protocol::verification::verify_domains_match(&json.inbox, &json.id)?;
                upsert_remote(state, &data.domain().to_lowercase(), json).await?;
            }
            "Delete" => {
                let is_self = object_id(&self.object).is_some_and(|id| id == actor.id);
                if !is_self {
                    return Err(FedError::Ignored("Delete of an object other than the actor".into()));
                }
                follows::forget_remote_actor(state, actor.kind, actor.row_id).await?;
            }
            other => return Err(FedError::Ignored(format!("activity type {other}"))),
        }
        Ok(())
    }
}
