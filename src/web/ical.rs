//! iCalendar (RFC 5545) for events: one VEVENT per session, times in the event's own zone
//! (`TZID`) with a VTIMEZONE for every zone used, a stable UID per session, SEQUENCE bumped on
//! every change, STATUS:CANCELLED once cancelled.
//!
//! Written here rather than with the `icalendar` crate, which (0.17) cannot emit VTIMEZONE
//! components; tests parse the output back with a third-party parser.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike as _, Duration, NaiveDateTime, Offset as _, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents as _, OffsetName as _, Tz};

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

/// The instants in `[from, to)` at which the zone's offset changes (to the second).
fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut day = from;
    while day < to {
        let next = day + Duration::days(1);
        if offset_at(tz, day) != offset_at(tz, next) {
            // Narrow down to the second, in whole seconds.
            let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(day);
            let (mut lo, mut hi) = (day.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, at(mid)) == offset_at(tz, at(lo)) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(at(hi));
        }
        day = next;
    }
    out
}

/// A VTIMEZONE for `tz` covering the years of `[from, to]`: one STANDARD/DAYLIGHT
/// sub-component per transition, or a single STANDARD for zones without any.
fn vtimezone(out: &mut String, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) {
    // From the year before, so that the first observance covers the start of the span.
    let start = Utc.with_ymd_and_hms(from.year() - 1, 1, 1, 0, 0, 0).single().unwrap_or(from);
    let end = Utc.with_ymd_and_hms(to.year() + 1, 1, 1, 0, 0, 0).single().unwrap_or(to);
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", tz.name()));
    let changes = transitions(tz, start, end);
    if changes.is_empty() {
        let o = tz.offset_from_utc_datetime(&start.naive_utc());
        let secs = o.fix().local_minus_utc();
        line(out, "BEGIN:STANDARD");
        line(out, "DTSTART:19700101T000000");
        line(out, &format!("TZOFFSETFROM:{}", offset(secs)));
        line(out, &format!("TZOFFSETTO:{}", offset(secs)));
        if let Some(abbr) = o.abbreviation() {
            line(out, &format!("TZNAME:{}", text(abbr)));
        }
        line(out, "END:STANDARD");
    }
    for at in changes {
        let before = offset_at(tz, at - Duration::seconds(1));
        let after = tz.offset_from_utc_datetime(&at.naive_utc());
        let kind = if after.dst_offset().is_zero() { "STANDARD" } else { "DAYLIGHT" };
        // DTSTART is the local time of the change, as clocks showed it just before.
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
    line(out, "END:VTIMEZONE");
}

/// What a calendar shows of an event.
pub struct Entry<'a> {
    pub event: &'a event::Model,
    pub url: String,
    /// The online link, for feeds of people who may see it.
    pub show_online_url: bool,
}

/// A whole calendar: `name` (X-WR-CALNAME) and its events; `domain` makes UIDs unique.
pub fn calendar(name: &str, domain: &str, entries: &[Entry<'_>]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, &format!("PRODID:-//Weave//{} {}//EN", text(domain), env!("CARGO_PKG_VERSION")));
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    // Zones in use, each with the span of the events using it.
    let mut zones: BTreeMap<String, (Tz, DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    for e in entries.iter().map(|x| x.event) {
        let Ok(tz) = events::parse_zone(&e.timezone) else { continue };
        let span = zones.entry(tz.name().to_string()).or_insert((tz, e.starts_at, e.ends_at));
        span.1 = span.1.min(e.starts_at);
        span.2 = span.2.max(e.ends_at);
    }
    for (tz, from, to) in zones.values() {
        vtimezone(&mut out, *tz, *from, *to);
    }
    for entry in entries {
        vevents(&mut out, domain, entry);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn vevents(out: &mut String, domain: &str, entry: &Entry<'_>) {
    let e = entry.event;
    let tz = events::parse_zone(&e.timezone).unwrap_or(Tz::UTC);
    let sessions = events::sessions(e).unwrap_or_default();
    let count = sessions.len();
    let mut description = String::new();
    if let Some(s) = &e.summary {
        let _ = writeln!(description, "{s}");
    }
    if let Some(r) = &e.cancel_reason {
        let _ = writeln!(description, "Cancelled: {r}");
    }
    if entry.show_online_url {
        if let Some(u) = &e.online_url {
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
