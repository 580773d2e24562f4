//! Activities we accept, one typed struct per activity type, each an activitypub_federation
//! [`Activity`]: `verify` checks what the document itself must satisfy (origin: ids on the
//! signer's server; authority: who may speak for whom) before `receive` hands it to the domain
//! (the same functions GraphQL mutations call). The library checks the HTTP signature against
//! `actor` before either runs. One file per family of activities; what we send is built in
//! `crate::ap::activities`, the wire forms are `crate::ap::inbound`.
mod actor;
mod content;
mod event;
mod follow;
mod report;

use activitypub_federation::traits::Activity;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use super::{AppErrorBox, FedData, FedError};
use crate::ap::inbound::{Object, Received, Ref};
use crate::ap::same_origin;
use crate::error::AppError;
use crate::state::State;

pub use content::{Announce, Create, Update};
pub use event::{Join, Leave, Offer};
pub use follow::{Answer, Follow, Undo};
pub use report::Flag;

/// `Delete` of an actor by itself (`actor.rs`) or of an object (`content.rs`, `event.rs`).
#[derive(Clone, Debug)]
pub struct Delete(pub Received<Object>);

/// An activity of a type we do not take (`Like`, `Move`, `EmojiReact`…): accepted and ignored.
#[derive(Clone, Debug)]
pub struct Unhandled(pub Received<Ref>);

/// Any received activity, by its `type`. Every string of it arrives without the characters no
/// stored text may have (`ap::bounds::clean_json`: the one place pushed documents enter; the
/// body itself must stay as sent, its digest is checked. Fetched documents are cleaned by
/// `federation::fetched::CleanFetched`).
#[derive(Clone, Debug)]
pub enum Inbound {
    Create(Create),
    Update(Update),
    Delete(Delete),
    Announce(Announce),
    Follow(Follow),
    /// `Accept` or `Reject` (of a follow, a `Join` or an `Offer`).
    Answer(Answer),
    Undo(Undo),
    Join(Join),
    Leave(Leave),
    Offer(Offer),
    /// A report of our members or content.
    Flag(Flag),
    Other(Unhandled),
}

fn read<T: DeserializeOwned, E: serde::de::Error>(v: Value) -> Result<T, E> {
    serde_json::from_value(v).map_err(E::custom)
}

impl<'de> Deserialize<'de> for Inbound {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = Value::deserialize(d)?;
        crate::ap::bounds::clean_json(&mut v);
        let kind = match v.get("type") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(D::Error::custom("an activity's type is a string")),
            None => return Err(D::Error::missing_field("type")),
        };
        Ok(match kind.as_str() {
            "Create" => Inbound::Create(Create(read(v)?)),
            "Update" => Inbound::Update(Update(read(v)?)),
            "Delete" => Inbound::Delete(Delete(read(v)?)),
            "Announce" => Inbound::Announce(Announce(read(v)?)),
            "Follow" => Inbound::Follow(Follow(read(v)?)),
            "Accept" => Inbound::Answer(Answer { accepted: true, activity: read(v)? }),
            "Reject" => Inbound::Answer(Answer { accepted: false, activity: read(v)? }),
            "Undo" => Inbound::Undo(Undo(read(v)?)),
            "Join" => Inbound::Join(Join(read(v)?)),
            "Leave" => Inbound::Leave(Leave(read(v)?)),
            "Offer" => Inbound::Offer(Offer(read(v)?)),
            "Flag" => Inbound::Flag(Flag(read(v)?)),
            _ => Inbound::Other(Unhandled(read(v)?)),
        })
    }
}

impl Inbound {
    /// The activity's `type` as it was sent.
    pub fn kind(&self) -> &str {
        self.envelope().0
    }

    /// The id of its object (embedded, or by reference).
    pub fn object_id(&self) -> Option<Url> {
        match self {
            Inbound::Create(Create(a)) | Inbound::Update(Update(a)) | Inbound::Delete(Delete(a)) => a.object.id(),
            Inbound::Announce(Announce(a)) | Inbound::Undo(Undo(a)) => a.object.id(),
            Inbound::Answer(Answer { activity: a, .. }) => a.object.id(),
            Inbound::Follow(Follow(a)) | Inbound::Join(Join(a)) | Inbound::Leave(Leave(a)) => a.object.id().cloned(),
            Inbound::Offer(Offer(a)) | Inbound::Other(Unhandled(a)) => a.object.id().cloned(),
            Inbound::Flag(Flag(a)) => a.object.first().cloned(),
        }
    }

    /// The activity's `type`, id and actor, the same for every variant.
    fn envelope(&self) -> (&String, &Url, &Url) {
        macro_rules! parts {
            ($a:expr) => {
                (&$a.kind, &$a.id, &$a.actor)
            };
        }
        match self {
            Inbound::Create(Create(a)) | Inbound::Update(Update(a)) | Inbound::Delete(Delete(a)) => parts!(a),
            Inbound::Announce(Announce(a)) | Inbound::Undo(Undo(a)) => parts!(a),
            Inbound::Answer(Answer { activity: a, .. }) => parts!(a),
            Inbound::Follow(Follow(a)) | Inbound::Join(Join(a)) | Inbound::Leave(Leave(a)) => parts!(a),
            Inbound::Offer(Offer(a)) | Inbound::Other(Unhandled(a)) => parts!(a),
            Inbound::Flag(Flag(a)) => parts!(a),
        }
    }
}

/// Refused: the sender may not do this (403).
pub(crate) fn forbidden(why: &str) -> FedError {
    FedError::App(AppErrorBox(AppError::forbidden(why)))
}

/// An embedded object that could not be read as its type says (400).
pub(crate) fn malformed(what: &str, object: &Object) -> FedError {
    FedError::BadRequest(format!("malformed {what}: {}", object.error().unwrap_or("not of the expected type")))
}

/// Origin, for every activity: its id lives on the server of the actor whose key signed it.
pub(crate) fn verify_origin(id: &Url, actor: &Url) -> Result<(), FedError> {
    if !same_origin(id, actor) {
        return Err(forbidden("the activity's id is not on its actor's server"));
    }
    Ok(())
}

/// Implements the library's trait for an activity struct whose envelope is `.0`, with its own
/// `check` and `apply`.
macro_rules! activity {
    ($t:ty, $a:ident => $env:expr) => {
        #[async_trait::async_trait]
        impl activitypub_federation::traits::Activity for $t {
            type DataType = $crate::state::State;
            type Error = $crate::federation::FedError;

            fn id(&self) -> &url::Url {
                let $a = self;
                &$env.id
            }

            fn actor(&self) -> &url::Url {
                let $a = self;
                &$env.actor
            }

            async fn verify(
                &self,
                data: &$crate::federation::FedData<$crate::state::State>,
            ) -> Result<(), $crate::federation::FedError> {
                let $a = self;
                $crate::federation::activities::verify_origin(&$env.id, &$env.actor)?;
                self.check(data).await
            }

            async fn receive(
                self,
                data: &$crate::federation::FedData<$crate::state::State>,
            ) -> Result<(), $crate::federation::FedError> {
                self.apply(data).await
            }
        }
    };
}
pub(crate) use activity;

activity!(Delete, a => a.0);

/// Unknown types are not checked: whatever they say, nothing is done.
#[async_trait::async_trait]
impl Activity for Unhandled {
    type DataType = State;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.0.id
    }

    fn actor(&self) -> &Url {
        &self.0.actor
    }

    async fn verify(&self, _data: &FedData<State>) -> Result<(), FedError> {
        Err(FedError::Ignored(format!("activity type {}", self.0.kind)))
    }

    async fn receive(self, _data: &FedData<State>) -> Result<(), FedError> {
        Err(FedError::Ignored(format!("activity type {}", self.0.kind)))
    }
}

impl Delete {
    /// Whether the actor deletes itself (its account).
    fn is_about_itself(&self) -> bool {
        self.0.object.id().is_some_and(|id| id == self.0.actor)
    }

    async fn check(&self, data: &FedData<State>) -> Result<(), FedError> {
        if self.is_about_itself() {
            return Ok(());
        }
        content::check_delete(data, &self.0).await
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        if self.is_about_itself() {
            return actor::receive_delete(data, &actor).await;
        }
        content::receive_delete(data, &actor, &self.0).await
    }
}

/// The (cached) actor who signed the activity: the library fetched and checked it before.
pub(crate) async fn data_actor(data: &FedData<State>, id: &Url) -> Result<crate::domain::actors::ApActor, FedError> {
    activitypub_federation::fetch::object_id::ObjectId::<crate::domain::actors::ApActor>::from(id.clone())
        .dereference(data)
        .await
}

#[async_trait::async_trait]
impl Activity for Inbound {
    type DataType = State;
    type Error = FedError;

    fn id(&self) -> &Url {
        self.envelope().1
    }

    fn actor(&self) -> &Url {
        self.envelope().2
    }

    async fn verify(&self, data: &FedData<State>) -> Result<(), FedError> {
        match self {
            Inbound::Create(a) => a.verify(data).await,
            Inbound::Update(a) => a.verify(data).await,
            Inbound::Delete(a) => a.verify(data).await,
            Inbound::Announce(a) => a.verify(data).await,
            Inbound::Follow(a) => a.verify(data).await,
            Inbound::Answer(a) => a.verify(data).await,
            Inbound::Undo(a) => a.verify(data).await,
            Inbound::Join(a) => a.verify(data).await,
            Inbound::Leave(a) => a.verify(data).await,
            Inbound::Offer(a) => a.verify(data).await,
            Inbound::Flag(a) => a.verify(data).await,
            Inbound::Other(a) => a.verify(data).await,
        }
    }

    async fn receive(self, data: &FedData<State>) -> Result<(), FedError> {
        match self {
            Inbound::Create(a) => a.receive(data).await,
            Inbound::Update(a) => a.receive(data).await,
            Inbound::Delete(a) => a.receive(data).await,
            Inbound::Announce(a) => a.receive(data).await,
            Inbound::Follow(a) => a.receive(data).await,
            Inbound::Answer(a) => a.receive(data).await,
            Inbound::Undo(a) => a.receive(data).await,
            Inbound::Join(a) => a.receive(data).await,
            Inbound::Leave(a) => a.receive(data).await,
            Inbound::Offer(a) => a.receive(data).await,
            Inbound::Flag(a) => a.receive(data).await,
            Inbound::Other(a) => a.receive(data).await,
        }
    }
}
