//! Full-text search latency over a large discussion: T threads and P posts (100,000 by
//! default) are written through the domain (`threads::create`, `threads::add_post` and the
//! search index, in transactions of 1,000), then `search(query:)` is asked over HTTP, one
//! request at a time, for single words, two words, prefixes and words that match nothing:
//! signed in (a member's token on every request, as client apps send it: every query runs)
//! and anonymous (repeated anonymous queries may be answered from the response cache).
//! Reports the seeding time and p50 / p95 / p99 per kind of query and mode.
//!
//! `cargo bench --bench search` (SQLite). On PostgreSQL: `WEAVE_BENCH_DATABASE_URL=postgres://…/db`
//! naming an existing empty database. `WEAVE_BENCH_POSTS` (100000), `WEAVE_BENCH_THREADS` (1000),
//! `WEAVE_BENCH_QUERIES` (100 per kind).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;
use weave::domain::threads::{self, NewPost, NewThread};

mod common;
use common::{env_num, Instance};

fn word(n: usize) -> String {
    const SYLLABLES: [&str; 16] =
        ["ka", "lo", "mi", "ne", "su", "ta", "ri", "ve", "do", "pa", "zu", "fe", "gi", "bo", "ya", "wu"];
    let mut w = String::new();
    let mut x = n;
    for _ in 0..3 {
        w.push_str(SYLLABLES[x % 16]);
        x /= 16;
    }
    w
}

fn text(i: usize) -> String {
    // Word k appears in about 1 post in (k + 1): a Zipf-like spread.
    let a = word(i % 4000);
    let b = word((i * 7) % 97);
    let c = word((i * 13) % 11);
    format!("Reply {i}: what we saw about {a}, and {b} with {c}; the network learned something.")
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

#[actix_web::main]
async fn main() {
    let posts = env_num("WEAVE_BENCH_POSTS", 100_000);
    let thread_count = env_num("WEAVE_BENCH_THREADS", 1000).max(1);
    let queries = env_num("WEAVE_BENCH_QUERIES", 100);
    let instance = Instance::start().await;
    let (state, base, engine, admin, community) = (
        instance.app_state.clone(),
        instance.base.clone(),
        instance.engine,
        instance.admin.clone(),
        instance.community.clone(),
    );
    let viewer = instance.viewer();

    let started = Instant::now();
    let mut made = Vec::with_capacity(thread_count);
    for t in 0..thread_count {
        let (thread, _) = threads::create(
            &state,
            &viewer,
            NewThread {
                group_id: community.id,
                title: format!("Thread {t}: how are we doing at {}?", word(t % 300)),
                body: text(t),
                kind: None,
                event_id: None,
                resource_id: None,
            },
        )
        .await
        .unwrap();
        made.push(thread);
    }
    let mut written = thread_count;
    while written < posts {
        let txn = weave::db::begin_write(&state.db).await.unwrap();
        for _ in 0..1000.min(posts - written) {
            let t = &made[written % thread_count];
            let id = Uuid::now_v7();
            let html = format!("<p>{}</p>", text(written));
            let p = threads::add_post(
                &txn,
                t,
                NewPost {
                    id,
                    ap_id: threads::post_url(&state, id),
                    local: true,
                    author_id: Some(admin.id),
                    parent: None,
                    body: Some(text(written)),
                    body_html: html,
                    created_at: chrono::Utc::now(),
                },
            )
            .await
            .unwrap();
            weave::domain::search::index_post(&txn, &p).await.unwrap();
            written += 1;
        }
        txn.commit().await.unwrap();
    }
    let seeding = started.elapsed();
    if engine == "PostgreSQL" {
        // What autovacuum does for a table that grew by 100,000 rows: statistics for the
        // planner (which way to find a word's newest matches) and the GIN index's pending list
        // merged. Measured right after the bulk load, searches would instead race it.
        use sea_orm::ConnectionTrait as _;
        state.db.execute_unprepared("VACUUM ANALYZE search_entry").await.unwrap();
    }

    let client = reqwest::Client::new();
    let login = common::gql(
        &client,
        &base,
        None,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        json!({"i": {"usernameOrEmail": "bench_admin", "password": "bench password 1"}}),
    )
    .await;
    let token = login["data"]["login"]["accessToken"].as_str().expect("signed in").to_string();
    let ask = |q: String, signed_in: bool| {
        let client = &client;
        let base = &base;
        let token = &token;
        async move {
            let started = Instant::now();
            let query = "query($q: String!) { search(query: $q, first: 10) { members { id } groups { id } events { id } resources { id } threads { id title postCount } } }";
            let v = common::gql(client, base, signed_in.then_some(token.as_str()), query, json!({"q": q})).await;
            assert!(v.get("errors").is_none(), "{v}");
            (started.elapsed(), v["data"]["search"]["threads"].as_array().map(Vec::len).unwrap_or(0))
        }
    };
    println!(
        "search over {posts} posts in {thread_count} threads ({engine}); seeded in {:.1} s",
        seeding.as_secs_f64()
    );
    type Make = Box<dyn Fn(usize) -> String>;
    let kinds: [(&str, Make); 5] = [
        ("common word", Box::new(|i| word(i % 11))),
        ("rare word", Box::new(|i| word(1000 + i % 3000))),
        ("two words", Box::new(|i| format!("{} {}", word(i % 97), word(i % 11)))),
        ("prefix", Box::new(|i| word(i % 256)[..4].to_string())),
        ("no match", Box::new(|i| format!("zzq{i}"))),
    ];
    for (signed_in, mode) in [(true, "signed in"), (false, "anonymous")] {
        println!(" {mode}:");
        for (name, make) in &kinds {
            let mut times = Vec::with_capacity(queries);
            let mut found = 0;
            for i in 0..queries {
                let (t, n) = ask(make(i), signed_in).await;
                times.push(t);
                found += n;
            }
            times.sort();
            println!(
                "  {name:<12} p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  ({queries} queries, {:.1} threads found on average)",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
                found as f64 / queries as f64
            );
        }
    }
}
