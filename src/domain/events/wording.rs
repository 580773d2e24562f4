//! An event in words, in its own time zone: when (each session) and where.
use super::codec::sessions;
use super::rules::parse_zone;
use crate::db::enums::LocationMode;
use crate::db::event;

/// "Thursday, 19 September 2024, 09:00–12:00 PDT" in the event's zone.
pub fn when(e: &event::Model) -> Vec<String> {
    let tz = parse_zone(&e.timezone).unwrap_or(chrono_tz::Tz::UTC);
    sessions(e)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let (a, b) = (s.starts_at.with_timezone(&tz), s.ends_at.with_timezone(&tz));
            let end = if a.date_naive() == b.date_naive() {
                b.format("%H:%M %Z").to_string()
            } else {
                b.format("%A, %-d %B %Y, %H:%M %Z").to_string()
            };
            let title = s.title.as_deref().map(|t| format!(" · {t}")).unwrap_or_default();
            format!("{}–{end}{title}", a.format("%A, %-d %B %Y, %H:%M"))
        })
        .collect()
}

/// Where, in words: the venue and address, or "Online".
pub fn place(e: &event::Model) -> String {
    let place: Vec<&str> =
        [&e.venue, &e.address, &e.city, &e.country].into_iter().filter_map(|p| p.as_deref()).collect();
    match e.location_mode {
        LocationMode::Online => "Online".into(),
        LocationMode::InPerson => place.join(", "),
        LocationMode::Hybrid => format!("{} and online", place.join(", ")),
    }
}
