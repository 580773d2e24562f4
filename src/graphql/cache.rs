//! Answers to anonymous queries, kept while the data they were computed from is unchanged.
//!
//! Most reads of a community server are anonymous and alike: the public events page, a thread a
//! Mastodon user clicked, the member directory. Profiling the events page showed where its time
//! goes (the GraphQL engine's per-field futures, SQLite row decoding, the JSON answer), and none
//! of it depends on who asks when nobody is signed in. So an anonymous query's answer is kept,
//! keyed by its exact text, operation name, variables and media type, together with the data
//! version it was computed under (see [`crate::db::version`]).
//!
//! An answer is served only while:
//! - the data version is still the one it was computed under: any commit, by this process or
//!   another replica, retires every kept answer, so nothing read from the cache is older than
//!   the database;
//! - the data did not change while it was being computed (the version is read before and
//!   after, and the answer is dropped when they differ);
//! - it is at most [`MAX_AGE`] old, which bounds what depends on the clock alone (a
//!   registration deadline passing).
//!
//! Only queries are kept (never mutations, subscriptions or answers with errors), only for
//! requests without an `Authorization` header, and within a memory budget. Rate limits still
//! apply (they run before this). `WEAVE_RESPONSE_CACHE=false` turns it off.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;

/// The longest an answer is kept, even when no data changes.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// Answers (and queries) larger than this are not kept.
const MAX_ENTRY_BYTES: usize = 1 << 20;
/// All kept answers together; past it the cache starts again empty.
const MAX_TOTAL_BYTES: usize = 32 << 20;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Key {
    media: &'static str,
    query: String,
    operation_name: Option<String>,
    variables: String,
}

impl Key {
    /// The key of a request, or `None` for one too large to keep.
    pub fn new(
        media: &'static str,
        query: &str,
        operation_name: Option<&str>,
        variables: &async_graphql::Variables,
    ) -> Option<Key> {
        let variables = serde_json::to_string(variables).ok()?;
        if query.len() + variables.len() > MAX_ENTRY_BYTES {
            return None;
        }
        Some(Key { media, query: query.to_owned(), operation_name: operation_name.map(str::to_owned), variables })
    }

    /// Whether the operation the request runs is a query (only queries are kept).
    pub fn is_query(&self) -> bool {
        super::http::operation_type(&self.query, self.operation_name.as_deref())
            == Some(async_graphql::parser::types::OperationType::Query)
    }

    fn size(&self) -> usize {
        self.query.len() + self.variables.len() + self.operation_name.as_ref().map_or(0, String::len)
    }
}

struct Kept {
    at: Instant,
    body: Bytes,
}

#[derive(Default)]
struct Entries {
    /// The data version every kept answer was computed under.
    version: String,
    answers: HashMap<Key, Kept>,
    bytes: usize,
}

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<Entries>,
}

impl ResponseCache {
    /// The kept answer for `key`, if it was computed under `version` and is fresh.
    pub fn get(&self, key: &Key, version: &str) -> Option<Bytes> {
        let entries = self.entries.lock().ok()?;
        if entries.version != version {
            return None;
        }
        entries.answers.get(key).filter(|k| k.at.elapsed() <= MAX_AGE).map(|k| k.body.clone())
    }

    /// Keeps `body` as the answer for `key` under `version` (computed starting at `started`).
    /// A newer version retires everything kept under older ones.
    pub fn put(&self, key: Key, version: String, started: Instant, body: Bytes) {
        let size = key.size() + body.len();
        if size > MAX_ENTRY_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.version != version || entries.bytes + size > MAX_TOTAL_BYTES {
            entries.answers.clear();
            entries.bytes = 0;
            entries.version = version;
        }
        if let Some(old) = entries.answers.insert(key, Kept { at: started, body }) {
            entries.bytes = entries.bytes.saturating_sub(old.body.len());
        } else {
            entries.bytes += size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(q: &str) -> Key {
        Key::new("application/json", q, None, &async_graphql::Variables::default()).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn an_answer_is_served_only_under_its_version() {
        let cache = ResponseCache::default();
        cache.put(key("{ a }"), "7".into(), Instant::now(), Bytes::from_static(b"A"));
        assert_eq!(cache.get(&key("{ a }"), "7"), Some(Bytes::from_static(b"A")));
        assert_eq!(cache.get(&key("{ a }"), "8"), None);
        assert_eq!(cache.get(&key("{ b }"), "7"), None);
        // A newer version retires the older answers.
        cache.put(key("{ b }"), "8".into(), Instant::now(), Bytes::from_static(b"B"));
        assert_eq!(cache.get(&key("{ a }"), "7"), None);
        assert_eq!(cache.get(&key("{ b }"), "8"), Some(Bytes::from_static(b"B")));
    }

    #[test]
    fn an_old_answer_is_not_served() {
        let cache = ResponseCache::default();
        let long_ago = Instant::now().checked_sub(MAX_AGE * 2).unwrap_or_else(Instant::now);
        cache.put(key("{ a }"), "1".into(), long_ago, Bytes::from_static(b"A"));
        assert_eq!(cache.get(&key("{ a }"), "1"), None);
    }

    #[test]
    fn the_media_type_and_variables_are_part_of_the_key() {
        let vars = async_graphql::Variables::from_json(serde_json::json!({"id": "1"}));
        let a = Key::new("application/json", "{ a }", None, &vars);
        let b = Key::new("application/graphql-response+json", "{ a }", None, &vars);
        let c = Key::new("application/json", "{ a }", None, &async_graphql::Variables::default());
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}
