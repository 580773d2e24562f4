//! `Follow`, its answers (`Accept`, `Reject`) and `Undo(Follow)`: into `domain::follows`.
use url::Url;

use super::Inbound;
use crate::ap::{object_id, object_type};
use crate::domain::actors::{ActorKind, ApActor};
use crate::domain::follows;
use crate::federation::{FedData, FedError};
use crate::state::State;

/// A remote actor follows one of ours (members and groups; not the instance actor).
pub async fn receive_follow(data: &FedData<State>, actor: &ApActor, activity: &Inbound) -> Result<(), FedError> {
    let state = data.app_data();
    let target = object_id(&activity.object).ok_or_else(|| FedError::BadRequest("Follow without object".into()))?;
    let target = ApActor::by_ap_id(state, target.as_str())
        .await?
        .filter(|t| t.local && t.kind != ActorKind::Instance && t.is_active())
        .ok_or_else(|| FedError::Ignored("Follow of an unknown actor".into()))?;
    Ok(follows::receive_follow(state, actor, &target, activity.id.as_str()).await?)
}

/// `Accept` or `Reject` of one of our follows (embedded or by reference).
pub async fn receive_answer(
    data: &FedData<State>,
    actor: &ApActor,
    activity: &Inbound,
    accepted: bool,
) -> Result<(), FedError> {
    let follow_id =
        object_id(&activity.object).ok_or_else(|| FedError::BadRequest("response without object".into()))?;
    // An answer to one of our groups' invitations to co-host.
    if object_type(&activity.object) == Some("Offer") {
        let event = activity.object.get("object").and_then(object_id);
        let state = data.app_data();
        return match event {
            Some(e)
                if crate::domain::events::federation::cohost_answered(
                    state,
                    actor.id.as_str(),
                    e.as_str(),
                    accepted,
                )
                .await? =>
            {
                Ok(())
            }
            _ => Err(FedError::Ignored("an answer to an unknown invitation".into())),
        };
    }
    // An answer to one of our members' `Join`s (embedded, or by reference).
    if object_type(&activity.object).is_none_or(|t| t == "Join") {
        let status = activity.extra.get("weave:status").and_then(serde_json::Value::as_str);
        let state = data.app_data();
        if crate::domain::events::federation::join_answered(
            state,
            actor.id.as_str(),
            follow_id.as_str(),
            accepted,
            status,
        )
        .await?
        {
            return Ok(());
        }
    }
    if object_type(&activity.object).is_some_and(|t| t != "Follow") {
        return Err(FedError::Ignored(format!("{} of a {:?}", activity.kind, object_type(&activity.object))));
    }
    Ok(follows::receive_response(data.app_data(), actor, follow_id.as_str(), accepted).await?)
}

/// `Undo(Follow)`: a remote follower stops following.
pub async fn receive_undo(data: &FedData<State>, actor: &ApActor, activity: &Inbound) -> Result<(), FedError> {
    if object_type(&activity.object).is_some_and(|t| t != "Follow") {
        return Err(FedError::Ignored(format!("Undo of a {:?}", object_type(&activity.object))));
    }
    let follow_id = object_id(&activity.object).ok_or_else(|| FedError::BadRequest("Undo without object".into()))?;
    let target = activity.object.get("object").and_then(object_id);
    Ok(follows::receive_undo(data.app_data(), actor, follow_id.as_str(), target.as_ref().map(Url::as_str)).await?)
}
