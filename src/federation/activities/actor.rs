//! `Update` and `Delete` of a remote actor by itself: into `domain::actors`.
use crate::ap::inbound::{Object, Received};
use crate::domain::actors::{self, ApActor};
use crate::federation::{FedData, FedError};
use crate::state::State;

/// A remote actor's new profile must be its own, embedded in the activity it signed, and read
/// as an actor.
pub fn check_update(activity: &Received<Object>) -> Result<(), FedError> {
    if activity.object.id().is_none_or(|id| id != activity.actor) {
        return Err(FedError::Ignored("Update of an object other than the actor".into()));
    }
    match &activity.object {
        Object::Actor(_) => Ok(()),
        other => Err(FedError::BadRequest(format!(
            "Update with a malformed actor: {}",
            other.error().unwrap_or("not an actor")
        ))),
    }
}

/// A remote actor's new profile (checked by [`check_update`] in `verify`).
pub async fn receive_update(data: &FedData<State>, activity: Received<Object>) -> Result<(), FedError> {
    let Object::Actor(json) = activity.object else { return Err(FedError::BadRequest("not an actor".into())) };
    crate::federation::actors::upsert(data, *json).await?;
    Ok(())
}

/// A remote actor deleted itself: its follows and its row go.
pub async fn receive_delete(data: &FedData<State>, actor: &ApActor) -> Result<(), FedError> {
    Ok(actors::forget_remote(data.app_data(), actor.kind, actor.row_id).await?)
}
