//! Events from other servers and registration across servers, as Mobilizon does it: a remote
//! person `Join`s an event and its group answers `Accept` or `Reject`; `Leave` (or
//! `Undo(Join)`) gives the seat back. Also the lenient reading of received `Event`s.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use activitypub_federation::protocol::helpers::deserialize_skip_error;

use super::object::{id_list, to_value, ObjectJson, PollOption, Replies, Tag};
use super::PUBLIC;

use super::activities::{Envelope, Kind};

/// `Join` of an event by a person, addressed to the event's group.
pub fn join(id: &str, actor: &str, event: &str, group: &str) -> Value {
    Envelope::new(Kind::Join, id, actor, vec![group.into()], event.to_string()).cc(vec![]).into_value()
}

/// `Leave` of an event.
pub fn leave(id: &str, actor: &str, event: &str, group: &str) -> Value {
    Envelope::new(Kind::Leave, id, actor, vec![group.into()], event.to_string()).cc(vec![]).into_value()
}

/// The group's answer to a `Join`: `Accept` (a seat or a place on the waitlist, named in
/// `weave:status`) or `Reject` (closed, cancelled, full), embedding the join as Mobilizon does.
pub fn answer_join(
    kind: Kind,
    id: &str,
    group: &str,
    join_id: &str,
    person: &str,
    event: &str,
    status: Option<&str>,
) -> Value {
    let join = Envelope::new(Kind::Join, join_id, person, vec![], event.to_string());
    let mut answer = Envelope::new(kind, id, group, vec![person.into()], join);
    answer.status = status.map(str::to_string);
    answer.into_value()
}

/// A public `Note` from a group (a cancellation or a new date, which Mastodon shows: it
/// ignores `Update`s of events).
pub fn announcement(
    id: &str,
    group: &str,
    followers: Option<&str>,
    html: &str,
    about: &str,
    published: DateTime<Utc>,
) -> Value {
    ObjectJson::build(id, "Note", |o| {
        o.attributed_to = Value::String(group.into());
        o.content = Some(html.into());
        o.media_type = Some("text/html".into());
        o.context = Value::String(about.into());
        o.url = Value::String(about.into());
        o.published = Some(published);
        o.to = id_list([PUBLIC]);
        o.cc = id_list(followers);
    })
}

/// An `Event`: what we publish (`super::event::event`) and what other servers send (Mobilizon,
/// Gancio, Weave), read leniently: every link and time passes `super::bounds`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventJson {
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub media_type: Option<String>,
    #[serde(
        serialize_with = "super::bounds::serialize_time_rfc3339",
        deserialize_with = "super::bounds::deserialize_time"
    )]
    pub start_time: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::bounds::serialize_time_rfc3339_opt",
        deserialize_with = "super::bounds::deserialize_time_opt"
    )]
    pub end_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub attributed_to: Value,
    /// Co-hosting groups.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub contributors: Value,
    /// The person organising it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_opt"
    )]
    pub actor: Option<Url>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub location: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_online: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_attendee_capacity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_attendee_capacity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_mode: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_opt"
    )]
    pub external_participation_url: Option<Url>,
    #[serde(rename = "ical:status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub comments_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub url: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub tag: Value,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::bounds::serialize_time_rfc3339_opt",
        deserialize_with = "super::bounds::deserialize_time_opt"
    )]
    pub published: Option<DateTime<Utc>>,
    /// When its server last changed it: an older `Update` never overwrites a newer one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::bounds::serialize_time_rfc3339_opt",
        deserialize_with = "super::bounds::deserialize_time_opt"
    )]
    pub updated: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub to: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub cc: Value,
    /// The event's picture (Mobilizon and Weave send one here).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub image: Option<super::actor::Image>,
    /// Mastodon-style attachments; Mobilizon sends its banner picture here.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub attachment: Value,
}

/// How many attachments are looked at for a picture.
const MAX_ATTACHMENTS: usize = 8;

impl EventJson {
    /// The event's picture: `image`, else the first image among its first attachments.
    pub fn picture(&self) -> Option<super::actor::Image> {
        if let Some(image) = &self.image {
            return Some(image.clone());
        }
        let attachments = match &self.attachment {
            Value::Array(items) => items.iter().take(MAX_ATTACHMENTS).collect::<Vec<_>>(),
            one @ Value::Object(_) => vec![one],
            _ => Vec::new(),
        };
        attachments
            .into_iter()
            .filter_map(|a| serde_json::from_value::<super::actor::Image>(a.clone()).ok())
            .find(|i| i.media_type.as_deref().is_some_and(|t| t.starts_with("image/")))
    }
}

/// A place as Mobilizon writes it (schema.org's `Place` with a `PostalAddress`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Place {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub address: PostalAddress,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddress {
    #[serde(rename = "type")]
    pub kind: String,
    pub street_address: Option<String>,
    pub address_locality: Option<String>,
    pub address_country: Option<String>,
}

/// Where a received event happens.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Venue {
    pub name: Option<String>,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub country: Option<String>,
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(|s| s.trim().chars().take(300).collect::<String>()).filter(|s| !s.is_empty())
}

impl EventJson {
    /// The group (or first actor) it is attributed to.
    pub fn group(&self) -> Option<Url> {
        let first = match &self.attributed_to {
            Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        super::object_id(&first)
    }

    pub fn venue(&self) -> Option<Venue> {
        let loc = match &self.location {
            Value::Array(a) => a.first()?,
            Value::Object(_) => &self.location,
            _ => return None,
        };
        if loc.get("type").and_then(Value::as_str) == Some("VirtualLocation") {
            return None;
        }
        let address = loc.get("address");
        let venue = Venue {
            name: text(loc.get("name")),
            street: text(address.and_then(|a| a.get("streetAddress"))),
            locality: text(address.and_then(|a| a.get("addressLocality"))),
            country: text(address.and_then(|a| a.get("addressCountry"))),
        };
        (venue != Venue::default()).then_some(venue)
    }

    pub fn online(&self) -> bool {
        self.is_online.unwrap_or(false)
            || matches!(&self.location, Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("VirtualLocation"))
    }

    pub fn cancelled(&self) -> bool {
        self.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
    }

    pub fn is_public(&self) -> bool {
        let public = |v: &Value| match v {
            Value::String(s) => s == PUBLIC || s == "as:Public",
            Value::Array(a) => a.iter().any(|x| x.as_str().is_some_and(|s| s == PUBLIC || s == "as:Public")),
            _ => false,
        };
        public(&self.to) || public(&self.cc)
    }

    /// Its page, when it names one that is a web link on its own server (else its id).
    pub fn page(&self) -> Url {
        let href = |x: &Value| x.as_str().or_else(|| x.get("href").and_then(Value::as_str)).and_then(super::web_url);
        match &self.url {
            Value::Array(a) => a.iter().take(16).filter_map(href).find(|u| super::same_origin(u, &self.id)),
            other => href(other).filter(|u| super::same_origin(u, &self.id)),
        }
        .unwrap_or_else(|| self.id.clone())
    }

    pub fn hashtags(&self) -> Vec<String> {
        let Value::Array(tags) = &self.tag else { return vec![] };
        tags.iter()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("Hashtag"))
            .filter_map(|t| t.get("name").and_then(Value::as_str))
            .map(|n| n.trim_start_matches('#').chars().take(60).collect::<String>())
            .filter(|n| !n.is_empty())
            .take(20)
            .collect()
    }
}

/// The options of an event's RSVP poll.
pub const GOING: &str = "Going";
pub const NOT_GOING: &str = "Not going";

/// What an event's poll says.
pub struct PollParts<'a> {
    pub id: &'a str,
    pub group: &'a str,
    pub followers: Option<&'a str>,
    pub event_url: &'a str,
    pub html: &'a str,
    pub going: i64,
    pub not_going: i64,
    pub end_time: DateTime<Utc>,
    pub closed: bool,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// The RSVP poll that goes with each public event, for Mastodon users (who cannot send
/// `Join`): a `Question` with the options "Going" and "Not going".
pub fn poll(p: &PollParts<'_>) -> Value {
    let option = |name: &str, n: i64| PollOption {
        kind: "Note".into(),
        name: name.into(),
        replies: Some(Replies { kind: "Collection".into(), total_items: n }),
    };
    ObjectJson::build(p.id, "Question", |o| {
        o.attributed_to = Value::String(p.group.into());
        o.content = Some(p.html.into());
        o.media_type = Some("text/html".into());
        o.context = Value::String(p.event_url.into());
        o.url = Value::String(p.event_url.into());
        o.one_of = Some(vec![option(GOING, p.going), option(NOT_GOING, p.not_going)]);
        o.end_time = Some(p.end_time);
        o.voters_count = Some(p.going + p.not_going);
        o.published = Some(p.published);
        o.updated = Some(p.updated);
        o.to = id_list([PUBLIC]);
        o.cc = id_list(p.followers);
        o.closed = p.closed.then_some(p.end_time);
    })
}

/// A direct `Note` from a group to one person (the answer to a vote).
pub fn direct_note(
    id: &str,
    group: &str,
    person: &str,
    person_name: &str,
    html: &str,
    in_reply_to: &str,
    published: DateTime<Utc>,
) -> Value {
    ObjectJson::build(id, "Note", |o| {
        o.attributed_to = Value::String(group.into());
        o.in_reply_to = Value::String(in_reply_to.into());
        o.content = Some(html.into());
        o.media_type = Some("text/html".into());
        o.published = Some(published);
        o.to = id_list([person]);
        o.cc = id_list(Vec::<String>::new());
        o.tag = to_value([Tag::mention(person, person_name)]);
    })
}

/// An invitation to co-host an event: `Offer` of the event from its group to another group.
pub fn offer_cohost(id: &str, group: &str, event: &str, invited: &str) -> Value {
    offer(id, group, event, invited, vec![invited.into()]).into_value()
}

fn offer(id: &str, group: &str, event: &str, invited: &str, to: Vec<String>) -> Envelope<String> {
    let mut offer = Envelope::new(Kind::Offer, id, group, to, event.to_string());
    offer.target = Some(invited.into());
    offer
}

/// The invited group's answer to an `Offer` (`Accept` or `Reject`), embedding it.
pub fn answer_offer(kind: Kind, id: &str, invited: &str, offer_id: &str, inviter: &str, event: &str) -> Value {
    Envelope::new(kind, id, invited, vec![inviter.into()], offer(offer_id, inviter, event, invited, vec![]))
        .into_value()
}
