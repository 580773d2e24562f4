//! Events on the wire, as Mobilizon publishes them (so Mobilizon, Gancio and Weave instances
//! read our events, and Mastodon shows their name, summary and link).
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use url::Url;

use super::PUBLIC;

/// The JSON-LD context terms Mobilizon uses for events, added to [`super::context`].
pub fn context() -> Value {
    json!([
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
    ])
}

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
}

/// The `Event` object.
pub fn event(d: EventDoc) -> Value {
    let location = match d.place {
        Place::Online => Value::Null,
        Place::Venue { name, street, locality, country } => json!({
            "type": "Place",
            "name": name,
            "address": {
                "type": "PostalAddress",
                "streetAddress": street,
                "addressLocality": locality,
                "addressCountry": country
            }
        }),
    };
    let mut v = json!({
        "type": "Event",
        "id": d.id,
        "url": d.id,
        "name": d.name,
        "summary": d.summary,
        "content": d.content,
        "mediaType": "text/html",
        "startTime": d.start.to_rfc3339(),
        "endTime": d.end.to_rfc3339(),
        "timezone": d.timezone,
        "isOnline": d.online,
        "attributedTo": d.attributed_to,
        "contributors": if d.contributors.is_empty() { Value::Null } else { json!(d.contributors) },
        "actor": d.organizer,
        "to": [PUBLIC],
        "cc": d.followers.iter().collect::<Vec<_>>(),
        "maximumAttendeeCapacity": d.capacity,
        "remainingAttendeeCapacity": d.remaining,
        "participantCount": d.participants,
        "joinMode": d.join_mode,
        "externalParticipationUrl": d.external_url,
        "ical:status": if d.cancelled { "CANCELLED" } else { "CONFIRMED" },
        "commentsEnabled": false,
        "tag": d.tags.iter().map(|(name, href)| json!({"type": "Hashtag", "name": format!("#{name}"), "href": href})).collect::<Vec<_>>(),
        "published": d.published.to_rfc3339(),
        "updated": d.updated.to_rfc3339(),
    });
    if let Some(o) = v.as_object_mut() {
        if !location.is_null() {
            o.insert("location".into(), location);
        }
        o.retain(|_, value| !value.is_null());
    }
    v
}
