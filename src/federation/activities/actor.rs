//! `Update` and `Delete` of a remote actor by itself: into `domain::actors`.
use super::Inbound;
use crate::ap::actor::ActorJson;
use crate::ap::object_id;
use crate::domain::actors::{self, ApActor};
use crate::federation::{FedData, FedError};
use crate::state::State;

/// A remote actor's new profile (only its own, embedded in the activity it signed).
pub async fn receive_update(data: &FedData<State>, actor: &ApActor, activity: Inbound) -> Result<(), FedError> {
    if object_id(&activity.object).is_none_or(|id| id != actor.id) {
        return Err(FedError::Ignored("Update of an object other than the actor".into()));
    }
    let json: ActorJson = serde_json::from_value(activity.object)
        .map_err(|e| FedError::BadRequest(format!("Update with a malformed actor: {e}")))?;
    crate::federation::actors::upsert(data, json).await?;
    Ok(())
}

/// A remote actor deleted itself: its follows and its row go.
pub async fn receive_delete(data: &FedData<State>, actor: &ApActor, activity: &Inbound) -> Result<(), FedError> {
    if object_id(&activity.object).is_none_or(|id| id != actor.id) {
        return Err(FedError::Ignored("Delete of an object other than the actor".into()));
    }
    Ok(actors::forget_remote(data.app_data(), actor.kind, actor.row_id).await?)
}
