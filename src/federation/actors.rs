//! The library's actor traits over the domain's [`ApActor`]: reading actors by id, publishing
//! local ones, and handing checked remote documents to the domain to store.
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use url::Url;

use super::{FedData, FedError};
use crate::ap::actor::ActorJson;
use crate::domain::actors::{self, ApActor};
use crate::state::State;

#[async_trait::async_trait]
impl Object for ApActor {
    type DataType = State;
    type Kind = ActorJson;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.last_refreshed_at
    }

    async fn read_from_id(object_id: Url, data: &FedData<State>) -> Result<Option<Self>, FedError> {
        Ok(ApActor::by_ap_id(data.app_data(), object_id.as_str()).await?)
    }

    async fn delete(&self, data: &FedData<State>) -> Result<(), FedError> {
        Ok(actors::forget_remote(data.app_data(), self.kind, self.row_id).await?)
    }

    fn is_deleted(&self) -> bool {
        ApActor::is_deleted(self)
    }

    async fn into_json(self, data: &FedData<State>) -> Result<ActorJson, FedError> {
        let state = data.app_data();
        Ok(actors::ensure_keys(state, self).await?.document(state).await?)
    }

    async fn verify(json: &ActorJson, expected_domain: &Url, _data: &FedData<State>) -> Result<(), FedError> {
        json.verify_origin(expected_domain).map_err(|e| FedError::BadRequest(e.to_string()))?;
        if let Some(shared) = json.endpoints.as_ref().and_then(|e| e.shared_inbox.as_ref()) {
            activitypub_federation::protocol::verification::verify_domains_match(shared, expected_domain)?;
        }
        Ok(())
    }

    /// Upserts a remote actor by `ap_id`. Local rows are never touched from the wire.
    async fn from_json(json: ActorJson, data: &FedData<State>) -> Result<Self, FedError> {
        upsert(data, json).await
    }
}

/// A remote actor document (fetched, or embedded in a verified `Update`) into the domain.
pub async fn upsert(data: &FedData<State>, json: ActorJson) -> Result<ApActor, FedError> {
    let remote = json.into_remote(data.domain()).map_err(|e| FedError::BadRequest(e.to_string()))?;
    Ok(actors::upsert_remote(data.app_data(), remote).await?)
}

impl Actor for ApActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }
    fn private_key_pem(&self) -> Option<String> {
        self.private_key_pem.clone()
    }
    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
    fn shared_inbox(&self) -> Option<Url> {
        self.shared_inbox.clone()
    }
}
