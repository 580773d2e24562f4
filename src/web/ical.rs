//! iCalendar (RFC 5545) for events: one VEVENT per session, times in the event's own zone
//! (`TZID`) with a VTIMEZONE for every zone used, a stable UID per session, SEQUENCE bumped on
//! every change, STATUS:CANCELLED once cancelled.
//!
//! Written here rather than with the `icalendar` crate, which (0.17) cannot emit VTIMEZONE
//! components; tests parse the output back with a third-party parser.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Datelike as _, Duration, NaiveDateTime, Offset as _, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents as _, OffsetName as _, Tz};

use crate::ap::bounds::in_window;
use crate::ap::web_url;
use crate::db::enums::EventStatus;
use crate::db::event;
use crate::domain::events;

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets (never inside a UTF-8 sequence), CRLF-ended.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn utc_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local_stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.abs();
    format!("{sign}{:02}{:02}", secs / 3600, (secs % 3600) / 60)
}

/// The total UTC offset of a zone at an instant, in seconds.
fn offset_at(tz: Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()
}

/// The instants in `[from, to)` at which the zone's offset changes (to the second). Looks at
/// the offset once a day and narrows each change down by bisection: callers keep the span to
/// one year (see [`observances`]), so the cost is bounded whatever dates are stored.
fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut day = from;
    let mut before = offset_at(tz, day);
    while day < to {
        let next = day + Duration::days(1);
        let after = offset_at(tz, next);
        if before != after {
            // Narrow down to the second, in whole seconds.
            let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(day);
            let (mut lo, mut hi) = (day.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, at(mid)) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            if at(hi) < to {
                out.push(at(hi));
            }
        }
        before = after;
        day = next;
    }
    out
}

/// Appends one STANDARD or DAYLIGHT sub-component: from `at` the zone's offset is `after`'s.
fn observance(out: &mut String, tz: Tz, at: DateTime<Utc>, before: i32) {
    let after = tz.offset_from_utc_datetime(&at.naive_utc());
    let kind = if after.dst_offset().is_zero() { "STANDARD" } else { "DAYLIGHT" };
    // DTSTART is the local time of the onset, as clocks showed it just before.
    let local = at.naive_utc() + Duration::seconds(i64::from(before));
    line(out, &format!("BEGIN:{kind}"));
    line(out, &format!("DTSTART:{}", local_stamp(local)));
    line(out, &format!("TZOFFSETFROM:{}", offset(before)));
    line(out, &format!("TZOFFSETTO:{}", offset(after.fix().local_minus_utc())));
    if let Some(abbr) = after.abbreviation() {
        line(out, &format!("TZNAME:{}", text(abbr)));
    }
    line(out, &format!("END:{kind}"));
}

/// Years kept in the observance cache at most; past it the cache starts again empty.
const MAX_KEPT_YEARS: usize = 4096;

/// The observances of `tz` that cover local times of `year`: the one in effect as the year
/// begins (an onset that changes nothing, so the year stands on its own) and every change
/// within it. Computed once per zone and year.
fn observances(tz: Tz, year: i32) -> Arc<str> {
    type Kept = Mutex<HashMap<(Tz, i32), Arc<str>>>;
    static KEPT: LazyLock<Kept> = LazyLock::new(Mutex::default);
    if let Some(kept) = KEPT.lock().unwrap_or_else(|p| p.into_inner()).get(&(tz, year)) {
        return kept.clone();
    }
    let mut out = String::new();
    // A day either side of the UTC year covers the local year in every zone.
    let start = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().map(|t| t - Duration::days(1));
    let end = Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).single().map(|t| t + Duration::days(1));
    if let (Some(start), Some(end)) = (start, end) {
        observance(&mut out, tz, start, offset_at(tz, start));
        for at in transitions(tz, start, end) {
            observance(&mut out, tz, at, offset_at(tz, at - Duration::seconds(1)));
        }
    }
    let out: Arc<str> = out.into();
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    if kept.len() >= MAX_KEPT_YEARS {
        kept.clear();
    }
    kept.insert((tz, year), out.clone());
    out
}

/// A VTIMEZONE for `tz` covering the local `years` its sessions use (each in the date window,
/// see `ap::bounds`): the cost grows with the number of years used, never with the span.
fn vtimezone(out: &mut String, tz: Tz, years: &BTreeSet<i32>) {
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", tz.name()));
    for year in years {
        out.push_str(&observances(tz, *year));
    }
    line(out, "END:VTIMEZONE");
}

/// The sessions a calendar shows: those wholly inside the date window (stored rows from before
/// the window existed may hold anything; a session outside it is left out).
fn shown_sessions(e: &event::Model) -> Vec<events::Session> {
    events::sessions(e)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| in_window(s.starts_at) && in_window(s.ends_at) && s.starts_at <= s.ends_at)
        .collect()
}

/// Single-event calendars kept at most; past it the cache starts again empty.
const MAX_KEPT_EVENTS: usize = 1024;

type EventVersion = (String, uuid::Uuid, DateTime<Utc>, i32);

/// The calendar of one event (`GET /events/{id}.ics`), rendered once per version of the event
/// (its `updated_at` and `sequence`) and kept, within [`MAX_KEPT_EVENTS`]. Rendering runs off
/// the async workers.
pub async fn event_calendar(domain: &str, entry: Entry) -> String {
    type Kept = Mutex<HashMap<EventVersion, Arc<str>>>;
    static KEPT: LazyLock<Kept> = LazyLock::new(Mutex::default);
    let e = &entry.event;
    let key: EventVersion = (format!("{domain} {}", entry.url), e.id, e.updated_at, e.sequence);
    if let Some(kept) = KEPT.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return kept.to_string();
    }
    let (name, domain) = (entry.event.title.clone(), domain.to_string());
    let body = render_blocking(move || calendar(&name, &domain, std::slice::from_ref(&entry))).await;
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    if kept.len() >= MAX_KEPT_EVENTS {
        kept.clear();
    }
    kept.insert(key, body.as_str().into());
    body
}

/// A whole calendar, rendered off the async workers (see [`calendar`]).
pub async fn calendar_blocking(name: String, domain: String, entries: Vec<Entry>) -> String {
    render_blocking(move || calendar(&name, &domain, &entries)).await
}

async fn render_blocking(f: impl FnOnce() -> String + Send + 'static) -> String {
    // Only a panic inside `f` fails the join; the calendar is then empty rather than the worker lost.
    tokio::task::spawn_blocking(f).await.unwrap_or_default()
}

/// What a calendar shows of an event.
pub struct Entry {
    pub event: event::Model,
    pub url: String,
    /// The online link, for feeds of people who may see it.
    pub show_online_url: bool,
}

/// A whole calendar: `name` (X-WR-CALNAME) and its events; `domain` makes UIDs unique.
pub fn calendar(name: &str, domain: &str, entries: &[Entry]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, &format!("PRODID:-//Weave//{} {}//EN", text(domain), env!("CARGO_PKG_VERSION")));
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    // Zones in use, each with the local years its sessions use.
    let mut zones: BTreeMap<String, (Tz, BTreeSet<i32>)> = BTreeMap::new();
    for e in entries.iter().map(|x| &x.event) {
        let Ok(tz) = events::parse_zone(&e.timezone) else { continue };
        let sessions = shown_sessions(e);
        if sessions.is_empty() {
            continue;
        }
        let years = &mut zones.entry(tz.name().to_string()).or_insert((tz, BTreeSet::new())).1;
        for s in sessions {
            years.insert(s.starts_at.with_timezone(&tz).year());
            years.insert(s.ends_at.with_timezone(&tz).year());
        }
    }
    for (tz, years) in zones.values() {
        vtimezone(&mut out, *tz, years);
    }
    for entry in entries {
        vevents(&mut out, domain, entry);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn vevents(out: &mut String, domain: &str, entry: &Entry) {
    let e = &entry.event;
    let tz = events::parse_zone(&e.timezone).unwrap_or(Tz::UTC);
    let sessions = shown_sessions(e);
    let count = sessions.len();
    let mut description = String::new();
    if let Some(s) = &e.summary {
        let _ = writeln!(description, "{s}");
    }
    if let Some(r) = &e.cancel_reason {
        let _ = writeln!(description, "Cancelled: {r}");
    }
    if entry.show_online_url {
        if let Some(u) = e.online_url.as_deref().and_then(web_url) {
            let _ = writeln!(description, "Join online: {u}");
        }
    }
    let _ = write!(description, "{}", entry.url);
    for (i, s) in sessions.iter().enumerate() {
        let local = |t: DateTime<Utc>| local_stamp(t.with_timezone(&tz).naive_local());
        line(out, "BEGIN:VEVENT");
        line(out, &format!("UID:{}-{}@{}", e.id, i + 1, text(domain)));
        line(out, &format!("DTSTAMP:{}", utc_stamp(e.updated_at)));
        line(out, &format!("DTSTART;TZID={}:{}", tz.name(), local(s.starts_at)));
        line(out, &format!("DTEND;TZID={}:{}", tz.name(), local(s.ends_at)));
        let summary = match (&s.title, count) {
            (Some(t), _) => format!("{} — {t}", e.title),
            (None, 1) => e.title.clone(),
            (None, n) => format!("{} ({}/{n})", e.title, i + 1),
        };
        line(out, &format!("SUMMARY:{}", text(&summary)));
        line(out, &format!("DESCRIPTION:{}", text(&description)));
        line(out, &format!("LOCATION:{}", text(&events::place(e))));
        line(out, &format!("URL:{}", entry.url));
        line(out, &format!("SEQUENCE:{}", e.sequence.max(0)));
        line(out, &format!("LAST-MODIFIED:{}", utc_stamp(e.updated_at)));
        line(out, &format!("CREATED:{}", utc_stamp(e.created_at)));
        let status = if e.status == EventStatus::Cancelled { "CANCELLED" } else { "CONFIRMED" };
        line(out, &format!("STATUS:{status}"));
        let tags = events::tags(e);
        if !tags.is_empty() {
            line(out, &format!("CATEGORIES:{}", tags.iter().map(|t| text(t)).collect::<Vec<_>>().join(",")));
        }
        line(out, "END:VEVENT");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l:?}");
        }
        assert!(out.starts_with("SUMMARY:éé"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn los_angeles_has_two_transitions_a_year() {
        let from = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().unwrap_or_else(|| unreachable!());
        let to = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap_or_else(|| unreachable!());
        let t = transitions(chrono_tz::America::Los_Angeles, from, to);
        assert_eq!(t.len(), 2);
        // 10 March 2024, 2am PST = 10:00 UTC.
        assert_eq!(t[0], Utc.with_ymd_and_hms(2024, 3, 10, 10, 0, 0).single().unwrap_or_else(|| unreachable!()));
    }
}
