//! `GET /metrics`: Prometheus text, behind the token on the main port and on a listener of its
//! own; the counters move with the requests they count.
use serde_json::json;

use crate::helpers::{spawn_app, spawn_with, TestApp};

const TOKEN: &str = "metrics-token-for-tests-0123456789";

/// One sample: its name, labels and value.
type Sample = (String, Vec<(String, String)>, f64);

/// Each sample line; every line must be a comment or a sample.
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let labels = inner
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("bad label: {line}"));
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
            None => (series.to_string(), Vec::new()),
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "metric name: {line}");
        samples.push((name, labels, value));
    }
    samples
}

/// The value of the sample `name` whose labels include `want` (0 when there is none).
fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|(n, labels, _)| {
            n == name && want.iter().all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(_, _, v)| *v)
        .sum()
}

async fn scrape(app: &TestApp, base: &str, token: Option<&str>) -> (u16, String, String) {
    let mut req = app.client.get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("scrape");
    let status = res.status().as_u16();
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, kind, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn metrics_are_served_behind_the_token_and_counters_move() {
    let app = spawn_with(|c| {
        c.metrics_token = Some(TOKEN.to_string().into());
        c.metrics_bind = "127.0.0.1:0".into();
    })
    .await;
    let base = app.address.clone();
    assert_eq!(scrape(&app, &base, None).await.0, 401);
    assert_eq!(scrape(&app, &base, Some("metrics-token-for-tests-WRONG56789")).await.0, 401);

    app.ok("query Instance { instance { name } }", json!({}), None).await;
    let (status, kind, text) = scrape(&app, &base, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let before = parse(&text);
    let graphql_ok = [("route", "/graphql"), ("method", "POST"), ("status", "200")];
    let requests = value(&before, "weave_http_requests_total", &graphql_ok);
    assert!(requests >= 1.0, "{text}");
    assert!(value(&before, "weave_http_request_duration_seconds_count", &[("route", "/graphql")]) >= 1.0);
    let instance_ok = [("operation", "Instance"), ("outcome", "ok")];
    let operations = value(&before, "weave_graphql_operations_total", &instance_ok);
    assert!(operations >= 1.0);
    assert!(value(&before, "process_resident_memory_bytes", &[]) > 1e6);
    assert!(value(&before, "weave_db_pool_connections", &[("state", "max")]) >= 1.0);
    assert!(text.contains("weave_deliveries_total_by_state{state=\"pending\"}"));
    assert!(text.contains("weave_mails{state=\"pending\"} 0"));

    // The same anonymous query again is answered from the response cache; a member's runs; a
    // bad one fails: the counters move by them.
    // (Whether it is a hit depends on the data version, which on PostgreSQL moves with any
    // write on the server: the look-up is counted either way.)
    let lookups = value(&before, "weave_response_cache_total", &[]);
    app.ok("query Instance { instance { name } }", json!({}), None).await;
    let mia = app.register("mia").await;
    app.ok("query Instance { instance { name } }", json!({}), Some(&mia.access)).await;
    app.gql("query Broken { nothing }", json!({}), None).await;
    let after = parse(&scrape(&app, &base, Some(TOKEN)).await.2);
    assert!(value(&after, "weave_http_requests_total", &graphql_ok) >= requests + 3.0);
    assert!(value(&after, "weave_response_cache_total", &[]) >= lookups + 1.0);
    assert!(value(&after, "weave_graphql_operations_total", &instance_ok) >= operations + 1.0);
    let broken = [("operation", "other"), ("outcome", "request_error")];
    assert!(value(&after, "weave_graphql_operations_total", &broken) >= 1.0);

    // An inbox POST is counted by type and status, before any signature is checked.
    let follow = json!({"id": "http://elsewhere.example/f/1", "type": "Follow", "actor": "http://elsewhere.example/u",
        "object": format!("http://{}/groups/community", app.domain())});
    let res = app.client.post(format!("{base}/inbox")).json(&follow).send().await.expect("post");
    assert_eq!(res.status().as_u16(), 401);
    let after = parse(&scrape(&app, &base, Some(TOKEN)).await.2);
    assert!(value(&after, "weave_inbox_activities_total", &[("type", "Follow"), ("status", "401")]) >= 1.0);

    // The listener of its own serves the same, with the token when one is set.
    let own = app.metrics_address.clone().expect("a metrics listener");
    assert_eq!(scrape(&app, &own, None).await.0, 401);
    let (status, _, text) = scrape(&app, &own, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert!(value(&parse(&text), "weave_http_requests_total", &graphql_ok) >= requests + 3.0);
}

#[tokio::test]
async fn without_a_token_there_is_no_metrics_page() {
    let app = spawn_app().await;
    let res = app.client.get(format!("{}/metrics", app.address)).send().await.expect("get");
    assert_eq!(res.status().as_u16(), 404);
    assert!(app.metrics_address.is_none());
}
