//! What reaches a browser or the CPU from the web pages and calendars (issue 18): stored links
//! are rendered only when they pass the rule for links, pages send a Content-Security-Policy
//! and nosniff, calendars cost little whatever dates are stored and are rate-limited, the
//! attendance breakdown never shows a small bucket, and the personal feed shows only events
//! its owner may still see.
use std::time::{Duration, Instant};

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};
use weave::db::{enums, event};

use crate::helpers::{spawn_app, spawn_with, Account, TestApp};

async fn create_group(app: &TestApp, owner: &Account, slug: &str) -> String {
    let v = app
        .ok(
            "mutation($s:String!){ createGroup(input:{slug:$s,name:\"Circle\"}){ id } }",
            json!({"s": slug}),
            Some(&owner.access),
        )
        .await;
    v["createGroup"]["id"].as_str().unwrap().to_string()
}

async fn create_event(app: &TestApp, who: &Account, group_id: &str, mut input: Value) -> String {
    input["groupId"] = json!(group_id);
    let v = app
        .ok(
            "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
            json!({"input": input}),
            Some(&who.access),
        )
        .await;
    v["createEvent"]["id"].as_str().unwrap().to_string()
}

fn online(title: &str, link: &str, capacity: i64) -> Value {
    json!({
        "title": title,
        "timezone": "Europe/London",
        "sessions": [{ "startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T10:00:00Z" }],
        "location": { "mode": "ONLINE", "onlineUrl": link },
        "capacity": capacity,
    })
}

async fn rsvp(app: &TestApp, id: &str, who: &Account) {
    let v = app.ok("mutation($id:ID!){ rsvp(eventId:$id){ status } }", json!({"id": id}), Some(&who.access)).await;
    assert_eq!(v["rsvp"]["status"], "GOING");
}

async fn row(app: &TestApp, id: &str) -> event::Model {
    event::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap()).one(&app.state.db).await.unwrap().unwrap()
}

/// Changes a stored event as a write from elsewhere (or from before the rules) could have.
async fn store(app: &TestApp, id: &str, change: impl FnOnce(&mut event::ActiveModel)) {
    let e = row(app, id).await;
    let mut a: event::ActiveModel = e.clone().into();
    change(&mut a);
    a.updated_at = Set(e.updated_at + chrono::Duration::seconds(1));
    a.sequence = Set(e.sequence + 1);
    a.update(&app.state.db).await.unwrap();
}

fn assert_page_headers(r: &reqwest::Response, what: &str) {
    let csp = r.headers().get("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    let csp = csp.to_str().unwrap();
    for directive in ["default-src 'none'", "script-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(r.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{what}");
}

#[tokio::test]
async fn a_stored_hostile_link_never_reaches_a_page_and_pages_send_csp_and_nosniff() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let group = create_group(&app, &host, "circle").await;
    let id = create_event(&app, &host, &group, online("Circle", "https://meet.example.org/c", 10)).await;
    // A remote event as a hostile server sent it before links were checked.
    store(&app, &id, |a| {
        a.local = Set(false);
        a.ap_id = Set("https://evil.example/events/1".into());
        a.url = Set(Some("javascript:alert(1)".into()));
        a.external_registration_url = Set(Some("javascript:alert(2)//".into()));
        a.title = Set("<script>alert(3)</script>\"><img src=x onerror=alert(4)>".into());
        a.refund_policy = Set(Some("</p><script>alert(5)</script>".into()));
    })
    .await;
    let r = app.client.get(format!("{}/events/{id}", app.address)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_page_headers(&r, "event page");
    let html = r.text().await.unwrap();
    assert!(!html.to_lowercase().contains("javascript:"), "{html}");
    assert!(!html.contains("<script") && !html.contains("<img"), "text is escaped: {html}");
    assert!(html.contains("&lt;script&gt;alert(3)"), "{html}");
    // The calendar link is this server's own, and the page still links it.
    let own = format!("{}/events/{id}", app.state.base_url());
    assert!(html.contains(&format!("href=\"{own}.ics\">Add to calendar")), "{html}");
    assert!(html.contains(&format!("<meta property=\"og:url\" content=\"{own}\">")), "{html}");

    let r = app.client.get(format!("{}/events/{id}.ics", app.address)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"));
    assert!(!r.text().await.unwrap().to_lowercase().contains("javascript:"));

    // Every other page sends the same headers.
    for (what, path) in [("front page", "/".to_string()), ("group page", "/groups/circle".to_string())] {
        let r = app.client.get(format!("{}{path}", app.address)).header("Accept", "text/html").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{what}");
        assert_page_headers(&r, what);
    }
}

fn parse_ics(body: &str) -> ical::parser::ical::component::IcalCalendar {
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(body.as_bytes()));
    let cal = calendars.next().expect("one calendar").expect("valid iCalendar");
    assert!(calendars.next().is_none());
    cal
}

#[tokio::test]
async fn calendars_cost_little_whatever_the_stored_dates_and_pages_are_rate_limited() {
    let app = spawn_with(|c| {
        c.rate_limit_graphql_per_minute = 8;
        c.rate_limit_exempt_loopback = false;
    })
    .await;
    let host = app.register("host").await;
    let group = create_group(&app, &host, "circle").await;
    let id = create_event(&app, &host, &group, online("Circle", "https://meet.example.org/c", 10)).await;
    // 60 sessions from 1970 to 2199 in a zone with summer time, and two from far outside the
    // window (stored before dates were bounded): the latter are left out of the calendar.
    use chrono::TimeZone as _;
    let at = |year: i32, hour: u32| chrono::Utc.with_ymd_and_hms(year, 7, 1, hour, 0, 0).unwrap();
    let session =
        |year: i32| weave::domain::events::Session { starts_at: at(year, 9), ends_at: at(year, 10), title: None };
    let mut sessions: Vec<_> = (0..60).map(|i| session(1970 + i * 229 / 59)).collect();
    sessions.push(session(200_000));
    sessions.push(session(1900));
    store(&app, &id, |a| {
        a.timezone = Set("America/Los_Angeles".into());
        a.sessions = Set(serde_json::to_value(&sessions).unwrap());
        a.starts_at = Set(at(1900, 9));
        a.ends_at = Set(at(200_000, 10));
    })
    .await;
    let started = Instant::now();
    let get = |path: String| {
        let client = app.client.clone();
        async move {
            tokio::time::timeout(Duration::from_secs(30), client.get(path).send()).await.expect("answers").unwrap()
        }
    };
    let r = get(format!("{}/events/{id}.ics", app.address)).await;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    let cal = parse_ics(&body);
    assert_eq!(cal.events.len(), 60, "sessions outside 1970–2200 are left out");
    assert_eq!(cal.timezones.len(), 1);
    assert!(!body.contains("200000") && !body.contains("DTSTART;TZID=America/Los_Angeles:1900"));
    // 2032 (a year sessions use) has its change to daylight time among the observances.
    assert!(body.contains("DTSTART:20320314T020000"), "{body}");
    let page = get(format!("{}/events/{id}", app.address)).await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());

    // The same answer again (kept per event version), then the address runs out: pages and
    // calendars are under the per-address limit, with Retry-After.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = get(format!("{}/events/{id}.ics", app.address)).await;
        statuses.push(r.status().as_u16());
        if r.status().as_u16() == 200 {
            assert_eq!(r.text().await.unwrap(), body);
        } else {
            assert!(r.headers().get("retry-after").is_some());
        }
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let r = get(format!("{}/groups/circle/events.ics", app.address)).await;
    assert_eq!(r.status().as_u16(), 429);
    let r = get(format!("{}/groups/circle", app.address)).await;
    assert_eq!(r.status().as_u16(), 429, "actor pages too");
    // Federating servers' reads of the same addresses are not pages.
    let r = app
        .client
        .get(format!("{}/groups/circle", app.address))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn every_attendance_bucket_counts_at_least_five_people_on_the_page_and_in_graphql() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let group = create_group(&app, &host, "circle").await;
    let id = create_event(&app, &host, &group, online("Circle", "https://meet.example.org/c", 20)).await;
    // Five from Kenya (funders), one from Chile (a researcher), two from Peru (one of them OTHER).
    let people = [
        ("Kenya", "FUNDER"),
        ("Kenya", "FUNDER"),
        ("Kenya", "FUNDER"),
        ("Kenya", "FUNDER"),
        ("Kenya", "FUNDER"),
        ("Chile", "RESEARCHER"),
        ("Peru", "EDUCATOR"),
        ("Peru", "OTHER"),
    ];
    for (i, (country, sector)) in people.iter().enumerate() {
        let a = app.register(&format!("person{i}")).await;
        app.ok(
            "mutation($c:String!,$s:Sector!){ updateProfile(input:{country:$c, sector:$s}){ id } }",
            json!({"c": country, "s": sector}),
            Some(&a.access),
        )
        .await;
        rsvp(&app, &id, &a).await;
    }
    let v = app
        .ok(
            "query($id:ID!){ event(id:$id){ attendance { going byCountry { key count } bySector { key count } } } }",
            json!({"id": id}),
            None,
        )
        .await;
    let a = &v["event"]["attendance"];
    assert_eq!(a["going"], 8);
    assert_eq!(
        a["byCountry"],
        json!([{"key": "Kenya", "count": 5}]),
        "Chile 1 and Peru 2 make an OTHER of 3: left out"
    );
    assert_eq!(a["bySector"], json!([{"key": "FUNDER", "count": 5}]), "three others: left out");
    // Two more from Peru (educators): the small buckets together reach five.
    for name in ["person8", "person9"] {
        let a = app.register(name).await;
        app.ok(
            "mutation{ updateProfile(input:{country:\"Peru\", sector: EDUCATOR}){ id } }",
            json!({}),
            Some(&a.access),
        )
        .await;
        rsvp(&app, &id, &a).await;
    }
    let v = app
        .ok(
            "query($id:ID!){ event(id:$id){ attendance { byCountry { key count } bySector { key count } } } }",
            json!({"id": id}),
            None,
        )
        .await;
    let a = &v["event"]["attendance"];
    assert_eq!(a["byCountry"], json!([{"key": "Kenya", "count": 5}, {"key": "OTHER", "count": 5}]));
    assert_eq!(a["bySector"], json!([{"key": "FUNDER", "count": 5}, {"key": "OTHER", "count": 5}]));
    let html = app.client.get(format!("{}/events/{id}", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("10 going, from Kenya (5), OTHER (5)."), "{html}");
    assert!(!html.contains("Chile") && !html.contains("Peru"), "{html}");
}

#[tokio::test]
async fn the_personal_feed_shows_only_events_the_member_may_still_see() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &host, "circle").await;
    app.ok("mutation($g:ID!){ joinGroup(groupId:$g){ role } }", json!({"g": group}), Some(&amy.access)).await;
    let mut members_only = online("Members only", "https://meet.example.org/members", 10);
    members_only["visibility"] = json!("MEMBERS");
    let members_only = create_event(&app, &host, &group, members_only).await;
    let becomes_members =
        create_event(&app, &host, &group, online("Public", "https://meet.example.org/public", 10)).await;
    let becomes_draft = create_event(&app, &host, &group, online("Draft", "https://meet.example.org/draft", 10)).await;
    let stays = create_event(&app, &host, &group, online("Stays", "https://meet.example.org/stays", 10)).await;
    for id in [&members_only, &becomes_members, &becomes_draft, &stays] {
        rsvp(&app, id, &amy).await;
    }
    let url = app.ok("{ me { calendarUrl } }", json!({}), Some(&amy.access)).await["me"]["calendarUrl"]
        .as_str()
        .unwrap()
        .replacen(&app.state.base_url(), &app.address, 1);
    let feed = || async { app.client.get(&url).send().await.unwrap().text().await.unwrap() };
    let body = feed().await;
    assert_eq!(parse_ics(&body).events.len(), 4);
    for link in ["members", "public", "draft", "stays"] {
        assert!(body.contains(&format!("meet.example.org/{link}")), "{link}");
    }

    // Amy leaves the group; one event becomes MEMBERS-only, another a draft again.
    app.ok("mutation($g:ID!){ leaveGroup(groupId:$g) }", json!({"g": group}), Some(&amy.access)).await;
    app.ok(
        "mutation($id:ID!){ updateEvent(id:$id, input:{visibility: MEMBERS}){ id } }",
        json!({"id": becomes_members}),
        Some(&host.access),
    )
    .await;
    store(&app, &becomes_draft, |a| a.status = Set(enums::EventStatus::Draft)).await;
    let body = feed().await;
    let cal = parse_ics(&body);
    assert_eq!(cal.events.len(), 1, "{body}");
    assert!(body.contains("meet.example.org/stays"));
    for link in ["members", "public", "draft"] {
        assert!(!body.contains(&format!("meet.example.org/{link}")), "{link} is for people who may see it: {body}");
    }
}
