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
//!
//! The storage is `moka`'s: answers weighed in bytes against [`MAX_TOTAL_BYTES`] (past it, the
//! least likely to be asked again are evicted one by one), each expiring [`MAX_AGE`] after its
//! computation started, and its `try_get_with` coalesces identical misses. The data version is
//! part of the key, so an answer is found only under the version it was computed under.
use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use moka::future::Cache;
use moka::Expiry;

/// The longest an answer is kept, even when no data changes.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// Answers (and queries) larger than this are not kept.
const MAX_ENTRY_BYTES: usize = 1 << 20;
/// All kept answers together (keys included).
const MAX_TOTAL_BYTES: u64 = 32 << 20;

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

    fn size(&self) -> usize {
        self.query.len() + self.variables.len() + self.operation_name.as_ref().map_or(0, String::len)
    }
}

#[derive(Clone)]
struct Kept {
    /// When its computation started: its age counts from then.
    started: Instant,
    body: Bytes,
}

/// An answer expires [`MAX_AGE`] after its computation started.
struct FromStart;

impl Expiry<(String, Key), Kept> for FromStart {
    fn expire_after_create(&self, _key: &(String, Key), kept: &Kept, created_at: Instant) -> Option<Duration> {
        Some(MAX_AGE.saturating_sub(created_at.saturating_duration_since(kept.started)))
    }
}

/// Why a computation kept nothing (it failed, was not a query, was too large, or the data
/// changed meanwhile). Requests that waited for it compute their own answer.
#[derive(Debug)]
pub struct NotKept;

/// Kept answers, keyed by data version and request.
pub struct ResponseCache {
    answers: Cache<(String, Key), Kept>,
}

impl Default for ResponseCache {
    fn default() -> Self {
        let answers = Cache::builder()
            .max_capacity(MAX_TOTAL_BYTES)
            .weigher(|(version, key): &(String, Key), kept: &Kept| {
                u32::try_from(version.len() + key.size() + kept.body.len()).unwrap_or(u32::MAX)
            })
            .expire_after(FromStart)
            .build();
        ResponseCache { answers }
    }
}

impl ResponseCache {
    /// The answer for `key` under data `version`: the kept one, or the one the identical
    /// request already computing it keeps, or else `compute`'s. `compute` resolves to the
    /// answer to keep, or `None` to keep nothing; it runs only when no kept or coming answer
    /// exists. `Err`: nothing was kept (by `compute`, or by the computation this request waited
    /// for).
    pub async fn get_or_compute(
        &self,
        key: Key,
        version: String,
        compute: impl Future<Output = Option<Bytes>>,
    ) -> Result<Bytes, NotKept> {
        let started = Instant::now();
        let size = key.size() + version.len();
        let kept = self
            .answers
            .try_get_with((version, key), async {
                match compute.await {
                    Some(body) if size + body.len() <= MAX_ENTRY_BYTES => Ok(Kept { started, body }),
                    _ => Err(NotKept),
                }
            })
            .await;
        kept.map(|k| k.body).map_err(|_| NotKept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(q: &str) -> Key {
        Key::new("application/json", q, None, &async_graphql::Variables::default()).unwrap_or_else(|| unreachable!())
    }

    use std::sync::atomic::{AtomicUsize, Ordering};

    const A: Bytes = Bytes::from_static(b"A");
    const B: Bytes = Bytes::from_static(b"B");

    async fn answer(cache: &ResponseCache, q: &str, version: &str, body: Option<Bytes>) -> Result<Bytes, NotKept> {
        cache.get_or_compute(key(q), version.into(), async { body }).await
    }

    #[tokio::test]
    async fn an_answer_is_served_only_under_its_version() {
        let cache = ResponseCache::default();
        assert_eq!(answer(&cache, "{ a }", "7", Some(A)).await.ok(), Some(A));
        assert_eq!(answer(&cache, "{ a }", "7", Some(B)).await.ok(), Some(A), "kept");
        assert_eq!(answer(&cache, "{ a }", "8", Some(B)).await.ok(), Some(B), "another version computes");
        assert_eq!(answer(&cache, "{ b }", "7", Some(B)).await.ok(), Some(B), "another query computes");
    }

    #[tokio::test]
    async fn the_memory_budget_weighs_keys_and_answers() {
        let cache = ResponseCache::default();
        let _ = answer(&cache, "{ a }", "1", Some(Bytes::from(vec![b'x'; 100]))).await;
        let _ = answer(&cache, "{ a }", "1", Some(Bytes::from(vec![b'y'; 300]))).await;
        let _ = answer(&cache, "{ b }", "1", Some(Bytes::from(vec![b'z'; 300]))).await;
        cache.answers.run_pending_tasks().await;
        let expected = 1 + key("{ a }").size() + 100 + 1 + key("{ b }").size() + 300;
        assert_eq!(cache.answers.weighted_size(), expected as u64);
    }

    #[tokio::test]
    async fn an_answer_too_large_or_not_given_is_not_kept() {
        let cache = ResponseCache::default();
        let large = Bytes::from(vec![b'x'; MAX_ENTRY_BYTES]);
        assert!(answer(&cache, "{ a }", "1", Some(large)).await.is_err());
        assert!(answer(&cache, "{ a }", "1", None).await.is_err());
        assert_eq!(answer(&cache, "{ a }", "1", Some(A)).await.ok(), Some(A));
    }

    #[tokio::test]
    async fn an_old_answer_is_not_served() {
        let cache = ResponseCache::default();
        let long_ago = Instant::now().checked_sub(MAX_AGE * 2).unwrap_or_else(Instant::now);
        cache.answers.insert(("1".into(), key("{ a }")), Kept { started: long_ago, body: A }).await;
        assert_eq!(answer(&cache, "{ a }", "1", Some(B)).await.ok(), Some(B));
    }

    #[tokio::test]
    async fn identical_requests_wait_for_one_computation() {
        let cache = ResponseCache::default();
        let runs = AtomicUsize::new(0);
        let compute = |body: Option<Bytes>, gate: tokio::sync::oneshot::Receiver<()>| {
            let runs = &runs;
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                let _ = gate.await;
                body
            }
        };
        let (open, gate) = tokio::sync::oneshot::channel();
        let (_never, no_gate) = tokio::sync::oneshot::channel();
        let (first, second, ()) = tokio::join!(
            cache.get_or_compute(key("{ a }"), "1".into(), compute(Some(A), gate)),
            cache.get_or_compute(key("{ a }"), "1".into(), compute(Some(B), no_gate)),
            async {
                tokio::task::yield_now().await;
                let _ = open.send(());
            }
        );
        assert_eq!((first.ok(), second.ok()), (Some(A), Some(A)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        // A computation that keeps nothing releases its waiters, who then compute on their own.
        let (open, gate) = tokio::sync::oneshot::channel();
        let (_never, no_gate) = tokio::sync::oneshot::channel();
        let (first, second, ()) = tokio::join!(
            cache.get_or_compute(key("{ c }"), "1".into(), compute(None, gate)),
            cache.get_or_compute(key("{ c }"), "1".into(), compute(Some(B), no_gate)),
            async {
                tokio::task::yield_now().await;
                let _ = open.send(());
            }
        );
        assert!(first.is_err() && second.is_err());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(answer(&cache, "{ c }", "1", Some(B)).await.ok(), Some(B));
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
