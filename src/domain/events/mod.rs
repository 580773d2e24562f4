//! Events, one file per concern:
//! - this file: what an event is (its types) and the names callers use (`events::get`,
//!   `events::manages`, ...: everything is re-exported here);
//! - `rules`: who manages an event ([`manages`], the one rule every caller asks), who may
//!   change and see it, and the limits and checks of its fields; `fields` applies checked
//!   fields onto a row;
//! - `codec` (its JSON columns), `tags`, `hosts` (its `event_tag` and `event_host` rows),
//!   `lookup` (finding one or many), `store` (create, update, cancel), `cohosts` (co-host
//!   invitations between local groups), `list` (the list query, its filter and cursor);
//! - `wording` (when and where, in words), `document` (its ActivityPub document);
//! - [`federation`]: publishing, receiving, the RSVP poll, remote registrations, co-hosts on
//!   other servers; [`registrations`]: seats, the waitlist and held seats; [`calendar`]: each
//!   member's feed of the events they go to.
//!
//! Each file uses only files listed before it here (besides this one's types and
//! re-exports): `codec`, `tags`, `hosts`, `rules`, `wording`, `document`, `lookup`, `list`,
//! `fields`, `federation`, `registrations`, `store`, `cohosts`, `calendar`.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::enums::{EventStatus, LocationMode, Visibility};

pub mod calendar;
mod codec;
mod cohosts;
mod document;
pub mod federation;
mod fields;
mod hosts;
mod list;
mod lookup;
pub mod registrations;
mod rules;
mod store;
mod tags;
mod wording;

pub use codec::{agenda, facilitators, faq, sessions};
pub use cohosts::{answer_cohost, cohost_invitations};
pub use document::document;
pub use hosts::{host_ids, hosts, hosts_and_invited_of_many, EventHosts};
pub(crate) use list::listable;
pub use list::{decode_cursor, list, list_ids, EventFilter, EventKey, EventPage, Listed};
pub use lookup::{find, get, load_many, lock, organizer};
pub use rules::{
    ensure_changeable, manages, may_manage, may_view, open_seats, parse_zone, Hosting, MAX_AGENDA, MAX_CO_HOSTS,
    MAX_FACILITATORS, MAX_FAQ, MAX_SESSIONS, MAX_TAGS,
};
pub use store::{cancel, create, event_url, update};
pub use tags::{tag_key, tags, write_tags};
pub use wording::{place, when};

/// One session of an event (a multi-day course has one per day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    // Rows stored before sessions were written through this type spelled the keys in snake
    // case (remote events); they read the same.
    #[serde(alias = "starts_at", deserialize_with = "codec::stored_time")]
    pub starts_at: DateTime<Utc>,
    #[serde(alias = "ends_at", deserialize_with = "codec::stored_time")]
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgendaItem {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaqItem {
    pub question: String,
    pub answer: String,
}

/// A facilitator: a member of this or another instance, or a plain name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facilitator {
    pub name: String,
    #[serde(default)]
    pub member_id: Option<Uuid>,
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct LocationInput {
    pub mode: Option<LocationMode>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub online_url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FacilitatorInput {
    pub name: Option<String>,
    pub member_handle: Option<String>,
    pub role: Option<String>,
}

/// The fields of `createEvent` and `updateEvent`. On update `None` leaves a field as it is;
/// on create the required ones (title, timezone, sessions, location) must be present.
#[derive(Clone, Debug, Default)]
pub struct EventFields {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub timezone: Option<String>,
    pub sessions: Option<Vec<Session>>,
    pub location: Option<LocationInput>,
    pub capacity: Option<Option<i32>>,
    pub held_seats: Option<i32>,
    pub waitlist: Option<bool>,
    pub registration_closes_at: Option<Option<DateTime<Utc>>>,
    pub refund_policy: Option<String>,
    pub contact_email: Option<String>,
    pub external_registration_url: Option<String>,
    pub price: Option<Option<(String, String)>>,
    pub payment_url: Option<String>,
    pub agenda: Option<Vec<AgendaItem>>,
    pub faq: Option<Vec<FaqItem>>,
    pub facilitators: Option<Vec<FacilitatorInput>>,
    pub co_hosts: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    pub status: Option<EventStatus>,
    /// A picture uploaded by the one making the change (`Some(None)`: none).
    pub picture: Option<Option<Uuid>>,
}
