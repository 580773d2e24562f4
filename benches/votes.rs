//! Poll RSVPs under load: N Mastodon-style votes ("Going", 1,000 by default) arrive at once,
//! each signed by a different remote account, on an event with S seats (50) and a waitlist.
//! Checks the exact outcome (S GOING, N − S WAITLISTED) and reports the wall time and the
//! server's CPU per inbound activity (signature check, dedup, registration, the answering note
//! and the poll's new counts queued in the same transaction).
//!
//! The server runs in a child process so that its CPU is measured alone; the requests are
//! signed before the clock starts. The remote accounts are stored ahead (verified, fresh) and
//! share one key, so no actor is fetched during the run. They live on 100 servers (10 voters
//! each, `localhost:10000` and up, where nothing listens; nothing is sent there during the run):
//! one server may hold only its share of an event's seats and waitlist (10 of 50 here), and
//! the rest of its voters would wait for the hosts' review instead.
//!
//! `cargo bench --bench votes` (SQLite). `WEAVE_BENCH_DATABASE_URL=postgres://…/db` for an
//! existing empty PostgreSQL database; `WEAVE_BENCH_VOTES` (1000), `WEAVE_BENCH_SEATS` (50).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use serde_json::json;

mod common;
use common::signed::{announce_and_wait, is_server, send_all, shared_key, spawn_server, store_remote_accounts, Target};
use common::{env_num, Instance};

/// The server of the `i`th voter (10 per server).
fn remote(i: usize) -> String {
    format!("localhost:{}", 10_000 + i / 10)
}

/// The child: a Weave server with one event and N remote accounts. Prints
/// `port poll_url key_pem_base64`, then serves until its stdin closes.
async fn server(votes: usize, seats: usize) {
    let instance = Instance::start().await;
    let (state, port, community) = (instance.app_state.clone(), instance.port, instance.community.clone());
    let viewer = instance.viewer();
    let fields = weave::domain::events::EventFields {
        title: Some("Networks as system weavers".into()),
        timezone: Some("Europe/London".into()),
        sessions: Some(vec![weave::domain::events::Session {
            starts_at: "2031-09-19T09:00:00Z".parse().unwrap(),
            ends_at: "2031-09-19T12:00:00Z".parse().unwrap(),
            title: None,
        }]),
        location: Some(weave::domain::events::LocationInput {
            mode: Some(weave::db::enums::LocationMode::Online),
            ..Default::default()
        }),
        capacity: Some(Some(i32::try_from(seats).unwrap())),
        ..Default::default()
    };
    let e = weave::domain::events::create(&state, &viewer, community.id, fields).await.unwrap();
    let (public, private) = shared_key(&instance).await;
    // The voters' server: another authority than ours (nothing is fetched from it).
    let accounts = (0..votes).map(|i| {
        (
            format!("http://{}/remote/u{i}", remote(i)),
            format!("u{i}"),
            remote(i),
            format!("http://{}/remote/inbox", remote(i)),
        )
    });
    store_remote_accounts(&state, &public, accounts).await;
    // The group answers every vote: its keys are made before the run, as after its first use.
    weave::domain::actors::ensure_keys(
        &state,
        weave::domain::actors::ApActor::of_group(&state.db, community).await.unwrap(),
    )
    .await
    .unwrap();
    let poll = weave::domain::events::federation::poll_id(&e);
    announce_and_wait(&format!("{port} {poll} {} {}", base64::engine::general_purpose::STANDARD.encode(private), e.id))
        .await;
}

#[actix_web::main]
async fn main() {
    let votes = env_num("WEAVE_BENCH_VOTES", 1000);
    let seats = env_num("WEAVE_BENCH_SEATS", 50);
    if is_server() {
        server(votes, seats).await;
        return;
    }
    let (mut child, parts) = spawn_server(&[]);
    let (port, poll, event_id) = (&parts[0], &parts[1], &parts[3]);
    let target = Target::new(port, &parts[2], votes);
    let client = &target.client;
    // Every request signed before the clock starts.
    let requests = target
        .sign_all((0..votes).map(|i| {
            let actor = format!("http://{}/remote/u{i}", remote(i));
            let activity = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{actor}/statuses/1/activity"), "type": "Create", "actor": actor,
                "object": {"id": format!("{actor}/statuses/1"), "type": "Note", "name": "Going",
                    "attributedTo": actor, "inReplyTo": poll}
            });
            (actor, activity)
        }))
        .await;
    let sent = send_all(client, &child, requests).await;
    let (accepted, wall, cpu) = (sent.accepted, sent.wall, sent.cpu);

    let query = format!("{{ event(id: \"{event_id}\") {{ seatsTaken waitlistCount }} }}");
    let counts = common::gql(client, &format!("http://127.0.0.1:{port}"), None, &query, json!({})).await;
    let going = counts["data"]["event"]["seatsTaken"].as_u64().unwrap_or(0) as usize;
    let waitlisted = counts["data"]["event"]["waitlistCount"].as_u64().unwrap_or(0) as usize;
    println!("poll votes: {votes} at once on a {seats}-seat event with a waitlist");
    println!("  accepted (202)         {accepted}");
    println!("  GOING / WAITLISTED     {going} / {waitlisted}");
    println!(
        "  wall time              {:.0} ms ({:.0} votes/s)",
        wall.as_secs_f64() * 1000.0,
        votes as f64 / wall.as_secs_f64()
    );
    println!("  server CPU             {cpu:.2} s ({:.2} ms per inbound vote)", cpu * 1000.0 / votes as f64);
    drop(child.stdin.take());
    child.wait().ok();
    assert_eq!((accepted, going, waitlisted), (votes, seats, votes - seats), "exact counts");
}
