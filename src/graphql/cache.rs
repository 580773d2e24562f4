//! Answers to anonymous queries, kept while the data they were computed from is unchanged.
//!
//! Most reads of a community server are anonymous and alike: the public events page, a thread a
//! Mastodon user clicked, the member directory. Profiling the events page showed where its time
//! goes (the GraphQL engine's per-field futures, SQLite row decoding, the JSON answer), and none
//! of it depends on who asks when nobody is signed in. So an anonymous query's answer is kept,
//! keyed by its exact text, operation name, variables and media type, together with the tables
//! it read and their change counters (see [`crate::db::version`]).
//!
//! An answer is served only while:
//! - every table it read is unchanged: any commit to one of them, by this process or another
//!   replica, retires it, so nothing read from the cache is older than the database; a commit
//!   to other tables (a reply, when the answer is an events page) leaves it;
//! - those tables did not change while it was being computed (their counters are read before
//!   and after, and the answer is dropped when they differ);
//! - it is at most [`MAX_AGE`] old, which bounds what depends on the clock alone (a
//!   registration deadline passing).
//!
//! Which tables a request reads is learnt from its first computation (its statements are
//! recorded) and kept per request; every later computation is recorded again, and an answer
//! that read a table outside the learnt ones is kept under what it read instead.
//!
//! Identical anonymous requests that miss together (after a change) wait for the first of them
//! instead of each running the query: one computation per page and state of its tables. (Not
//! before the request's tables are learnt: its first computations, at start or after the
//! learnt tables were evicted, run side by side.)
//!
//! Only queries are kept (never mutations, subscriptions or answers with errors), only for
//! requests without an `Authorization` header, and within a memory budget. Rate limits still
//! apply (they run before this). `WEAVE_RESPONSE_CACHE=false` turns it off.
//!
//! The storage is `moka`'s: answers weighed in bytes against [`MAX_TOTAL_BYTES`] (past it, the
//! least likely to be asked again are evicted one by one), each expiring [`MAX_AGE`] after its
//! computation started, and its `try_get_with` coalesces identical misses. The counters are
//! part of the key, so an answer is found only while they hold.
use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use moka::future::Cache;
use moka::Expiry;

use crate::db::version::{Reads, Snapshot};

/// The longest an answer is kept, even when no data changes.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// Answers (and queries) larger than this are not kept.
const MAX_ENTRY_BYTES: usize = 1 << 20;
/// All kept answers together (keys included).
const MAX_TOTAL_BYTES: u64 = 32 << 20;
/// The requests whose tables are known (their keys).
const MAX_LEARNT_BYTES: u64 = 8 << 20;

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

/// A request, the tables its answer was read from, and their counters then.
type AnswerKey = (Key, Reads, Box<[i64]>);

#[derive(Clone)]
struct Kept {
    /// When its computation started: its age counts from then.
    started: Instant,
    body: Bytes,
}

/// An answer expires [`MAX_AGE`] after its computation started.
struct FromStart;

impl Expiry<AnswerKey, Kept> for FromStart {
    fn expire_after_create(&self, _key: &AnswerKey, kept: &Kept, created_at: Instant) -> Option<Duration> {
        Some(MAX_AGE.saturating_sub(created_at.saturating_duration_since(kept.started)))
    }
}

/// Why a computation kept nothing (it failed, was not a query, was too large, or the data
/// changed meanwhile). Requests that waited for it compute their own answer.
#[derive(Debug)]
pub struct NotKept;

/// An answer to keep, and the tables it was read from (unchanged while it was computed).
pub struct Computed {
    pub body: Bytes,
    pub reads: Reads,
}

/// Kept answers, keyed by request and the state of the tables they read.
pub struct ResponseCache {
    answers: Cache<AnswerKey, Kept>,
    /// The tables each request read when last computed.
    learnt: Cache<Key, Reads>,
}

impl Default for ResponseCache {
    fn default() -> Self {
        let answers = Cache::builder()
            .max_capacity(MAX_TOTAL_BYTES)
            .weigher(|(key, _, counters): &AnswerKey, kept: &Kept| {
                u32::try_from(key.size() + counters.len() * 8 + kept.body.len()).unwrap_or(u32::MAX)
            })
            .expire_after(FromStart)
            .build();
        let learnt = Cache::builder()
            .max_capacity(MAX_LEARNT_BYTES)
            .weigher(|key: &Key, _: &Reads| u32::try_from(key.size() + 16).unwrap_or(u32::MAX))
            .build();
        ResponseCache { answers, learnt }
    }
}

impl ResponseCache {
    /// The answer for `key` with the data as `at` saw it: the kept one, or the one the
    /// identical request already computing it keeps, or else `compute`'s. `compute` resolves
    /// to the answer to keep with the tables it read (unchanged since `at`), or `None` to keep
    /// nothing; it runs only when no kept or coming answer exists. `Err`: nothing was kept (by
    /// `compute`, or by the computation this request waited for).
    pub async fn get_or_compute(
        &self,
        key: Key,
        at: &Snapshot,
        compute: impl Future<Output = Option<Computed>>,
    ) -> Result<Bytes, NotKept> {
        let started = Instant::now();
        let fits = |c: &Computed| key.size() + c.body.len() <= MAX_ENTRY_BYTES;
        let Some(learnt) = self.learnt.get(&key).await else {
            // First computation of this request: nothing to wait for, nothing to find.
            return match compute.await {
                Some(c) if fits(&c) => {
                    self.keep(key, at, started, c.reads, c.body.clone()).await;
                    Ok(c.body)
                }
                _ => Err(NotKept),
            };
        };
        let kept = self
            .answers
            .try_get_with((key.clone(), learnt, at.pick(learnt)), async {
                match compute.await {
                    Some(c) if fits(&c) && c.reads.within(learnt) => Ok(Kept { started, body: c.body }),
                    Some(c) if fits(&c) => {
                        // It read more than before: kept under what it read.
                        self.keep(key.clone(), at, started, c.reads, c.body).await;
                        Err(NotKept)
                    }
                    _ => Err(NotKept),
                }
            })
            .await;
        kept.map(|k| k.body).map_err(|_| NotKept)
    }

    async fn keep(&self, key: Key, at: &Snapshot, started: Instant, reads: Reads, body: Bytes) {
        self.learnt.insert(key.clone(), reads).await;
        self.answers.insert((key, reads, at.pick(reads)), Kept { started, body }).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(q: &str) -> Key {
        Key::new("application/json", q, None, &async_graphql::Variables::default()).unwrap_or_else(|| unreachable!())
    }

    const A: Bytes = Bytes::from_static(b"A");
    const B: Bytes = Bytes::from_static(b"B");

    /// Asks `q` with the counters `at`; a computation answers `body` having read `reads`.
    async fn answer(cache: &ResponseCache, q: &str, at: &[i64], reads: &[u8], body: Option<Bytes>) -> Option<Bytes> {
        let reads = Reads::of(reads);
        let at = Snapshot::new(at.to_vec());
        cache.get_or_compute(key(q), &at, async { body.map(|body| Computed { body, reads }) }).await.ok()
    }

    #[tokio::test]
    async fn an_answer_is_served_while_the_tables_it_read_are_unchanged() {
        let cache = ResponseCache::default();
        assert_eq!(answer(&cache, "{ a }", &[1, 1], &[0], Some(A)).await, Some(A));
        assert_eq!(answer(&cache, "{ a }", &[1, 1], &[0], Some(B)).await, Some(A), "kept");
        assert_eq!(answer(&cache, "{ a }", &[1, 9], &[0], Some(B)).await, Some(A), "a table it did not read changed");
        assert_eq!(answer(&cache, "{ a }", &[2, 9], &[0], Some(B)).await, Some(B), "a table it read changed");
        assert_eq!(answer(&cache, "{ b }", &[2, 9], &[0], Some(A)).await, Some(A), "another query computes");
    }

    #[tokio::test]
    async fn an_answer_that_read_more_is_kept_under_what_it_read() {
        let cache = ResponseCache::default();
        assert_eq!(answer(&cache, "{ a }", &[1, 1], &[0], Some(A)).await, Some(A));
        // Table 0 changed; this time the computation also read table 1.
        // The caller answers with its own computation; requests waiting for it (under the
        // learnt tables) compute theirs.
        assert_eq!(answer(&cache, "{ a }", &[2, 1], &[0, 1], Some(B)).await, None);
        assert_eq!(answer(&cache, "{ a }", &[2, 1], &[0], Some(A)).await, Some(B), "kept under both tables");
        assert_eq!(answer(&cache, "{ a }", &[2, 5], &[0], Some(A)).await, Some(A), "table 1 changed");
    }

    #[tokio::test]
    async fn the_memory_budget_weighs_keys_and_answers() {
        let cache = ResponseCache::default();
        let _ = answer(&cache, "{ a }", &[1], &[0], Some(Bytes::from(vec![b'x'; 100]))).await;
        let _ = answer(&cache, "{ a }", &[1], &[0], Some(Bytes::from(vec![b'y'; 300]))).await;
        let _ = answer(&cache, "{ b }", &[1], &[0], Some(Bytes::from(vec![b'z'; 300]))).await;
        cache.answers.run_pending_tasks().await;
        let expected = key("{ a }").size() + 8 + 100 + key("{ b }").size() + 8 + 300;
        assert_eq!(cache.answers.weighted_size(), expected as u64);
    }

    #[tokio::test]
    async fn an_answer_too_large_or_not_given_is_not_kept() {
        let cache = ResponseCache::default();
        let large = Bytes::from(vec![b'x'; MAX_ENTRY_BYTES]);
        assert_eq!(answer(&cache, "{ a }", &[1], &[0], Some(large.clone())).await, None);
        assert_eq!(answer(&cache, "{ a }", &[1], &[0], None).await, None);
        assert_eq!(answer(&cache, "{ a }", &[1], &[0], Some(A)).await, Some(A));
    }

    #[tokio::test]
    async fn an_old_answer_is_not_served() {
        let cache = ResponseCache::default();
        assert_eq!(answer(&cache, "{ a }", &[0], &[0], Some(A)).await, Some(A), "learns what `{{ a }}` reads");
        let long_ago = Instant::now().checked_sub(MAX_AGE * 2).unwrap_or_else(Instant::now);
        let at = Snapshot::new(vec![1]);
        let reads = Reads::of(&[0]);
        cache.answers.insert((key("{ a }"), reads, at.pick(reads)), Kept { started: long_ago, body: A }).await;
        assert_eq!(answer(&cache, "{ a }", &[1], &[0], Some(B)).await, Some(B));
    }

    #[tokio::test]
    async fn identical_requests_wait_for_one_computation() {
        let cache = ResponseCache::default();
        // Learn which tables `{ a }` and `{ c }` read.
        let _ = answer(&cache, "{ a }", &[1], &[0], Some(A)).await;
        let _ = answer(&cache, "{ c }", &[1], &[0], Some(A)).await;
        let runs = AtomicUsize::new(0);
        let compute = |body: Option<Bytes>, gate: tokio::sync::oneshot::Receiver<()>| {
            let runs = &runs;
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                let _ = gate.await;
                body.map(|body| Computed { body, reads: Reads::of(&[0]) })
            }
        };
        let at = Snapshot::new(vec![2]);
        let (open, gate) = tokio::sync::oneshot::channel();
        let (_never, no_gate) = tokio::sync::oneshot::channel();
        let (first, second, ()) = tokio::join!(
            cache.get_or_compute(key("{ a }"), &at, compute(Some(B), gate)),
            cache.get_or_compute(key("{ a }"), &at, compute(Some(A), no_gate)),
            async {
                tokio::task::yield_now().await;
                let _ = open.send(());
            }
        );
        assert_eq!((first.ok(), second.ok()), (Some(B), Some(B)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        // A computation that keeps nothing releases its waiters, who then compute on their own.
        let (open, gate) = tokio::sync::oneshot::channel();
        let (_never, no_gate) = tokio::sync::oneshot::channel();
        let (first, second, ()) = tokio::join!(
            cache.get_or_compute(key("{ c }"), &at, compute(None, gate)),
            cache.get_or_compute(key("{ c }"), &at, compute(Some(B), no_gate)),
            async {
                tokio::task::yield_now().await;
                let _ = open.send(());
            }
        );
        assert!(first.is_err() && second.is_err());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(answer(&cache, "{ c }", &[2], &[0], Some(B)).await, Some(B));
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
