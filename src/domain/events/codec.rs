//! The event row's JSON columns (sessions, agenda, FAQ, facilitators): written from and read
//! into the types of [`super`].
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AgendaItem, Facilitator, FaqItem, Session};
use crate::db::event;
use crate::error::{AppError, AppResult};

/// A value as its JSON column stores it.
pub(super) fn json<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(AppError::internal)
}

/// A JSON column read into its type, borrowing from the row (no copy of the value first).
fn stored<'a, T: Deserialize<'a>>(v: &'a serde_json::Value) -> AppResult<T> {
    T::deserialize(v).map_err(|e| AppError::internal(anyhow::anyhow!("stored event JSON: {e}")))
}

/// A session's time as stored: RFC 3339 as written, through chrono's RFC 3339 parser (a list
/// page reads every session of every event, and chrono's general parser that `DateTime`'s own
/// `Deserialize` uses was a tenth of the signed-in events page); anything else the general
/// parser takes, as before.
pub(super) fn stored_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct Time;
    impl serde::de::Visitor<'_> for Time {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a date and time")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            match DateTime::parse_from_rfc3339(text) {
                Ok(t) => Ok(t.with_timezone(&Utc)),
                Err(_) => text.parse::<DateTime<Utc>>().map_err(E::custom),
            }
        }
    }
    d.deserialize_str(Time)
}

/// The sessions of an event row, in order.
pub fn sessions(e: &event::Model) -> AppResult<Vec<Session>> {
    stored(&e.sessions)
}
pub fn agenda(e: &event::Model) -> AppResult<Vec<AgendaItem>> {
    stored(&e.agenda)
}
pub fn faq(e: &event::Model) -> AppResult<Vec<FaqItem>> {
    stored(&e.faq)
}
pub fn facilitators(e: &event::Model) -> AppResult<Vec<Facilitator>> {
    stored(&e.facilitators)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_read_as_written_and_as_older_rows_spell_them() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_else(|_| unreachable!());
        let written = Session {
            starts_at: at("2026-12-04T09:30:00.123456Z"),
            ends_at: at("2026-12-04T17:00:00Z"),
            title: Some("Day one".into()),
        };
        let value = json(&written).unwrap_or_else(|_| unreachable!());
        assert_eq!(stored::<Vec<Session>>(&serde_json::json!([value])).ok(), Some(vec![written.clone()]));
        // Snake case, an offset, chrono's looser spelling: the same instants.
        let older = serde_json::json!([{"starts_at": "2026-12-04T10:30:00.123456+01:00",
            "ends_at": "2026-12-04 17:00:00 UTC", "title": "Day one"}]);
        assert_eq!(stored::<Vec<Session>>(&older).ok(), Some(vec![written]));
        for bad in [
            serde_json::json!([{"startsAt": "tomorrow", "endsAt": "2026-12-04T17:00:00Z"}]),
            serde_json::json!([{"startsAt": 5}]),
        ] {
            assert!(stored::<Vec<Session>>(&bad).is_err(), "{bad}");
        }
    }
}
