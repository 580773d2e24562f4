//! `Follow`, its answers (`Accept`, `Reject`, which also answer our `Join`s and co-host
//! `Offer`s) and `Undo` (of a `Follow`, a `Join` or a poll vote): into `domain::follows` and
//! `domain::events::federation`.
use url::Url;

use super::{activity, data_actor, forbidden, FedData, FedError};
use crate::ap::inbound::{Object, Received, Ref};
use crate::domain::actors::{ActorKind, ApActor};
use crate::domain::follows;
use crate::state::State;

/// A remote actor follows one of ours (members and groups; not the instance actor).
#[derive(Clone, Debug)]
pub struct Follow(pub Received<Ref>);

activity!(Follow, a => a.0);

impl Follow {
    async fn check(&self, _data: &FedData<State>) -> Result<(), FedError> {
        self.0.object.id().map(|_| ()).ok_or_else(|| FedError::BadRequest("Follow without object".into()))
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let state = data.app_data();
        let actor = data_actor(data, &self.0.actor).await?;
        let target = self.0.object.id().ok_or_else(|| FedError::BadRequest("Follow without object".into()))?;
        let target = ApActor::by_ap_id(state, target.as_str())
            .await?
            .filter(|t| t.local && t.kind != ActorKind::Instance && t.is_active())
            .ok_or_else(|| FedError::Ignored("Follow of an unknown actor".into()))?;
        Ok(follows::receive_follow(state, &actor, &target, self.0.id.as_str()).await?)
    }
}

/// `Accept` or `Reject` of one of our follows, `Join`s or `Offer`s (embedded, or by reference).
#[derive(Clone, Debug)]
pub struct Answer {
    pub accepted: bool,
    pub activity: Received<Object>,
}

activity!(Answer, a => a.activity);

impl Answer {
    async fn check(&self, _data: &FedData<State>) -> Result<(), FedError> {
        let a = &self.activity;
        a.object.id().ok_or_else(|| FedError::BadRequest("response without object".into()))?;
        // Authority: only the actor a follow, join or offer was addressed to answers it.
        if let Some(to) = a.object.activity().and_then(|e| e.object.id()) {
            if a.object.kind() == Some("Follow") && to != a.actor {
                return Err(forbidden("an answer to a follow of someone else"));
            }
        }
        Ok(())
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let a = &self.activity;
        let actor = data_actor(data, &a.actor).await?;
        let state = data.app_data();
        let follow_id = a.object.id().ok_or_else(|| FedError::BadRequest("response without object".into()))?;
        let kind = a.object.kind();
        // An answer to one of our groups' invitations to co-host.
        if kind == Some("Offer") {
            let event = a.object.activity().and_then(|o| o.object.id());
            return match event {
                Some(e)
                    if crate::domain::events::federation::cohost_answered(
                        state,
                        actor.id.as_str(),
                        e.as_str(),
                        self.accepted,
                    )
                    .await? =>
                {
                    Ok(())
                }
                _ => Err(FedError::Ignored("an answer to an unknown invitation".into())),
            };
        }
        // An answer to one of our members' `Join`s (embedded, or by reference).
        if kind.is_none_or(|t| t == "Join")
            && crate::domain::events::federation::join_answered(
                state,
                actor.id.as_str(),
                follow_id.as_str(),
                self.accepted,
                a.status.as_deref(),
            )
            .await?
        {
            return Ok(());
        }
        if kind.is_some_and(|t| t != "Follow") {
            return Err(FedError::Ignored(format!("{} of a {:?}", a.kind, kind)));
        }
        Ok(follows::receive_response(state, &actor, follow_id.as_str(), self.accepted).await?)
    }
}

/// `Undo` of a `Follow` (a remote follower stops following), of a `Join` (a seat given back),
/// or of the `Create` of a poll vote.
#[derive(Clone, Debug)]
pub struct Undo(pub Received<Object>);

activity!(Undo, a => a.0);

impl Undo {
    async fn check(&self, _data: &FedData<State>) -> Result<(), FedError> {
        let a = &self.0;
        // Authority: what is taken back is the actor's own.
        if a.object.activity().and_then(|e| e.actor.id()).is_some_and(|by| by != &a.actor) {
            return Err(forbidden("an Undo of someone else's activity"));
        }
        match a.object.kind() {
            Some("Create" | "Join") => Ok(()),
            Some(other) if other != "Follow" => Err(FedError::Ignored(format!("Undo of a {:?}", Some(other)))),
            _ => a.object.id().map(|_| ()).ok_or_else(|| FedError::BadRequest("Undo without object".into())),
        }
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let a = &self.0;
        let actor = data_actor(data, &a.actor).await?;
        let inner = a.object.activity().and_then(|e| e.object.id());
        match a.object.kind() {
            // A vote taken back.
            Some("Create") => match inner {
                Some(v) if super::event::withdraw_by_id(data, &actor, v.as_str()).await? => Ok(()),
                _ => Err(FedError::Ignored("Undo of something unknown here".into())),
            },
            Some("Join") => super::event::receive_leave(data, &actor, inner.as_ref()).await,
            _ => {
                let follow_id = a.object.id().ok_or_else(|| FedError::BadRequest("Undo without object".into()))?;
                let target = inner.as_ref().map(Url::as_str);
                Ok(follows::receive_undo(data.app_data(), &actor, follow_id.as_str(), target).await?)
            }
        }
    }
}
