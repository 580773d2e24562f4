//! Inbound follows under load: N `Follow`s (1,000 by default) of the `community` group arrive
//! at once from remote accounts spread over H servers (20), each signed by its follower. Checks
//! that all are taken (the group's followers collection counts N) and reports the wall time and
//! the server's CPU per `Follow`: the signature check, the follow row, and the signed `Accept`
//! queued in the same transaction; then the same with the delivery of those `Accept`s (a
//! signature each), by the server's delivery workers (one on SQLite, two on PostgreSQL, as `serve` runs them), to the followers' servers (sinks on
//! loopback ports in this process, answering 202; `localhost:PORT` each, as ActivityPub ids
//! need a host name).
//!
//! The server runs in a child process so that its CPU is measured alone; the requests are
//! signed before the clock starts. The remote accounts are stored ahead (verified, fresh) and
//! share one key, so no actor is fetched during the run.
//!
//! `cargo bench --bench follows` (SQLite). `WEAVE_BENCH_DATABASE_URL=postgres://…/db` for an
//! existing empty PostgreSQL database; `WEAVE_BENCH_FOLLOWS` (1000), `WEAVE_BENCH_SERVERS` (20).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use base64::Engine as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;

mod common;
use common::signed::{announce_and_wait, is_server, send_all, shared_key, spawn_server, store_remote_accounts, Target};
use common::{cpu_seconds_of, env_num, Instance};

/// The followers' servers: one sink per loopback port, each answering 202 to any POST and
/// counting it. Returns their `localhost:port`s.
fn sinks(servers: usize, received: Arc<AtomicUsize>) -> Vec<String> {
    let mut server = actix_web::HttpServer::new(move || {
        let received = received.clone();
        actix_web::App::new().default_service(actix_web::web::to(move |_body: actix_web::web::Bytes| {
            let received = received.clone();
            async move {
                received.fetch_add(1, Ordering::Relaxed);
                actix_web::HttpResponse::Accepted().finish()
            }
        }))
    })
    .workers(1);
    for _ in 0..servers {
        server = server.bind("127.0.0.1:0").unwrap();
    }
    let hosts = server.addrs().iter().map(|a| format!("localhost:{}", a.port())).collect();
    tokio::spawn(server.run());
    hosts
}

fn follower(i: usize, hosts: &[String]) -> String {
    format!("http://{}/users/u{i}", hosts[i % hosts.len()])
}

/// The child: a Weave server with its delivery workers and N stored remote accounts on the
/// servers named by `WEAVE_BENCH_INBOXES`. Prints `port group_ap_id key_pem_base64`, then
/// serves until its stdin closes.
async fn server(follows: usize) {
    let hosts: Vec<String> = std::env::var("WEAVE_BENCH_INBOXES").unwrap().split(',').map(str::to_string).collect();
    let instance = Instance::start().await;
    // As `serve` runs them: one worker on SQLite (one writer), two on PostgreSQL.
    let workers = if instance.engine == "SQLite" { 1 } else { 2 };
    weave::federation::delivery::spawn_workers(instance.federation.clone(), workers);
    let (state, port, community) = (instance.app_state.clone(), instance.port, instance.community.clone());
    let (public, private) = shared_key(&instance).await;
    let accounts = (0..follows).map(|i| {
        let host = hosts[i % hosts.len()].clone();
        (follower(i, &hosts), format!("u{i}"), host.clone(), format!("http://{host}/inbox"))
    });
    store_remote_accounts(&state, &public, accounts).await;
    // The group signs every Accept: its keys are made before the run, as after its first use.
    let group = weave::domain::actors::ensure_keys(
        &state,
        weave::domain::actors::ApActor::of_group(&state.db, community).await.unwrap(),
    )
    .await
    .unwrap();
    announce_and_wait(&format!("{port} {} {}", group.id, base64::engine::general_purpose::STANDARD.encode(private)))
        .await;
}

#[actix_web::main]
async fn main() {
    let follows = env_num("WEAVE_BENCH_FOLLOWS", 1000);
    let servers = env_num("WEAVE_BENCH_SERVERS", 20).clamp(1, 10_000);
    if is_server() {
        server(follows).await;
        return;
    }
    let received = Arc::new(AtomicUsize::new(0));
    let hosts = sinks(servers, received.clone());
    let (mut child, parts) = spawn_server(&[("WEAVE_BENCH_INBOXES", hosts.join(","))]);
    let (port, group) = (&parts[0], &parts[1]);
    let target = Target::new(port, &parts[2], follows);
    let client = &target.client;
    let requests = target
        .sign_all((0..follows).map(|i| {
            let actor = follower(i, &hosts);
            let activity = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{actor}#follows/1"), "type": "Follow", "actor": actor, "object": group,
            });
            (actor, activity)
        }))
        .await;
    let sent = send_all(client, &child, requests).await;

    // Then until every Accept has reached its follower's server.
    let until = Instant::now() + Duration::from_secs(60);
    while received.load(Ordering::Relaxed) < follows && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered_wall = sent.started.elapsed();
    let delivered_cpu = cpu_seconds_of(child.id()) - sent.cpu_before;
    let delivered = received.load(Ordering::Relaxed);

    let collection =
        common::json_of(client.get(format!("{group}/followers")).header("accept", "application/activity+json")).await;
    let followers = collection["totalItems"].as_u64().unwrap_or(0) as usize;
    println!("inbound follows: {follows} at once from {servers} servers, of one group");
    println!("  accepted (202)         {}", sent.accepted);
    println!("  followers counted      {followers}");
    println!(
        "  wall time              {:.0} ms ({:.0} follows/s)",
        sent.wall.as_secs_f64() * 1000.0,
        follows as f64 / sent.wall.as_secs_f64()
    );
    println!(
        "  server CPU             {:.2} s ({:.2} ms per inbound Follow)",
        sent.cpu,
        sent.cpu * 1000.0 / follows as f64
    );
    println!("  Accepts delivered      {delivered}, all in {:.0} ms", delivered_wall.as_secs_f64() * 1000.0);
    println!(
        "  server CPU with them   {delivered_cpu:.2} s ({:.2} ms per inbound Follow)",
        delivered_cpu * 1000.0 / follows as f64
    );
    drop(child.stdin.take());
    child.wait().ok();
    assert_eq!((sent.accepted, followers, delivered), (follows, follows, follows), "every follow taken and answered");
}
