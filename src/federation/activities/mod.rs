//! Activities we accept: parsed here and handed to the domain, which does the work (the same
//! functions GraphQL mutations call). One file per kind of activity; what we send is built in
//! `crate::ap::activities`.
mod actor;
mod content;
mod event;
mod follow;

use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::{FedData, FedError};
use crate::domain::actors::ApActor;
use crate::state::State;

/// Any received activity. The type is read from `type`; types we do not handle are accepted
/// and ignored. The library checks the HTTP signature against `actor` before [`receive`] runs.
/// Every string of it arrives without the characters no stored text may have (see [`Received`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "Received")]
pub struct Inbound {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: activitypub_federation::fetch::object_id::ObjectId<ApActor>,
    #[serde(default)]
    pub object: Value,
    /// Everything else the activity says (`weave:status` of an answer to a `Join`…).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// An activity as it came in the inbox's body, before NUL and other control characters are
/// taken out of every string in it (`ap::bounds::clean_json`): the one place pushed documents
/// enter. (The body itself must stay as sent: its digest is checked.) Fetched documents are
/// cleaned by `federation::fetched::CleanFetched`.
#[derive(Deserialize)]
struct Received {
    #[serde(deserialize_with = "crate::ap::bounds::deserialize_web_url")]
    id: Url,
    #[serde(rename = "type")]
    kind: String,
    actor: activitypub_federation::fetch::object_id::ObjectId<ApActor>,
    #[serde(default)]
    object: Value,
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

impl From<Received> for Inbound {
    fn from(r: Received) -> Self {
        let mut object = r.object;
        crate::ap::bounds::clean_json(&mut object);
        let mut extra = Value::Object(r.extra);
        crate::ap::bounds::clean_json(&mut extra);
        let extra = match extra {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        Inbound { id: r.id, kind: crate::ap::bounds::clean_text(&r.kind), actor: r.actor, object, extra }
    }
}

impl Inbound {
    /// Whether the object is the actor itself (an `Update` or `Delete` of its own profile).
    fn is_about_itself(&self) -> bool {
        crate::ap::object_id(&self.object).is_some_and(|id| &id == self.actor.inner())
    }
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

    /// Dispatches by type to the handler of that kind (one file each); the handlers translate
    /// and call the domain.
    async fn receive(self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = self.actor.dereference(data).await?;
        match self.kind.as_str() {
            "Follow" => follow::receive_follow(data, &actor, &self).await,
            "Accept" => follow::receive_answer(data, &actor, &self, true).await,
            "Reject" => follow::receive_answer(data, &actor, &self, false).await,
            "Update" if self.is_about_itself() => actor::receive_update(data, &actor, self).await,
            "Delete" if self.is_about_itself() => actor::receive_delete(data, &actor, &self).await,
            "Join" => event::receive_join(data, &actor, &self).await,
            "Offer" => event::receive_offer(data, &actor, &self).await,
            "Leave" => event::receive_leave(data, &actor, &self.object).await,
            "Undo" if crate::ap::object_type(&self.object) == Some("Create") => {
                // A vote taken back.
                let vote = self.object.get("object").and_then(crate::ap::object_id);
                match vote {
                    Some(v) if event::withdraw_by_id(data, &actor, v.as_str()).await? => Ok(()),
                    _ => Err(FedError::Ignored("Undo of something unknown here".into())),
                }
            }
            "Undo" if crate::ap::object_type(&self.object) == Some("Join") => {
                let joined = self.object.get("object").cloned().unwrap_or_default();
                event::receive_leave(data, &actor, &joined).await
            }
            "Undo" => follow::receive_undo(data, &actor, &self).await,
            "Create" => content::receive_create(data, &actor, &self).await,
            "Announce" => content::receive_announce(data, &actor, &self).await,
            "Update" => content::receive_update(data, &actor, &self).await,
            "Delete" => content::receive_delete(data, &actor, &self).await,
            other => Err(FedError::Ignored(format!("activity type {other}"))),
        }
    }
}
