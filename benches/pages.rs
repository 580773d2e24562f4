//! The CPU cost of the most expensive event calendar (`GET /events/{id}.ics`) and event page
//! (`GET /events/{id}`) an anonymous caller can ask for: events with the most the API allows
//! (60 sessions spread from 1970 to 2199, a 50,000-character description, 50 agenda items, 50
//! questions, 20 facilitators, 20 tags), each in a different zone with summer time, so that
//! every first `.ics` is computed from nothing (no zone-year kept yet). Requests go one at a
//! time over HTTP; the CPU is this process's (server and client together, so an upper bound).
//!
//! `cargo bench --bench pages` (SQLite). `WEAVE_BENCH_EVENTS` (40), `WEAVE_BENCH_REPEATS`
//! (200 warm requests per kind). On PostgreSQL: `WEAVE_BENCH_DATABASE_URL=postgres://…/db`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::{Offset as _, TimeZone as _, Utc};
use serde_json::{json, Value};

mod common;
use common::{cpu_seconds_of, env_num, Instance};

/// Zones whose offset differs between January and July (summer time).
fn zones_with_summer_time(n: usize) -> Vec<&'static str> {
    let jan = Utc.with_ymd_and_hms(2030, 1, 15, 0, 0, 0).unwrap();
    let jul = Utc.with_ymd_and_hms(2030, 7, 15, 0, 0, 0).unwrap();
    chrono_tz::TZ_VARIANTS
        .iter()
        .filter(|tz| {
            let o = |t: chrono::DateTime<Utc>| t.with_timezone(*tz).offset().fix().local_minus_utc();
            o(jan) != o(jul)
        })
        .map(|tz| tz.name())
        .take(n)
        .collect()
}

fn input(group: &str, zone: &str) -> Value {
    // One session every ~3.9 years, 1970 to 2199, in July (summer time where there is one).
    let sessions: Vec<Value> = (0..60)
        .map(|i| {
            let year = 1970 + i * 229 / 59;
            json!({"startsAt": format!("{year}-07-01T09:00:00Z"), "endsAt": format!("{year}-07-01T11:00:00Z"),
                   "title": format!("Session {i}")})
        })
        .collect();
    let paragraph = "Learning across a network takes *time*, [links](https://example.org/a) and care. ";
    let description: String = paragraph.repeat(50_000 / paragraph.len());
    json!({
        "groupId": group,
        "title": "The most expensive event",
        "summary": "Sixty sessions over two centuries.",
        "description": description,
        "timezone": zone,
        "sessions": sessions,
        "location": {"mode": "HYBRID", "venue": "The hall", "address": "1 Main St", "city": "Lisbon",
                     "country": "Portugal", "onlineUrl": "https://meet.example.org/x"},
        "capacity": 100,
        "agenda": (0..50).map(|i| json!({"title": format!("Item {i}"), "description": "What we do then, and why."})).collect::<Vec<_>>(),
        "faq": (0..50).map(|i| json!({"question": format!("Question {i}?"), "answer": "An answer of a sentence or two."})).collect::<Vec<_>>(),
        "facilitators": (0..20).map(|i| json!({"name": format!("Facilitator {i}"), "role": "Coach"})).collect::<Vec<_>>(),
        "tags": (0..20).map(|i| format!("tag{i}")).collect::<Vec<_>>(),
        "externalRegistrationUrl": "https://tickets.example.org/x",
    })
}

/// CPU milliseconds per request for GETs of `urls`, one at a time; checks each answers 200.
async fn cpu_ms_per_request(client: &reqwest::Client, urls: &[String]) -> (f64, f64) {
    let pid = std::process::id();
    let (cpu0, wall0) = (cpu_seconds_of(pid), Instant::now());
    for url in urls {
        let r = client.get(url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{url}");
        r.bytes().await.unwrap();
    }
    let n = urls.len() as f64;
    ((cpu_seconds_of(pid) - cpu0) * 1000.0 / n, wall0.elapsed().as_secs_f64() * 1000.0 / n)
}

#[actix_web::main]
async fn main() {
    let events = env_num("WEAVE_BENCH_EVENTS", 40).max(1);
    let repeats = env_num("WEAVE_BENCH_REPEATS", 200).max(1);
    let instance = Instance::start().await;
    let token = instance.app_state.jwt.issue(instance.admin.id).unwrap();
    let client = reqwest::Client::new();
    let zones = zones_with_summer_time(events);
    let mut ids = Vec::new();
    for zone in &zones {
        let q = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }";
        let variables = json!({"input": input(&instance.community.id.to_string(), zone)});
        let v = common::gql(&client, &instance.base, Some(&token), q, variables).await;
        let id = v["data"]["createEvent"]["id"].as_str().unwrap_or_else(|| panic!("{v}")).to_string();
        ids.push(id);
    }
    let ics: Vec<String> = ids.iter().map(|id| format!("{}/events/{id}.ics", instance.base)).collect();
    let pages: Vec<String> = ids.iter().map(|id| format!("{}/events/{id}", instance.base)).collect();
    // A sample, to say what was measured.
    let body = client.get(&ics[0]).send().await.unwrap().text().await.unwrap();
    let vevents = body.matches("BEGIN:VEVENT").count();
    let observances = body.matches("BEGIN:STANDARD").count() + body.matches("BEGIN:DAYLIGHT").count();
    let page = client.get(&pages[0]).send().await.unwrap().text().await.unwrap();

    let (ics_cold, ics_cold_wall) = cpu_ms_per_request(&client, &ics[1..]).await;
    let warm: Vec<String> = ics.iter().cycle().take(repeats).cloned().collect();
    let (ics_warm, ics_warm_wall) = cpu_ms_per_request(&client, &warm).await;
    let warm_pages: Vec<String> = pages.iter().cycle().take(repeats).cloned().collect();
    let (page_cpu, page_wall) = cpu_ms_per_request(&client, &warm_pages).await;

    println!(
        "engine: {}; {} events, each in its own zone with summer time ({} … {})",
        instance.engine,
        ids.len(),
        zones[0],
        zones[zones.len() - 1]
    );
    println!(".ics: {} bytes, {vevents} VEVENTs, {observances} observances (sessions 1970–2199)", body.len());
    println!("page: {} bytes", page.len());
    println!("| request | CPU ms per request | wall ms per request |");
    println!("|---|---|---|");
    println!("| `.ics`, first ask of each event (nothing kept) | {ics_cold:.2} | {ics_cold_wall:.2} |");
    println!("| `.ics`, asked again (kept per event version) | {ics_warm:.2} | {ics_warm_wall:.2} |");
    println!("| event page | {page_cpu:.2} | {page_wall:.2} |");
    let ok = ics_cold <= 5.0 && page_cpu <= 5.0;
    println!("target ≤ 5 ms CPU each: {}", if ok { "met" } else { "NOT met" });
    instance.handle.stop(true).await;
}
