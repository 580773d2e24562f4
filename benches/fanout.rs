//! Fan-out benchmark: one activity from a group with 10,000 remote followers spread over 100
//! servers (100 shared inboxes) on loopback. Reports the deliveries sent, the time to enqueue,
//! the wall time to deliver, and the sender's CPU per delivery.
//!
//! `cargo bench --bench fanout` (SQLite; set `WEAVE_BENCH_DATABASE_URL=postgres://…/db` for an
//! existing empty PostgreSQL database). The receiving servers run in a child process so the
//! sender's CPU is measured alone; they answer 202 without verifying (a sink, not a peer).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use sea_orm::{EntityTrait, Set};
use uuid::Uuid;
use weave::db::enums::FollowState;
use weave::db::{actor, follow, member};
use weave::domain::groups;

mod common;
use common::{cpu_seconds_of, remote_member, Instance};

const FOLLOWERS: usize = 10_000;
const SERVERS: usize = 100;

async fn receiver() {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let server = actix_web::HttpServer::new(move || {
        let c = c.clone();
        let c2 = c.clone();
        actix_web::App::new()
            .route(
                "/i/{n}/inbox",
                actix_web::web::post().to(move |_body: actix_web::web::Bytes| {
                    let c = c.clone();
                    async move {
                        c.fetch_add(1, Ordering::Relaxed);
                        actix_web::HttpResponse::Accepted().finish()
                    }
                }),
            )
            .route(
                "/count",
                actix_web::web::get().to(move || {
                    let c = c2.clone();
                    async move { actix_web::HttpResponse::Ok().body(c.load(Ordering::Relaxed).to_string()) }
                }),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    println!("{}", server.addrs()[0].port());
    server.run().await.unwrap();
}

#[actix_web::main]
async fn main() {
    if std::env::var("WEAVE_BENCH_RECEIVER").is_ok() {
        receiver().await;
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("WEAVE_BENCH_RECEIVER", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let rport: u16 = line.trim().parse().unwrap();

    // The admin owns `community`; 10,000 remote followers on 100 servers follow it.
    let instance = Instance::start().await;
    let (state, fed, handle) = (instance.app_state.clone(), instance.federation.clone(), instance.handle.clone());
    let community = instance.community.clone();
    let now = Utc::now();
    let seed = Instant::now();
    let mut actors = Vec::new();
    let mut members = Vec::new();
    let mut follows = Vec::new();
    for i in 0..FOLLOWERS {
        let server = i % SERVERS;
        let host = format!("localhost:{rport}");
        let ap_id = format!("http://{host}/i/{server}/users/u{i}");
        let (actor_row, follower) = remote_member(
            ap_id.clone(),
            format!("u{i}@s{server}.{host}"),
            format!("u{i}"),
            &host,
            format!("http://{host}/i/{server}/inbox"),
            String::new(),
            now,
        );
        let id = *follower.id.as_ref();
        actors.push(actor_row);
        members.push(follower);
        follows.push(follow::ActiveModel {
            id: Set(Uuid::now_v7()),
            ap_id: Set(format!("{ap_id}/follows/1")),
            follower_id: Set(id),
            target_id: Set(community.id),
            state: Set(FollowState::Accepted),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    for chunk in actors.chunks(500) {
        actor::Entity::insert_many(chunk.to_vec()).exec_without_returning(&state.db).await.unwrap();
    }
    for chunk in members.chunks(500) {
        member::Entity::insert_many(chunk.to_vec()).exec_without_returning(&state.db).await.unwrap();
    }
    for chunk in follows.chunks(1000) {
        follow::Entity::insert_many(chunk.to_vec()).exec_without_returning(&state.db).await.unwrap();
    }
    println!("seeded {FOLLOWERS} followers on {SERVERS} servers in {:.2?}", seed.elapsed());

    // The group's keys are made on its first federation use; make them before timing.
    let actor = weave::domain::actors::ApActor::of_group(&state.db, community.clone()).await.unwrap();
    weave::domain::actors::ensure_keys(&state, actor).await.unwrap();

    // One group Update: enqueue (the domain's transaction), then deliver.
    let viewer = instance.viewer();
    let enqueue = Instant::now();
    groups::update(
        &state,
        &viewer,
        community.id,
        groups::GroupChanges { name: Some("Community (benchmark)".into()), ..Default::default() },
    )
    .await
    .unwrap();
    let enqueue_time = enqueue.elapsed();

    let cpu0 = cpu_seconds_of(std::process::id());
    let wall = Instant::now();
    let mut sent = 0;
    loop {
        let r = weave::federation::delivery::run_once(&fed, Utc::now(), 1000).await.unwrap();
        sent += r.sent;
        assert_eq!(r.retried + r.failed + r.skipped, 0, "{r:?}");
        if r.total() == 0 {
            break;
        }
    }
    let wall_time = wall.elapsed();
    let cpu = cpu_seconds_of(std::process::id()) - cpu0;
    let received: usize =
        reqwest::get(format!("http://127.0.0.1:{rport}/count")).await.unwrap().text().await.unwrap().parse().unwrap();

    println!("followers:              {FOLLOWERS} on {SERVERS} servers");
    println!("enqueue (1 activity):   {enqueue_time:.2?}");
    println!("signed POSTs sent:      {sent} (received {received})");
    println!("delivery wall time:     {wall_time:.2?}");
    println!("sender CPU:             {cpu:.2} s ({:.2} ms per delivery)", cpu * 1000.0 / sent.max(1) as f64);

    // One event published by the group: its Create(Event) and its RSVP poll (Create(Question)).
    let enqueue = Instant::now();
    let fields = weave::domain::events::EventFields {
        title: Some("Networks as system weavers".into()),
        timezone: Some("Europe/London".into()),
        sessions: Some(vec![weave::domain::events::Session {
            starts_at: "2031-09-19T09:00:00Z".parse().unwrap(),
            ends_at: "2031-09-19T12:00:00Z".parse().unwrap(),
            title: None,
        }]),
        location: Some(weave::domain::events::LocationInput {
            mode: Some(weave::db::enums::LocationMode::InPerson),
            venue: Some("Wesley Memorial, Main Hall".into()),
            city: Some("Oxford".into()),
            ..Default::default()
        }),
        capacity: Some(Some(50)),
        ..Default::default()
    };
    weave::domain::events::create(&state, &viewer, community.id, fields).await.unwrap();
    let enqueue_time = enqueue.elapsed();
    let cpu0 = cpu_seconds_of(std::process::id());
    let wall = Instant::now();
    let mut sent = 0;
    loop {
        let r = weave::federation::delivery::run_once(&fed, Utc::now(), 1000).await.unwrap();
        sent += r.sent;
        assert_eq!(r.retried + r.failed + r.skipped, 0, "{r:?}");
        if r.total() == 0 {
            break;
        }
    }
    let wall_time = wall.elapsed();
    let cpu = cpu_seconds_of(std::process::id()) - cpu0;
    println!("event published (Create(Event) + Create(Question)):");
    println!("  enqueue (2 activities): {enqueue_time:.2?}");
    println!("  signed POSTs sent:      {sent}");
    println!("  delivery wall time:     {wall_time:.2?}");
    println!("  sender CPU:             {cpu:.2} s ({:.2} ms per delivery)", cpu * 1000.0 / sent.max(1) as f64);
    child.kill().ok();
    child.wait().ok();
    handle.stop(false).await;
}
