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
//! Identical anonymous requests that miss together (after a change, or at start) wait for the
//! first of them instead of each running the query: one computation per page and data version.
//!
//! Only queries are kept (never mutations, subscriptions or answers with errors), only for
//! requests without an `Authorization` header, and within a memory budget. Rate limits still
//! apply (they run before this). `WEAVE_RESPONSE_CACHE=false` turns it off.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use futures_util::future::{FutureExt as _, Shared};
use tokio::sync::oneshot;

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

/// An answer being computed, that requests asking the same under the same version wait for.
struct Computation {
    id: u64,
    version: String,
    answer: Shared<oneshot::Receiver<Bytes>>,
}

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<Entries>,
    computing: Mutex<HashMap<Key, Computation>>,
    next_id: AtomicU64,
}

/// What a request does after a miss.
pub enum Turn<'a> {
    /// The same answer is being computed under the same data version: wait for it. `Err`
    /// means that computation kept nothing (it failed, was not a query, or the data changed
    /// meanwhile); the request then computes its own answer.
    Wait(Shared<oneshot::Receiver<Bytes>>),
    /// Compute the answer; requests asking the same meanwhile wait for this one.
    Compute(Computing<'a>),
}

/// The right and duty to compute an answer. Dropping it without [`Computing::keep`] releases
/// the requests waiting for it.
pub struct Computing<'a> {
    cache: &'a ResponseCache,
    id: u64,
    key: Key,
    version: String,
    started: Instant,
    answer: Option<oneshot::Sender<Bytes>>,
}

impl Computing<'_> {
    pub fn key(&self) -> &Key {
        &self.key
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// Keeps the answer and hands it to the requests waiting for it.
    pub fn keep(mut self, body: Bytes) {
        self.cache.put(self.key.clone(), self.version.clone(), self.started, body.clone());
        if let Some(answer) = self.answer.take() {
            let _ = answer.send(body);
        }
    }
}

impl Drop for Computing<'_> {
    fn drop(&mut self) {
        if let Ok(mut computing) = self.cache.computing.lock() {
            if computing.get(&self.key).is_some_and(|c| c.id == self.id) {
                computing.remove(&self.key);
            }
        }
    }
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

    /// After a miss: wait for the same computation under the same version, or compute. Only
    /// the first of many identical requests arriving together runs the query (after a change,
    /// the first request for each page recomputes it instead of every request in flight).
    pub fn turn(&self, key: Key, version: String) -> Turn<'_> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = oneshot::channel();
        if let Ok(mut computing) = self.computing.lock() {
            if let Some(c) = computing.get(&key).filter(|c| c.version == version) {
                return Turn::Wait(c.answer.clone());
            }
            computing.insert(key.clone(), Computation { id, version: version.clone(), answer: receiver.shared() });
        }
        Turn::Compute(Computing { cache: self, id, key, version, started: Instant::now(), answer: Some(sender) })
    }

    /// Keeps `body` as the answer for `key` under `version` (computed starting at `started`).
    /// A newer version retires everything kept under older ones.
    fn put(&self, key: Key, version: String, started: Instant, body: Bytes) {
        let key_size = key.size();
        let size = key_size + body.len();
        if size > MAX_ENTRY_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.version != version || entries.bytes + size > MAX_TOTAL_BYTES {
            entries.answers.clear();
            entries.bytes = 0;
            entries.version = version;
        }
        entries.bytes += size;
        if let Some(old) = entries.answers.insert(key, Kept { at: started, body }) {
            entries.bytes = entries.bytes.saturating_sub(key_size + old.body.len());
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
    fn a_replaced_answer_counts_once_in_the_memory_budget() {
        let cache = ResponseCache::default();
        let body = Bytes::from(vec![b'x'; 100]);
        cache.put(key("{ a }"), "1".into(), Instant::now(), body.clone());
        cache.put(key("{ a }"), "1".into(), Instant::now(), Bytes::from(vec![b'y'; 300]));
        cache.put(key("{ b }"), "1".into(), Instant::now(), body);
        let bytes = cache.entries.lock().map(|e| e.bytes).unwrap_or_default();
        assert_eq!(bytes, key("{ a }").size() + 300 + key("{ b }").size() + 100);
    }

    #[test]
    fn an_old_answer_is_not_served() {
        let cache = ResponseCache::default();
        let long_ago = Instant::now().checked_sub(MAX_AGE * 2).unwrap_or_else(Instant::now);
        cache.put(key("{ a }"), "1".into(), long_ago, Bytes::from_static(b"A"));
        assert_eq!(cache.get(&key("{ a }"), "1"), None);
    }

    #[tokio::test]
    async fn identical_requests_wait_for_one_computation() {
        let cache = ResponseCache::default();
        let Turn::Compute(first) = cache.turn(key("{ a }"), "1".into()) else { panic!("the first computes") };
        let Turn::Wait(second) = cache.turn(key("{ a }"), "1".into()) else { panic!("the second waits") };
        // Another version or another query computes on its own.
        assert!(matches!(cache.turn(key("{ a }"), "2".into()), Turn::Compute(_)));
        assert!(matches!(cache.turn(key("{ b }"), "1".into()), Turn::Compute(_)));
        first.keep(Bytes::from_static(b"A"));
        assert_eq!(second.await.ok(), Some(Bytes::from_static(b"A")));
        assert_eq!(cache.get(&key("{ a }"), "1"), Some(Bytes::from_static(b"A")));

        // A computation that keeps nothing releases its waiters, and the next request computes.
        let Turn::Compute(failed) = cache.turn(key("{ c }"), "1".into()) else { panic!("computes") };
        let Turn::Wait(waiting) = cache.turn(key("{ c }"), "1".into()) else { panic!("waits") };
        drop(failed);
        assert!(waiting.await.is_err());
        assert!(matches!(cache.turn(key("{ c }"), "1".into()), Turn::Compute(_)));
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
