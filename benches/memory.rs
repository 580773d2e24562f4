//! Memory benchmark: the release server's resident memory (RSS, from `/proc`) idle, after 30
//! registrations one after another, after 60 more four at a time, a few seconds later, and
//! after a burst of 50 parallel logins (with their throughput), and after the most expensive
//! nested query the cost budget allows (with its time); then the members page's requests/s
//! with and without `totalCount` (the only case that runs a `COUNT(*)`).
//!
//! `cargo bench --bench memory`. The server runs as a child process (the `weave` binary of the
//! bench profile, SQLite in a temporary directory); allocator variables such as
//! `MALLOC_ARENA_MAX` are passed through to it, for experiments.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;

const REGISTER: &str = "mutation($u:String!,$e:String!){ register(input:{username:$u,email:$e,password:\"correct horse battery\"}){ accessToken } }";
const LOGIN: &str =
    "mutation($u:String!){ login(input:{usernameOrEmail:$u,password:\"correct horse battery\"}){ accessToken } }";

/// `VmRSS` and `VmHWM` (peak) of a process, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_weave"))
        .arg("serve")
        .env("WEAVE_BIND", format!("127.0.0.1:{port}"))
        .env("WEAVE_DATA_DIR", dir.path())
        .env_remove("WEAVE_DATABASE_URL")
        .env("WEAVE_RATE_LIMIT_AUTH_PER_MINUTE", "0")
        .env("WEAVE_RATE_LIMIT_GRAPHQL_PER_MINUTE", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the weave binary");
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{url}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Server { child, url, _dir: dir };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

async fn gql(client: &reqwest::Client, url: &str, query: &str, variables: Value) -> Value {
    let v = common::gql(client, url, None, query, variables).await;
    assert!(v.get("errors").is_none(), "{v}");
    v
}

async fn register(client: &reqwest::Client, url: &str, name: String) {
    gql(client, url, REGISTER, json!({"u": name, "e": format!("{name}@example.org")})).await;
}

#[tokio::main]
async fn main() {
    let server = start().await;
    let pid = server.child.id();
    let client = reqwest::Client::new();
    let url = server.url.clone();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut rows = vec![("idle (fresh server)".to_string(), memory(pid))];

    for i in 0..30 {
        register(&client, &url, format!("seq{i}")).await;
    }
    rows.push(("after 30 registrations, one after another".into(), memory(pid)));

    let started = Instant::now();
    for batch in 0..15 {
        let four = (0..4).map(|j| register(&client, &url, format!("par{batch}_{j}")));
        futures_util::future::join_all(four).await;
    }
    let parallel = started.elapsed();
    rows.push((format!("after 60 more, 4 at a time ({:.1} s)", parallel.as_secs_f64()), memory(pid)));

    tokio::time::sleep(Duration::from_secs(5)).await;
    rows.push(("5 s later".into(), memory(pid)));

    let started = Instant::now();
    let logins = (0..50).map(|i| gql(&client, &url, LOGIN, json!({"u": format!("par{}_{}", i % 15, i % 4)})));
    futures_util::future::join_all(logins).await;
    let took = started.elapsed().as_secs_f64();
    rows.push((format!("after 50 parallel logins ({:.1} logins/s)", 50.0 / took), memory(pid)));

    // The worst query the cost budget allows in this shape: nested pages of 40 (cost ≈ 4,960).
    let worst = "{ group(handle: \"community\") { members(first: 40) { edges { node { group { members(first: 40) { edges { node { role } } } } } } } } }";
    let started = Instant::now();
    let answer = gql(&client, &url, worst, json!({})).await;
    let took = started.elapsed();
    let size = answer.to_string().len();
    rows.push((
        format!(
            "after the worst allowed nested query ({:.0} ms, {} KB answer)",
            took.as_secs_f64() * 1000.0,
            size / 1024
        ),
        memory(pid),
    ));

    // The members page with and without `totalCount` (which alone runs the COUNT(*)), 4 clients.
    let mut page_rates = Vec::new();
    for query in [
        "{ members(first: 20) { totalCount edges { node { handle displayName } } } }",
        "{ members(first: 20) { edges { node { handle displayName } } } }",
    ] {
        let started = Instant::now();
        let clients = (0..4).map(|_| async {
            for _ in 0..250 {
                gql(&client, &url, query, json!({})).await;
            }
        });
        futures_util::future::join_all(clients).await;
        page_rates.push(1000.0 / started.elapsed().as_secs_f64());
    }

    let env: Vec<String> =
        std::env::vars().filter(|(k, _)| k.starts_with("MALLOC_")).map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "memory benchmark (release server, SQLite){}",
        if env.is_empty() { String::new() } else { format!(", {}", env.join(" ")) }
    );
    println!("| moment | RSS MiB | peak RSS MiB |");
    println!("|---|---|---|");
    for (what, (rss, peak)) in rows {
        println!("| {what} | {rss:.0} | {peak:.0} |");
    }
    println!();
    println!("members page (first: 20, 90 members, 4 clients): with totalCount (COUNT(*)) {:.0} requests/s, without {:.0} requests/s", page_rates[0], page_rates[1]);
}
