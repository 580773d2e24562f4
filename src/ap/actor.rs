//! Actors on the wire: the document we publish for members (`Person`), groups (`Group`) and
//! the instance (`Application`), and the checks a remote actor document must pass before the
//! domain stores it.
use activitypub_federation::protocol::helpers::deserialize_skip_error;
use activitypub_federation::protocol::public_key::PublicKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{authority, same_origin};

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_opt"
    )]
    pub shared_inbox: Option<Url>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Image {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub url: Url,
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub media_type: Option<String>,
    /// What the picture shows (its alt text).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub name: Option<String>,
}

impl Image {
    pub fn new(url: Url, media_type: Option<String>, name: Option<String>) -> Image {
        Image { kind: Some("Image".into()), url, media_type, name }
    }
}

/// The wire form of every actor type we publish and accept (Person, Group, Application,
/// Service, Organization), with the fields Mastodon, Mobilizon and Lemmy send.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorJson {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub id: Url,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub inbox: Url,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_opt"
    )]
    pub outbox: Option<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_opt"
    )]
    pub followers: Option<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_opt"
    )]
    pub following: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    /// Mastodon sends a string; some servers an object or a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub icon: Option<Image>,
    /// A header picture: a group's banner.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub image: Option<Image>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub manually_approves_followers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub discoverable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub published: Option<DateTime<Utc>>,
}

/// Why a remote actor document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidActor(pub &'static str);

/// The kinds of actor rows a remote document becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteKind {
    /// Person, Service, Application, Organization: stored as a member.
    Person,
    /// Group: stored as a group (partner networks, Lemmy communities, Mobilizon groups).
    Group,
}

/// A remote actor document that passed every check, in the shape the domain stores. Texts are
/// as received (the domain sanitises and bounds them).
#[derive(Clone, Debug)]
pub struct RemoteActor {
    pub kind: RemoteKind,
    pub ap_id: Url,
    /// As the server spells it (WebFinger keeps this case); the handle is lowercase.
    pub username: String,
    /// `name@host[:port]`, lowercase.
    pub handle: String,
    pub domain: String,
    pub name: Option<String>,
    pub summary: Option<String>,
    pub inbox: Url,
    /// Only on the actor's own server: a shared inbox elsewhere would point our signed
    /// deliveries at someone else.
    pub shared_inbox: Option<Url>,
    pub outbox: Option<Url>,
    pub followers: Option<Url>,
    pub public_key_pem: String,
    pub icon: Option<Image>,
    pub image: Option<Image>,
    pub profile_url: Option<String>,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
}

impl ActorJson {
    /// The origin checks every actor document must pass: its id and inbox on the expected
    /// server, and its key owned by itself.
    pub fn verify_origin(&self, expected: &Url) -> Result<(), InvalidActor> {
        if !same_origin(&self.id, expected) {
            return Err(InvalidActor("the actor's id is not on the server it came from"));
        }
        if !same_origin(&self.inbox, &self.id) {
            return Err(InvalidActor("the actor's inbox is on another server"));
        }
        if self.public_key.owner != self.id {
            return Err(InvalidActor("publicKey.owner is not the actor"));
        }
        Ok(())
    }

    /// The profile page (`url`), in whichever of the shapes servers send it, when it is a web
    /// link.
    pub fn profile_url(&self) -> Option<String> {
        use serde_json::Value;
        let href = |v: &Value| match v {
            Value::String(s) => super::web_url(s),
            Value::Object(o) => o.get("href").and_then(Value::as_str).and_then(super::web_url),
            _ => None,
        };
        match &self.url {
            Some(Value::Array(a)) => a.iter().take(16).find_map(href),
            Some(v) => href(v),
            None => None,
        }
        .map(String::from)
    }

    /// Checks a document from another server (`local_domain` is ours) and reads it into the
    /// shape the domain stores.
    pub fn into_remote(self, local_domain: &str) -> Result<RemoteActor, InvalidActor> {
        let domain = authority(&self.id);
        if domain.is_empty() || domain == local_domain.to_lowercase() {
            return Err(InvalidActor("a remote document claims a local id"));
        }
        if !same_origin(&self.inbox, &self.id) || self.public_key.owner != self.id {
            return Err(InvalidActor("the actor's inbox or key is not its own"));
        }
        // A server's own actor (Mastodon's instance actor, ours) is named after its domain,
        // port included: read as a name, never as a handle anyone follows.
        let server_name: String;
        let username = if matches!(self.kind.as_str(), "Application" | "Service") {
            server_name = self
                .preferred_username
                .chars()
                .map(|c| if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' })
                .collect();
            server_name.as_str()
        } else {
            self.preferred_username.as_str()
        };
        let username_ok = !username.is_empty()
            && username.chars().count() <= 100
            && username.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !username_ok {
            return Err(InvalidActor("preferredUsername has characters a handle cannot have"));
        }
        let shared_inbox =
            self.endpoints.as_ref().and_then(|e| e.shared_inbox.clone()).filter(|u| same_origin(u, &self.id));
        let profile_url = self.profile_url();
        Ok(RemoteActor {
            kind: if self.kind == "Group" { RemoteKind::Group } else { RemoteKind::Person },
            handle: format!("{}@{domain}", username.to_lowercase()),
            username: username.to_string(),
            domain,
            name: self.name,
            summary: self.summary,
            inbox: self.inbox,
            shared_inbox,
            outbox: self.outbox,
            followers: self.followers,
            public_key_pem: self.public_key.public_key_pem,
            icon: self.icon,
            image: self.image,
            profile_url,
            manually_approves_followers: self.manually_approves_followers.unwrap_or(false),
            discoverable: self.discoverable.unwrap_or(false),
            ap_id: self.id,
        })
    }
}

/// What a local actor's document says. The domain fills it from its rows.
pub struct LocalActor {
    /// `Person`, `Group` or `Application`.
    pub kind: &'static str,
    pub id: Url,
    pub preferred_username: String,
    pub name: String,
    pub summary_html: Option<String>,
    pub inbox: Url,
    pub shared_inbox: Url,
    pub outbox: Option<Url>,
    pub followers: Option<Url>,
    pub following: Option<Url>,
    pub public_key_pem: String,
    pub url: String,
    pub icon: Option<Image>,
    pub image: Option<Image>,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub published: Option<DateTime<Utc>>,
}

/// The actor document we publish.
pub fn document(a: LocalActor) -> ActorJson {
    ActorJson {
        kind: a.kind.into(),
        public_key: PublicKey {
            id: format!("{}#main-key", a.id),
            owner: a.id.clone(),
            public_key_pem: a.public_key_pem,
        },
        id: a.id,
        preferred_username: a.preferred_username,
        name: Some(a.name),
        summary: a.summary_html,
        inbox: a.inbox,
        outbox: a.outbox,
        followers: a.followers,
        following: a.following,
        endpoints: Some(Endpoints { shared_inbox: Some(a.shared_inbox) }),
        url: Some(serde_json::Value::String(a.url)),
        icon: a.icon,
        image: a.image,
        manually_approves_followers: Some(a.manually_approves_followers),
        discoverable: Some(a.discoverable),
        published: a.published,
    }
}
