//! Activities we accept: parsed here and handed to the domain, which does the work (the same
//! functions GraphQL mutations call). What we send is built in `crate::ap::activities`.
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::{FedData, FedError};
use crate::ap::actor::ActorJson;
use crate::ap::{object_id, object_type};
use crate::domain::actors::{self, ActorKind, ApActor};
use crate::domain::follows;
use crate::state::State;

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
                    .filter(|t| t.local && t.kind != ActorKind::Instance && t.is_active())
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
                super::actors::upsert(data, json).await?;
            }
            "Delete" => {
                let is_self = object_id(&self.object).is_some_and(|id| id == actor.id);
                if !is_self {
                    return Err(FedError::Ignored("Delete of an object other than the actor".into()));
                }
                actors::forget_remote(state, actor.kind, actor.row_id).await?;
            }
            other => return Err(FedError::Ignored(format!("activity type {other}"))),
        }
        Ok(())
    }
}
