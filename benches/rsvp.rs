//! Concurrent registration: N members rsvp at once (over HTTP, each with its own token) to an
//! event with S seats and a waitlist. Reports the wall time and checks the exact counts: S GOING,
//! N − S WAITLISTED, never oversold.
//!
//! `cargo bench --bench rsvp` (SQLite). On PostgreSQL: `WEAVE_BENCH_DATABASE_URL=postgres://…/db`
//! naming an existing empty database. `WEAVE_BENCH_RSVPS` (500) and `WEAVE_BENCH_SEATS` (50).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use serde_json::{json, Value};
use weave::domain::members::{create_demo_member, DemoAccount};

mod common;
use common::{env_num, Instance};

async fn gql(client: &reqwest::Client, base: &str, token: &str, query: &str, variables: Value) -> Value {
    common::gql(client, base, Some(token), query, variables).await
}

#[actix_web::main]
async fn main() {
    let rsvps = env_num("WEAVE_BENCH_RSVPS", 500);
    let seats = env_num("WEAVE_BENCH_SEATS", 50);
    let instance = Instance::start().await;
    let (state, base, engine, admin, community) = (
        instance.app_state.clone(),
        instance.base.clone(),
        instance.engine,
        instance.admin.clone(),
        instance.community.clone(),
    );
    let hash = weave::auth::hash_password("bench member password".into()).await.unwrap();
    let mut tokens = Vec::with_capacity(rsvps);
    for n in 0..rsvps {
        let name = format!("member{n:04}");
        let m = create_demo_member(
            &state,
            DemoAccount {
                username: &name,
                display_name: &name,
                organization: None,
                country: None,
                sector: None,
                bio: None,
                password_hash: hash.clone(),
                is_admin: false,
            },
        )
        .await
        .unwrap();
        tokens.push(state.jwt.issue(m.id).unwrap());
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(rsvps).build().unwrap();
    let admin_token = state.jwt.issue(admin.id).unwrap();
    let created = gql(
        &client,
        &base,
        &admin_token,
        "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
        json!({"input": {
            "groupId": community.id.to_string(), "title": "Concurrent registration", "timezone": "UTC",
            "sessions": [{"startsAt": "2031-01-01T10:00:00Z", "endsAt": "2031-01-01T11:00:00Z"}],
            "location": {"mode": "ONLINE"}, "capacity": seats
        }}),
    )
    .await;
    let id = created["data"]["createEvent"]["id"].as_str().unwrap().to_string();

    let started = Instant::now();
    let answers =
        futures_util::future::join_all(tokens.iter().map(|t| {
            gql(&client, &base, t, "mutation($id: ID!) { rsvp(eventId: $id) { status } }", json!({"id": id}))
        }))
        .await;
    let wall = started.elapsed();
    let count = |s: &str| answers.iter().filter(|a| a["data"]["rsvp"]["status"] == s).count();
    let (going, waitlisted) = (count("GOING"), count("WAITLISTED"));
    let errors = answers.iter().filter(|a| a.get("errors").is_some()).count();
    let event = gql(
        &client,
        &base,
        &admin_token,
        "query($id: ID!) { event(id: $id) { seatsTaken waitlistCount } }",
        json!({"id": id}),
    )
    .await;
    println!("concurrent rsvps ({engine}): {rsvps} members, {seats} seats");
    println!(
        "  wall time              {:.0} ms ({:.0} rsvps/s)",
        wall.as_secs_f64() * 1000.0,
        rsvps as f64 / wall.as_secs_f64()
    );
    println!("  GOING / WAITLISTED     {going} / {waitlisted} (errors: {errors})");
    println!(
        "  event seatsTaken       {} / waitlistCount {}",
        event["data"]["event"]["seatsTaken"], event["data"]["event"]["waitlistCount"]
    );
    assert_eq!((going, waitlisted, errors), (seats, rsvps - seats, 0), "never oversold");
}
