//! The ActivityStreams vocabulary: wire types, builders of every object and activity we send,
//! and the URL helpers federation rules are written in. Pure: no I/O, no database, no
//! knowledge of the domain, GraphQL or the HTTP server. The domain calls down into it to build
//! what it publishes; the federation adapters use it to parse what arrives.
pub mod activities;
pub mod actor;
pub mod bounds;
pub mod collection;
pub mod content;
pub mod event;
pub mod inbound;
pub mod learning;
pub mod object;
pub mod participation;

use serde_json::Value;
use url::Url;

/// The audience of public posts.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The JSON-LD context of everything we publish (Mastodon's extensions included).
pub fn context() -> Value {
    parse_context(CONTEXT)
}

const CONTEXT: &str = r#"[
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "pt": "https://joinpeertube.org/ns#",
        "commentsEnabled": "pt:commentsEnabled",
        "weave": "https://joinweave.org/ns#"
    }
]"#;

/// A JSON-LD context written out as text (the tests below read each one).
fn parse_context(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Adds our `@context` to a JSON object (activities are stored and built without it).
pub fn with_context(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("@context".into(), context());
    }
    v
}

/// `host[:port]` of a URL, lowercase: how instances are named in health and block lists.
pub fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{}:{p}", h.to_lowercase()),
        (Some(h), None) => h.to_lowercase(),
        _ => String::new(),
    }
}

/// The block-list entries that would block a URL: its `host:port`, its host, and each parent
/// domain of two or more labels (blocking `example.com` blocks `social.example.com`).
pub fn block_candidates(url: &Url) -> Vec<String> {
    let Some(host) = url.host_str().map(|h| h.trim_end_matches('.').to_lowercase()) else { return Vec::new() };
    let mut candidates = vec![authority(url)];
    let mut rest = host.as_str();
    loop {
        candidates.push(rest.to_string());
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => break,
        }
    }
    candidates
}

pub use bounds::{is_web_url, web_url};

/// Whether two URLs are web links on the same scheme, host and port: the origin rule for ids
/// and inboxes (`javascript://evil.example/` is not on the origin of `https://evil.example`).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    let host = authority(a);
    is_web_url(a) && is_web_url(b) && !host.is_empty() && a.scheme() == b.scheme() && host == authority(b)
}

/// The id of an embedded object or a bare reference.
pub fn object_id(v: &Value) -> Option<Url> {
    match v {
        Value::String(s) => web_url(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str).and_then(web_url),
        _ => None,
    }
}

/// The `type` of an embedded object (`None` for a bare reference).
pub fn object_type(v: &Value) -> Option<&str> {
    v.get("type").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_are_json() {
        assert!(context().is_array() && event::context().is_array());
    }

    #[test]
    fn block_candidates_cover_parents_but_not_the_tld() {
        let url = Url::parse("https://a.social.example.com:8443/inbox").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            block_candidates(&url),
            vec!["a.social.example.com:8443", "a.social.example.com", "social.example.com", "example.com"]
        );
    }

    #[test]
    fn origins_compare_host_and_port() {
        let p = |s: &str| Url::parse(s).unwrap_or_else(|_| unreachable!());
        assert!(same_origin(&p("https://a.example/x"), &p("https://a.example/y")));
        assert!(!same_origin(&p("https://a.example/x"), &p("https://b.example/x")));
        assert!(!same_origin(&p("http://localhost:1/x"), &p("http://localhost:2/x")));
        assert!(!same_origin(&p("javascript://evil.example/x"), &p("https://evil.example/x")));
        assert!(!same_origin(&p("http://evil.example/x"), &p("https://evil.example/x")));
    }
}
