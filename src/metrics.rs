//! Metrics for Prometheus (`GET /metrics`, see `web::metrics`): what the server counts as it
//! works (requests by route and status with latency histograms, GraphQL operations by name and
//! outcome, inbox activities by type and status, response-cache hits and misses), recorded
//! with the `metrics` crate into one process-wide Prometheus recorder. Nothing is recorded
//! unless the operator enabled metrics (a token or a bind address): the recorder is installed
//! by [`install`] then, and every recording function first asks [`enabled`].
//!
//! Every label is bounded: routes are the router's patterns, methods and activity types a fixed
//! list, GraphQL operation names at most [`MAX_OPERATION_NAMES`] distinct well-formed names
//! (others count as `other`).
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets, in seconds.
const BUCKETS: [f64; 13] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Distinct GraphQL operation names counted; later new ones count as `other`.
pub const MAX_OPERATION_NAMES: usize = 200;

/// Installs the recorder, once per process (tests start several instances in one process:
/// they share it). `None` if another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), &BUCKETS)
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_histogram, Unit};
    describe_counter!("weave_http_requests_total", "HTTP requests answered, by route pattern, method and status.");
    describe_histogram!(
        "weave_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern."
    );
    describe_counter!("weave_graphql_operations_total", "GraphQL operations run, by operation name and outcome.");
    describe_counter!("weave_inbox_activities_total", "Activities posted to the inboxes, by type and answer status.");
    describe_counter!(
        "weave_response_cache_total",
        "Anonymous GraphQL answers from the response cache (hit) or computed (miss)."
    );
}

/// Whether metrics are being recorded.
pub fn enabled() -> bool {
    HANDLE.get().is_some_and(Option::is_some)
}

/// The recorded metrics in the Prometheus text format (empty when not enabled).
pub fn render() -> String {
    match HANDLE.get().and_then(Option::as_ref) {
        Some(handle) => {
            handle.run_upkeep();
            handle.render()
        }
        None => String::new(),
    }
}

fn method_label(method: &str) -> &'static str {
    const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    METHODS.into_iter().find(|m| *m == method).unwrap_or("other")
}

/// One HTTP request answered. `route` is the matched route pattern (`None`: no route matched).
pub fn http_request(route: Option<String>, method: &str, status: u16, elapsed: Duration) {
    if !enabled() {
        return;
    }
    let route = route.unwrap_or_else(|| "unmatched".into());
    let labels = [("route", route.clone()), ("method", method_label(method).into()), ("status", status.to_string())];
    metrics::counter!("weave_http_requests_total", &labels).increment(1);
    metrics::histogram!("weave_http_request_duration_seconds", "route" => route).record(elapsed.as_secs_f64());
}

/// The label for a client's operation name: itself while it is a GraphQL name and fewer than
/// [`MAX_OPERATION_NAMES`] names have been seen, else `other` (`anonymous` without one).
fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name else { return "anonymous".into() };
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return "other".into();
    }
    let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() else { return "other".into() };
    if seen.contains(name) || (seen.len() < MAX_OPERATION_NAMES && seen.insert(name.to_string())) {
        name.to_string()
    } else {
        "other".into()
    }
}

/// The name of a document's first operation (`query Name …`), for a request that did not
/// say which to run: read from the start of the text, past comments and whitespace, without
/// parsing the rest.
pub fn first_operation_name(query: &str) -> Option<String> {
    let mut rest = query;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
        match rest.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => break,
        }
    }
    let keyword = ["query", "mutation", "subscription"].into_iter().find(|k| rest.starts_with(k))?;
    let after = rest[keyword.len()..].trim_start();
    let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').take(65).collect();
    (!name.is_empty() && after.len() < rest.len() - keyword.len()).then_some(name)
}

/// One GraphQL operation run: `outcome` is `ok`, `error` (errors in the answer) or
/// `request_error` (it did not parse or validate).
pub fn graphql_operation(name: Option<&str>, outcome: &'static str) {
    if !enabled() {
        return;
    }
    // A document that did not validate may name anything: its name takes no label of its own.
    let operation = if outcome == "request_error" { "other".to_string() } else { operation_label(name) };
    let labels = [("operation", operation), ("outcome", outcome.to_string())];
    metrics::counter!("weave_graphql_operations_total", &labels).increment(1);
}

/// The label for an activity type: the types servers send, else `other`.
fn activity_label(kind: Option<&str>) -> &'static str {
    const TYPES: [&str; 19] = [
        "Create",
        "Update",
        "Delete",
        "Announce",
        "Follow",
        "Accept",
        "Reject",
        "Undo",
        "Join",
        "Leave",
        "Offer",
        "Flag",
        "Like",
        "Dislike",
        "EmojiReact",
        "Move",
        "Add",
        "Remove",
        "Block",
    ];
    kind.and_then(|k| TYPES.into_iter().find(|t| *t == k)).unwrap_or("other")
}

/// One activity posted to an inbox, with the status it was answered.
pub fn inbox_activity(kind: Option<&str>, status: u16) {
    if !enabled() {
        return;
    }
    let labels = [("type", activity_label(kind).to_string()), ("status", status.to_string())];
    metrics::counter!("weave_inbox_activities_total", &labels).increment(1);
}

/// An anonymous GraphQL answer taken from the response cache (`hit`) or computed.
pub fn response_cache(hit: bool) {
    if !enabled() {
        return;
    }
    metrics::counter!("weave_response_cache_total", "result" => if hit { "hit" } else { "miss" }).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(method_label("BREW"), "other");
        assert_eq!(activity_label(Some("Create")), "Create");
        assert_eq!(activity_label(Some("Spam<script>")), "other");
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("Home screen")), "other");
        assert_eq!(operation_label(Some(&"x".repeat(65))), "other");
        for n in 0..MAX_OPERATION_NAMES + 10 {
            let name = format!("Op{n}");
            let label = operation_label(Some(&name));
            assert!(label == name || label == "other");
        }
        assert_eq!(operation_label(Some("OneMoreAfterTheCap")), "other");
    }

    #[test]
    fn the_first_operation_is_named_from_the_text() {
        assert_eq!(first_operation_name("query Home { me { id } }").as_deref(), Some("Home"));
        assert_eq!(first_operation_name("# a comment\n  mutation Save($i: X) { a }").as_deref(), Some("Save"));
        assert_eq!(first_operation_name("{ me { id } }"), None);
        assert_eq!(first_operation_name("query{ me { id } }"), None);
        assert_eq!(first_operation_name("queryX { a }"), None);
    }
}
