//! The activities we send: one typed envelope ([`Envelope`]) for every kind, and the builders of
//! each. Builders return the activity as JSON without `@context` (the outbox adds it when it
//! stores the activity).
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::actor::ActorJson;
use super::PUBLIC;

/// The kinds of activity Weave sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Create,
    Update,
    Delete,
    Announce,
    Follow,
    Accept,
    Reject,
    Undo,
    Join,
    Leave,
    Offer,
    Flag,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "Create",
            Kind::Update => "Update",
            Kind::Delete => "Delete",
            Kind::Announce => "Announce",
            Kind::Follow => "Follow",
            Kind::Accept => "Accept",
            Kind::Reject => "Reject",
            Kind::Undo => "Undo",
            Kind::Join => "Join",
            Kind::Leave => "Leave",
            Kind::Offer => "Offer",
            Kind::Flag => "Flag",
        }
    }
}

/// What happened to an object we publish: its activity is a `Create`, `Update` or `Delete`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Delete,
}

impl Change {
    pub fn kind(self) -> Kind {
        match self {
            Change::Create => Kind::Create,
            Change::Update => Kind::Update,
            Change::Delete => Kind::Delete,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.kind().as_str()
    }
}

/// Every activity we send, whatever its kind: who does what to which object, addressed to
/// whom. `O` is the object: a reference (`String`), an embedded activity, a [`Tombstone`] or a
/// document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Envelope<O> {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub actor: String,
    /// Empty only on an activity embedded in another (the `Join` an `Accept` answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<Vec<String>>,
    pub object: O,
    /// The group an `Offer` invites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The registration status an answer to a `Join` gives (`GOING`, `WAITLISTED`, …).
    #[serde(rename = "weave:status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl<O: Serialize> Envelope<O> {
    /// An activity with no `cc`, no target and no status.
    pub fn new(kind: Kind, id: &str, actor: &str, to: Vec<String>, object: O) -> Self {
        Envelope { id: id.into(), kind, actor: actor.into(), to, cc: None, object, target: None, status: None }
    }

    pub fn cc(mut self, cc: Vec<String>) -> Self {
        self.cc = Some(cc);
        self
    }

    /// The JSON document. Strings, lists and JSON values always serialise.
    pub fn into_value(self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// What a deleted object leaves.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tombstone {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: TombstoneKind,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub enum TombstoneKind {
    Tombstone,
}

impl Tombstone {
    pub fn of(id: &str) -> Self {
        Tombstone { id: id.into(), kind: TombstoneKind::Tombstone }
    }
}

/// An addressing list as an object states it (a string or a list of strings).
pub fn addressing(v: Option<&Value>) -> Option<Vec<String>> {
    match v? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => Some(a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()),
        _ => None,
    }
}

/// `Create` or `Update` of an object by `actor`, addressed as the object is (public when it
/// says nothing).
pub fn wrap(kind: Kind, id: &str, actor: &str, object: Value) -> Value {
    let to = addressing(object.get("to")).unwrap_or_else(|| vec![PUBLIC.into()]);
    let cc = addressing(object.get("cc")).unwrap_or_default();
    Envelope::new(kind, id, actor, to, object).cc(cc).into_value()
}

/// `Announce` of an object by a group to the public and its followers.
pub fn announce(id: &str, group: &str, followers: Option<&str>, object: Value) -> Value {
    let cc = followers.map(|f| vec![f.to_string()]).unwrap_or_default();
    Envelope::new(Kind::Announce, id, group, vec![PUBLIC.into()], object).cc(cc).into_value()
}

/// `Delete` of an object, leaving a [`Tombstone`], addressed to `to` and `cc` (the audience the
/// object had).
pub fn delete(id: &str, actor: &str, object: &str, to: Vec<String>, cc: Vec<String>) -> Value {
    Envelope::new(Kind::Delete, id, actor, to, Tombstone::of(object)).cc(cc).into_value()
}

/// `Flag` from the instance actor to another server, as Mastodon forwards a report: the
/// reported account first, then the reported objects, and the reporter's comment (never who
/// the reporter is).
pub fn flag(id: &str, actor: &str, account: Option<&str>, objects: &[&str], comment: Option<&str>) -> Value {
    let mut reported: Vec<String> = account.map(str::to_string).into_iter().collect();
    reported.extend(objects.iter().filter(|o| Some(**o) != account).map(|o| o.to_string()));
    // Not addressed to anyone: the reported account must not see it in its inbox.
    let mut v = Envelope::new(Kind::Flag, id, actor, Vec::new(), reported).into_value();
    if let Some(map) = v.as_object_mut() {
        map.insert("content".into(), Value::String(comment.unwrap_or_default().to_string()));
    }
    v
}

fn follow_of(id: &str, actor: &str, object: &str) -> Envelope<String> {
    Envelope::new(Kind::Follow, id, actor, vec![object.into()], object.to_string())
}

/// `Follow` from `actor` to `object`.
pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    follow_of(id, actor, object).into_value()
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
    let kind = match answer {
        FollowAnswer::Accept => Kind::Accept,
        FollowAnswer::Reject => Kind::Reject,
    };
    Envelope::new(kind, id, actor, vec![follower.into()], follow_of(follow_id, follower, actor)).into_value()
}

/// `Undo` of a follow.
pub fn undo_follow(id: &str, actor: &str, follow_id: &str, object: &str) -> Value {
    Envelope::new(Kind::Undo, id, actor, vec![object.into()], follow_of(follow_id, actor, object)).into_value()
}

/// `Update` of an actor's own profile, to the public and its followers.
pub fn update_actor(id: &str, actor: &ActorJson) -> Result<Value, serde_json::Error> {
    let cc: Vec<String> = actor.followers.iter().map(|f| f.to_string()).collect();
    let envelope = Envelope::new(Kind::Update, id, actor.id.as_str(), vec![PUBLIC.into()], actor).cc(cc);
    serde_json::to_value(envelope)
}

/// `Delete` of an actor (account deletion).
pub fn delete_actor(id: &str, actor: &str, followers: Option<&str>) -> Value {
    let cc = followers.map(|f| vec![f.to_string()]).unwrap_or_default();
    Envelope::new(Kind::Delete, id, actor, vec![PUBLIC.into()], actor.to_string()).cc(cc).into_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accept_embeds_the_follow_as_mastodon_reads_it() {
        let v = respond_to_follow(
            FollowAnswer::Accept,
            "https://w.example/a/1",
            "https://w.example/groups/g",
            "https://m.example/f/1",
            "https://m.example/users/rosa",
        );
        assert_eq!(
            v,
            serde_json::json!({
                "id": "https://w.example/a/1", "type": "Accept", "actor": "https://w.example/groups/g",
                "to": ["https://m.example/users/rosa"],
                "object": {"id": "https://m.example/f/1", "type": "Follow", "actor": "https://m.example/users/rosa",
                    "to": ["https://w.example/groups/g"], "object": "https://w.example/groups/g"}
            })
        );
        // What we send reads back as the same typed envelope.
        let back: Envelope<Envelope<String>> = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((back.kind, back.object.kind), (Kind::Accept, Kind::Follow));
    }

    #[test]
    fn a_delete_leaves_a_tombstone_addressed_as_given() {
        let v = delete("https://w.example/a/2", "https://w.example/m/a", "https://w.example/p/1", vec![], vec![]);
        assert_eq!(v["object"], serde_json::json!({"id": "https://w.example/p/1", "type": "Tombstone"}));
        assert!(v.get("to").is_none() && v["cc"] == serde_json::json!([]));
    }
}
