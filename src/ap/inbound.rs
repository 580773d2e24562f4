//! Activities as they arrive: the envelope every received activity shares ([`Received`]), typed
//! by what its `object` is ([`Object`], [`Ref`]). The objects are the same types we publish
//! (`ObjectJson`, `EventJson`, `ActorJson`); every link and time in them passes
//! `super::bounds`. Which activity types we take, and what each must satisfy, is
//! `crate::federation::activities`; these are only their wire forms.
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use url::Url;

use super::actor::ActorJson;
use super::object::ObjectJson;
use super::participation::EventJson;

/// Activity types, as they may be embedded in another activity (`Undo(Follow)`,
/// `Announce(Create)`, `Accept(Join)`…).
const ACTIVITY_TYPES: [&str; 20] = [
    "Create",
    "Update",
    "Delete",
    "Follow",
    "Accept",
    "Reject",
    "TentativeAccept",
    "TentativeReject",
    "Undo",
    "Announce",
    "Join",
    "Leave",
    "Offer",
    "Invite",
    "Like",
    "Dislike",
    "Add",
    "Remove",
    "Block",
    "Flag",
];

/// Actor types: a `Person` (as Mastodon sends people), `Group` (Lemmy communities, Mobilizon
/// groups), `Application`, `Service` and `Organization`.
const ACTOR_TYPES: [&str; 5] = ["Person", "Group", "Application", "Service", "Organization"];

/// A reference to an object: its id, given bare or as the `id` of an embedded object; `None`
/// when it is neither a web link nor an object with one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ref(pub Option<Url>);

impl Ref {
    pub fn id(&self) -> Option<&Url> {
        self.0.as_ref()
    }
}

impl<'de> Deserialize<'de> for Ref {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(Ref(super::object_id(&v)))
    }
}

impl Serialize for Ref {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(u) => s.serialize_str(u.as_str()),
            None => s.serialize_none(),
        }
    }
}

/// An addressing list (`to`, `cc`) as servers write it: one id or a list of them. Entries that
/// are not web links are left out (`as:Public` and `Public` read as the public collection).
fn deserialize_addressing<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
    let one = |x: &Value| match x.as_str()? {
        "as:Public" | "Public" => Url::parse(super::PUBLIC).ok(),
        s => super::web_url(s),
    };
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => a.iter().take(64).filter_map(one).collect(),
        other => one(&other).into_iter().collect(),
    })
}

/// A list of references as servers write it: one or several, each an id or an object with one.
/// At most 64 are read; entries that are not web links are left out.
fn deserialize_refs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => a.iter().take(64).filter_map(super::object_id).collect(),
        other => super::object_id(&other).into_iter().collect(),
    })
}

/// A `Flag` (a report), as Mastodon sends one: the reported account and statuses in `object`,
/// the reporter's comment in `content`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FlagJson {
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub actor: Url,
    #[serde(default, deserialize_with = "deserialize_refs")]
    pub object: Vec<Url>,
    #[serde(default, deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error")]
    pub content: Option<String>,
}

/// A received activity of any type: who (`actor`, the key that signed the request must be its)
/// does what (`type`) to what (`object`, typed by the activity), addressed to whom.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Received<O> {
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub actor: Url,
    #[serde(default)]
    pub object: O,
    /// What an `Offer` invites to (our group).
    #[serde(default, skip_serializing_if = "is_none_ref")]
    pub target: Ref,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "deserialize_addressing")]
    pub to: Vec<Url>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "deserialize_addressing")]
    pub cc: Vec<Url>,
    /// The registration status an answer to a `Join` gives (`GOING`, `WAITLISTED`, …).
    #[serde(
        rename = "weave:status",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub status: Option<String>,
}

fn is_none_ref(r: &Ref) -> bool {
    r.0.is_none()
}

/// An activity embedded in another (the `Follow` an `Undo` takes back, the `Create` a group
/// `Announce`s, the `Join` an `Accept` answers). Read leniently: only its type is required.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Embedded {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_opt"
    )]
    pub id: Option<Url>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "is_none_ref")]
    pub actor: Ref,
    #[serde(default)]
    pub object: Object,
    #[serde(default, skip_serializing_if = "is_none_ref")]
    pub target: Ref,
}

/// What an activity's `object` is: an object of a type we read, an embedded activity, a bare
/// id, or what could not be read as its type says (kept with its id and type, so that each
/// activity refuses it where it would have used it).
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Object {
    /// A post, thread, library entry, poll, vote or tombstone (`Note`, `Page`, `Article`,
    /// `Document`, `Question`, `Tombstone`, and what other servers send in their place).
    Text(Box<ObjectJson>),
    Event(Box<EventJson>),
    Actor(Box<ActorJson>),
    Activity(Box<Embedded>),
    /// A bare id.
    Reference(Url),
    /// Unreadable as its type says.
    Malformed {
        #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Url>,
        #[serde(skip)]
        error: String,
    },
}

impl Default for Object {
    fn default() -> Self {
        Object::Malformed { kind: None, id: None, error: "no object".into() }
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Object::read(Value::deserialize(d)?))
    }
}

impl Object {
    /// Reads a JSON value by its `type`. Never fails: what cannot be read is [`Object::Malformed`].
    pub fn read(v: Value) -> Object {
        let id = super::object_id(&v);
        let kind = super::object_type(&v).map(str::to_string);
        let malformed = |error: String| Object::Malformed { kind: kind.clone(), id: id.clone(), error };
        let text = |v: Value| match serde_json::from_value::<ObjectJson>(v) {
            Ok(o) => Object::Text(Box::new(o)),
            Err(e) => malformed(e.to_string()),
        };
        match (&v, kind.as_deref()) {
            (Value::String(_), _) => match &id {
                Some(u) => Object::Reference(u.clone()),
                None => malformed("a reference that is not a web link".into()),
            },
            (Value::Object(_), Some(k)) if ACTIVITY_TYPES.contains(&k) => match serde_json::from_value::<Embedded>(v) {
                Ok(a) => Object::Activity(Box::new(a)),
                Err(e) => malformed(e.to_string()),
            },
            (Value::Object(_), Some("Event")) => match serde_json::from_value::<EventJson>(v.clone()) {
                Ok(e) => Object::Event(Box::new(e)),
                Err(e) => match text(v) {
                    Object::Text(o) => {
                        tracing::debug!(error = %e, "an Event read as a plain object");
                        Object::Text(o)
                    }
                    other => other,
                },
            },
            (Value::Object(_), Some(k)) if ACTOR_TYPES.contains(&k) => {
                match serde_json::from_value::<ActorJson>(v.clone()) {
                    Ok(a) => Object::Actor(Box::new(a)),
                    Err(_) => text(v),
                }
            }
            (Value::Object(_), Some(_)) => text(v),
            (Value::Null, _) => malformed("no object".into()),
            _ => malformed("an object without a type".into()),
        }
    }

    /// Its id, whatever it is.
    pub fn id(&self) -> Option<Url> {
        match self {
            Object::Text(o) => Some(o.id.clone()),
            Object::Event(e) => Some(e.id.clone()),
            Object::Actor(a) => Some(a.id.clone()),
            Object::Activity(a) => a.id.clone(),
            Object::Reference(u) => Some(u.clone()),
            Object::Malformed { id, .. } => id.clone(),
        }
    }

    /// Its `type` (`None` for a bare reference).
    pub fn kind(&self) -> Option<&str> {
        match self {
            Object::Text(o) => Some(&o.kind),
            Object::Event(e) => Some(&e.kind),
            Object::Actor(a) => Some(&a.kind),
            Object::Activity(a) => Some(&a.kind),
            Object::Reference(_) => None,
            Object::Malformed { kind, .. } => kind.as_deref(),
        }
    }

    /// Whether it was sent embedded (not as a bare id).
    pub fn is_embedded(&self) -> bool {
        !matches!(self, Object::Reference(_) | Object::Malformed { kind: None, .. })
    }

    /// The embedded activity, when it is one.
    pub fn activity(&self) -> Option<&Embedded> {
        match self {
            Object::Activity(a) => Some(a),
            _ => None,
        }
    }

    /// Why it could not be read, when it could not.
    pub fn error(&self) -> Option<&str> {
        match self {
            Object::Malformed { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_are_read_by_type() {
        let read = |v: Value| Object::read(v);
        assert!(matches!(read(json!("https://a.example/x")), Object::Reference(_)));
        assert!(matches!(read(json!("javascript:alert(1)")), Object::Malformed { id: None, .. }));
        assert!(matches!(read(json!({"id": "https://a.example/n", "type": "Note"})), Object::Text(_)));
        assert!(matches!(read(json!({"type": "Follow", "object": "https://b.example/g"})), Object::Activity(_)));
        let event = read(json!({"id": "https://a.example/e", "type": "Event", "startTime": "1500-01-01T00:00:00Z"}));
        // An event with a time outside the window is not an event we read.
        assert!(matches!(&event, Object::Text(o) if o.kind == "Event"));
        let bad = read(json!({"id": "https://a.example/t"}));
        assert_eq!((bad.kind(), bad.id().map(String::from)), (None, Some("https://a.example/t".into())));
    }
}
