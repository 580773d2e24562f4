//! Poll RSVPs under load: N Mastodon-style votes ("Going", 1,000 by default) arrive at once,
//! each signed by a different remote account, on an event with S seats (50) and a waitlist.
//! Checks the exact outcome (S GOING, N − S WAITLISTED) and reports the wall time and the
//! server's CPU per inbound activity (signature check, dedup, registration, the answering note
//! and the poll's new counts queued in the same transaction).
//!
//! The server runs in a child process so that its CPU is measured alone; the requests are
//! signed before the clock starts. The remote accounts are stored ahead (verified, fresh) and
//! share one key, so no actor is fetched during the run.
//!
//! `cargo bench --bench votes` (SQLite). `WEAVE_BENCH_DATABASE_URL=postgres://…/db` for an
//! existing empty PostgreSQL database; `WEAVE_BENCH_VOTES` (1000), `WEAVE_BENCH_SEATS` (50).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::Instant;

use base64::Engine as _;
use chrono::Utc;
use http_signature_normalization_reqwest::prelude::{Config as SigConfig, Sign as _};
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sea_orm::EntityTrait;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use weave::db::{actor, member};

mod common;
use common::{cpu_seconds_of, env_num, remote_member, Instance};

/// Signing failed (the library's errors convert into it).
#[derive(Debug)]
struct SignFailed;
impl From<http_signature_normalization_reqwest::SignError> for SignFailed {
    fn from(_: http_signature_normalization_reqwest::SignError) -> Self {
        SignFailed
    }
}
impl From<reqwest::Error> for SignFailed {
    fn from(_: reqwest::Error) -> Self {
        SignFailed
    }
}

const REMOTE: &str = "localhost:9";

/// The child: a Weave server with one event and N remote accounts. Prints
/// `port poll_url key_pem_base64`, then serves until its stdin closes.
async fn server(votes: usize, seats: usize) {
    let instance = Instance::start().await;
    let (state, port, admin, community) =
        (instance.app_state.clone(), instance.port, instance.admin.clone(), instance.community.clone());
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
    // One key for every voter: the admin's (made here), shared by the stored remote accounts.
    let keyed = weave::domain::actors::ensure_keys(
        &state,
        weave::domain::actors::ApActor::of_member(&state.db, admin).await.unwrap(),
    )
    .await
    .unwrap();
    let public = keyed.public_key_pem.clone();
    let private = keyed.private_key_pem.clone().unwrap();
    let now = Utc::now();
    // The voters' server: another authority than ours (nothing is fetched from it).
    let host = REMOTE;
    let (actors, rows): (Vec<actor::ActiveModel>, Vec<member::ActiveModel>) = (0..votes)
        .map(|i| {
            let ap_id = format!("http://{host}/remote/u{i}");
            remote_member(
                ap_id,
                format!("u{i}@remote.{host}"),
                format!("u{i}"),
                host,
                format!("http://{host}/remote/inbox"),
                public.clone(),
                now,
            )
        })
        .unzip();
    for chunk in actors.chunks(500) {
        actor::Entity::insert_many(chunk.to_vec()).exec_without_returning(&state.db).await.unwrap();
    }
    for chunk in rows.chunks(500) {
        member::Entity::insert_many(chunk.to_vec()).exec_without_returning(&state.db).await.unwrap();
    }
    // The group answers every vote: its keys are made before the run, as after its first use.
    weave::domain::actors::ensure_keys(
        &state,
        weave::domain::actors::ApActor::of_group(&state.db, community).await.unwrap(),
    )
    .await
    .unwrap();
    let poll = weave::domain::events::federation::poll_id(&e);
    println!("{port} {poll} {} {}", base64::engine::general_purpose::STANDARD.encode(private), e.id);
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

#[actix_web::main]
async fn main() {
    let votes = env_num("WEAVE_BENCH_VOTES", 1000);
    let seats = env_num("WEAVE_BENCH_SEATS", 50);
    if std::env::var("WEAVE_BENCH_SERVER").is_ok() {
        server(votes, seats).await;
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("WEAVE_BENCH_SERVER", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Keep draining the child's output (its log), so that it never blocks on a full pipe.
    std::thread::spawn(move || {
        for l in out.lines().map_while(Result::ok) {
            eprintln!("server: {l}");
        }
    });
    let parts: Vec<&str> = line.split_whitespace().collect();
    let (port, poll, pem, event_id) = (parts[0], parts[1], parts[2], parts[3]);
    let pem = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(pem).unwrap()).unwrap();
    let key = RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    let host = format!("localhost:{port}");
    let inbox = format!("http://127.0.0.1:{port}/inbox");
    let client = reqwest::Client::builder().pool_max_idle_per_host(votes).build().unwrap();
    let config = SigConfig::new().mastodon_compat();

    // Every request signed before the clock starts.
    let mut requests = Vec::with_capacity(votes);
    for i in 0..votes {
        let actor = format!("http://{REMOTE}/remote/u{i}");
        let activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/statuses/1/activity"), "type": "Create", "actor": actor,
            "object": {"id": format!("{actor}/statuses/1"), "type": "Note", "name": "Going",
                "attributedTo": actor, "inReplyTo": poll}
        });
        let body = serde_json::to_vec(&activity).unwrap();
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body));
        let key = key.clone();
        let request = client
            .post(&inbox)
            .header("content-type", "application/activity+json")
            .header("host", host.clone())
            .header("date", httpdate::fmt_http_date(std::time::SystemTime::now()))
            .header("digest", format!("SHA-256={digest}"))
            .body(body)
            .signature(&config, format!("{actor}#main-key"), move |signing_string| {
                let sig = key
                    .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing_string.as_bytes()))
                    .map_err(|_| SignFailed)?;
                Ok::<_, SignFailed>(base64::engine::general_purpose::STANDARD.encode(sig))
            })
            .await
            .unwrap();
        requests.push(request);
    }

    let cpu0 = cpu_seconds_of(child.id());
    let started = Instant::now();
    let statuses = futures_util::future::join_all(requests.into_iter().map(|r| client.execute(r))).await;
    let wall = started.elapsed();
    let cpu = cpu_seconds_of(child.id()) - cpu0;
    let accepted = statuses.iter().filter(|s| s.as_ref().is_ok_and(|r| r.status().as_u16() == 202)).count();
    if let Some(other) = statuses.into_iter().find(|s| !s.as_ref().is_ok_and(|r| r.status().as_u16() == 202)) {
        match other {
            Ok(r) => println!("  a refused vote: {} {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => println!("  a failed vote: {e}"),
        }
    }

    let counts: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({"query": format!("{{ event(id: \"{event_id}\") {{ seatsTaken waitlistCount }} }}")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
