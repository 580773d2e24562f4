//! Events on the wire, as Mobilizon publishes them (so Mobilizon, Gancio and Weave instances
//! read our events, and Mastodon shows their name, summary and link).
use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use super::object::{id_list, to_value, Tag};
use super::participation::{EventJson, PostalAddress};
use super::PUBLIC;

/// The JSON-LD context terms Mobilizon uses for events, added to [`super::context`].
pub fn context() -> Value {
    super::parse_context(MOBILIZON_CONTEXT)
}

const MOBILIZON_CONTEXT: &str = r#"[
    "https://www.w3.org/ns/activitystreams",
    {
        "mz": "https://joinmobilizon.org/ns#",
        "sc": "http://schema.org#",
        "ical": "http://www.w3.org/2002/12/cal/ical#",
        "joinMode": { "@id": "mz:joinMode", "@type": "mz:joinModeType" },
        "externalParticipationUrl": { "@id": "mz:externalParticipationUrl", "@type": "sc:URL" },
        "timezone": { "@id": "mz:timezone", "@type": "sc:Text" },
        "isOnline": { "@id": "mz:isOnline", "@type": "sc:Boolean" },
        "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
        "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
        "participantCount": { "@id": "mz:participantCount", "@type": "sc:Number" },
        "PostalAddress": "sc:PostalAddress",
        "address": { "@id": "sc:address", "@type": "sc:address" },
        "addressCountry": "sc:addressCountry",
        "addressLocality": "sc:addressLocality",
        "streetAddress": "sc:streetAddress",
        "location": { "@id": "sc:location", "@type": "sc:Place" },
        "commentsEnabled": { "@id": "pt:commentsEnabled", "@type": "sc:Boolean" },
        "pt": "https://joinpeertube.org/ns#",
        "Hashtag": "as:Hashtag"
    }
]"#;

/// Where an event happens.
pub enum Place {
    Online,
    Venue { name: Option<String>, street: Option<String>, locality: Option<String>, country: Option<String> },
}

/// What an event's document says. The domain fills it from its rows.
pub struct EventDoc {
    pub id: Url,
    pub name: String,
    /// Readable date, time and place first: Mastodon shows only name, summary and link.
    pub summary: String,
    /// Sanitised HTML.
    pub content: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone: String,
    pub place: Place,
    pub online: bool,
    /// The hosting group's id (its own group first, then co-hosts).
    pub attributed_to: Url,
    /// Co-hosting groups that accepted.
    pub contributors: Vec<Url>,
    pub organizer: Option<Url>,
    pub followers: Option<Url>,
    pub capacity: Option<i32>,
    pub remaining: Option<i32>,
    pub participants: i32,
    /// `free`, `restricted` (hosts answer requests) or `external`.
    pub join_mode: &'static str,
    pub external_url: Option<String>,
    pub cancelled: bool,
    pub tags: Vec<(String, Url)>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Sent as `image` (Mobilizon, Weave) and as a `Document` attachment (Mastodon shows those).
    pub picture: Option<super::actor::Image>,
}

/// The `Event` object.
pub fn event(d: EventDoc) -> Value {
    let location = match d.place {
        Place::Online => Value::Null,
        Place::Venue { name, street, locality, country } => to_value(super::participation::Place {
            kind: "Place".into(),
            name,
            address: PostalAddress {
                kind: "PostalAddress".into(),
                street_address: street,
                address_locality: locality,
                address_country: country,
            },
        }),
    };
    let tags: Vec<Tag> = d.tags.iter().map(|(name, href)| Tag::hashtag(name, Some(href))).collect();
    let attachment = match &d.picture {
        Some(p) => to_value([super::actor::Image { kind: Some("Document".into()), ..p.clone() }]),
        None => Value::Null,
    };
    to_value(EventJson {
        kind: "Event".into(),
        url: Value::String(d.id.to_string()),
        id: d.id,
        name: Some(d.name),
        summary: Some(d.summary),
        content: d.content,
        media_type: Some("text/html".into()),
        start_time: d.start,
        end_time: Some(d.end),
        timezone: Some(d.timezone),
        is_online: Some(d.online),
        attributed_to: Value::String(d.attributed_to.to_string()),
        contributors: if d.contributors.is_empty() { Value::Null } else { id_list(d.contributors) },
        actor: d.organizer,
        location,
        to: id_list([PUBLIC]),
        cc: id_list(d.followers),
        maximum_attendee_capacity: d.capacity.map(i64::from),
        remaining_attendee_capacity: d.remaining.map(i64::from),
        participant_count: Some(i64::from(d.participants)),
        join_mode: Some(d.join_mode.into()),
        external_participation_url: d.external_url.as_deref().and_then(super::web_url),
        status: Some(if d.cancelled { "CANCELLED" } else { "CONFIRMED" }.into()),
        comments_enabled: Some(false),
        tag: to_value(tags),
        published: Some(d.published),
        updated: Some(d.updated),
        image: d.picture,
        attachment,
    })
}
