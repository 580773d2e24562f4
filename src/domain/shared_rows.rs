//! Rows that read the same whoever asks (members, groups, an event's hosts, events, threads and
//! posts), kept between
//! requests while the tables they were read from are unchanged (`db::version`): a client app's
//! next query reads its page's organisers, authors and host groups, and the signed-in member's
//! own row, from memory instead of the database, also while replies are being written.
//!
//! - **Kept with the tables they were read from**: the statements that fetch a kind's rows are
//!   recorded (`db::version::recording`), and its generation answers a request only while
//!   those tables' counters, as the request read them before it began, are the ones the
//!   generation was started under. A commit to one of them, by this process or another
//!   replica, starts a new generation. A row kept was read after those counters were current,
//!   so it is never older than what the request reading it was promised.
//! - **Rows, never answers**: who may see a member, a group or an event is still decided by
//!   the fields that hand them out, for each request's own viewer.
//! - **Queries only** (the caller's rule): a mutation reads its own writes, which the counters
//!   it began with do not cover. (A query that looks an actor up on another server may store
//!   what it found, and still answer with the row kept before: never older than the counters
//!   it began at.)
//! - **Recorded**: a computation being recorded for the response cache is told which tables
//!   the rows it took from here were read from, as if it had read them itself.
//! - **Bounded**: one generation at a time, at most [`MAX_BYTES`] of each kind (weighed by
//!   their text), and none older than [`MAX_AGE`], whatever the counters say.
use std::collections::HashMap;
use std::fmt::{Debug, Write as _};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::db::version::{note, recording, Reads, Snapshot, Tables};
use crate::db::{event, group, member, post, thread};
use crate::domain::events::EventHosts;

/// What the rows of one kind may weigh in a generation (see [`weight`]).
pub const MAX_BYTES: usize = 8 << 20;
/// A generation's age past which it answers nothing: a backstop, should a version ever repeat.
pub const MAX_AGE: Duration = Duration::from_secs(5);

struct Generation<K, V> {
    /// The tables its rows were read from, and their counters when it started.
    reads: Reads,
    counters: Box<[i64]>,
    born: Instant,
    bytes: usize,
    rows: HashMap<K, V>,
}

impl<K, V> Generation<K, V> {
    fn answers(&self, at: &Snapshot) -> bool {
        self.born.elapsed() < MAX_AGE && at.pick(self.reads) == self.counters
    }
}

/// What a row weighs: its size plus the length of its text as `Debug` writes it (every string
/// it holds), counted without allocating.
fn weight<V: Debug>(row: &V) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(std::mem::size_of::<V>());
    let _ = write!(count, "{row:?}");
    count.0
}

/// One kind of row, kept for the current generation.
pub struct Kept<K, V>(Mutex<Option<Generation<K, V>>>);

impl<K: Eq + Hash + Clone, V: Clone + Debug> Kept<K, V> {
    fn new() -> Self {
        Kept(Mutex::new(None))
    }

    /// The lock, whatever a panic elsewhere left: a poisoned generation is dropped.
    fn lock(&self) -> MutexGuard<'_, Option<Generation<K, V>>> {
        self.0.lock().unwrap_or_else(|poisoned: PoisonError<_>| {
            let mut guard = poisoned.into_inner();
            *guard = None;
            self.0.clear_poison();
            guard
        })
    }

    /// The rows kept for `keys` for a request that read `at`, the keys it lacks, and the tables
    /// the rows found were read from.
    fn get(&self, at: &Snapshot, keys: &[K]) -> (HashMap<K, V>, Vec<K>, Reads) {
        let mut found = HashMap::with_capacity(keys.len());
        let mut missing = Vec::new();
        let guard = self.lock();
        let mut reads = Reads::default();
        match guard.as_ref().filter(|g| g.answers(at)) {
            Some(g) => {
                for k in keys {
                    match g.rows.get(k) {
                        Some(v) => {
                            found.insert(k.clone(), v.clone());
                        }
                        None => missing.push(k.clone()),
                    }
                }
                if !found.is_empty() {
                    reads = g.reads;
                }
            }
            None => missing.extend_from_slice(keys),
        }
        (found, missing, reads)
    }

    /// Keeps rows read from the tables `reads` by a request that read `at` before: in the
    /// generation that answers `at` (which then follows `reads` too), or else in a new one
    /// (the old one is dropped once the lock is let go).
    fn keep<'a>(&self, at: &Snapshot, reads: Reads, rows: impl Iterator<Item = (&'a K, &'a V)>)
    where
        K: 'a,
        V: 'a,
    {
        let mut guard = self.lock();
        let mut old = None;
        match guard.as_mut().filter(|g| g.answers(at)) {
            Some(g) => {
                // Its rows depend on its tables only, which `at` agrees with: they hold under
                // the union as well.
                g.reads = g.reads.union(reads);
                g.counters = at.pick(g.reads);
            }
            None => {
                let fresh = Generation {
                    reads,
                    counters: at.pick(reads),
                    born: Instant::now(),
                    bytes: 0,
                    rows: HashMap::new(),
                };
                old = guard.replace(fresh);
            }
        }
        if let Some(g) = guard.as_mut() {
            for (k, v) in rows {
                let w = weight(v);
                if g.bytes.saturating_add(w) > MAX_BYTES {
                    break;
                }
                if g.rows.insert(k.clone(), v.clone()).is_none() {
                    g.bytes += w;
                }
            }
        }
        drop(guard);
        drop(old);
    }
}

/// The kinds kept: one per server (each instance has its own, as its own database).
pub struct SharedRows {
    pub members: Kept<Uuid, Arc<member::Model>>,
    pub groups: Kept<Uuid, Arc<group::Model>>,
    /// By (event id, its group id), as the hosts loader asks.
    pub hosts: Kept<(Uuid, Uuid), Arc<EventHosts>>,
    /// Events by id: an events page's rows (who may see which is decided by the statement
    /// that picks the page's ids, and by the fields, for each request's own viewer).
    pub events: Kept<Uuid, Arc<event::Model>>,
    /// Threads and posts by id: a thread's page of posts, a post's thread (who may see a thread
    /// and its posts is asked of `domain::visibility` for each request's own viewer).
    pub threads: Kept<Uuid, Arc<thread::Model>>,
    pub posts: Kept<Uuid, Arc<post::Model>>,
}

impl Default for SharedRows {
    fn default() -> Self {
        SharedRows {
            members: Kept::new(),
            groups: Kept::new(),
            hosts: Kept::new(),
            events: Kept::new(),
            threads: Kept::new(),
            posts: Kept::new(),
        }
    }
}

/// The store as one request sees it: with the counters it read before it began.
#[derive(Clone)]
pub struct SharedAt {
    rows: Arc<SharedRows>,
    at: Arc<Snapshot>,
    tables: Arc<Tables>,
}

impl SharedAt {
    pub fn new(rows: Arc<SharedRows>, at: Arc<Snapshot>, tables: Arc<Tables>) -> Self {
        SharedAt { rows, at, tables }
    }
}

/// The rows for `keys` of the kind `kind` picks: through `at` when the request has one (kept
/// rows, and those `fetch` reads for the rest, then kept), else straight from `fetch`. Keys
/// `fetch` finds nothing for are left out, and asked again.
pub async fn through<K, V, E, Fut>(
    at: Option<&SharedAt>,
    kind: fn(&SharedRows) -> &Kept<K, V>,
    keys: &[K],
    fetch: impl FnOnce(Vec<K>) -> Fut,
) -> Result<HashMap<K, V>, E>
where
    K: Eq + Hash + Clone,
    V: Clone + Debug,
    Fut: Future<Output = Result<HashMap<K, V>, E>>,
{
    let Some(at) = at else { return fetch(keys.to_vec()).await };
    let kept = kind(&at.rows);
    let (mut found, missing, kept_reads) = kept.get(&at.at, keys);
    note(kept_reads);
    if !missing.is_empty() {
        let (fetched, reads) = recording(at.tables.clone(), fetch(missing)).await;
        note(reads);
        let fetched = fetched?;
        kept.keep(&at.at, reads, fetched.iter());
        found.extend(fetched);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> Kept<u32, String> {
        Kept::new()
    }

    fn at(counters: &[i64]) -> Snapshot {
        Snapshot::new(counters.to_vec())
    }

    #[test]
    fn a_generation_answers_while_its_tables_are_unchanged() {
        let k = kept();
        let t0 = Reads::of(&[0]);
        k.keep(&at(&[1, 1]), t0, [(&1, &"one".to_string())].into_iter());
        let (found, missing, reads) = k.get(&at(&[1, 1]), &[1, 2]);
        assert_eq!(found.get(&1).map(String::as_str), Some("one"));
        assert_eq!((missing, reads), (vec![2], t0));
        assert_eq!(k.get(&at(&[1, 5]), &[1]).0.len(), 1, "another table changed");
        // Its table changed: nothing kept answers, and keeping drops the old rows.
        let (found, missing, reads) = k.get(&at(&[2, 5]), &[1]);
        assert!(found.is_empty());
        assert_eq!((missing, reads), (vec![1], Reads::default()));
        k.keep(&at(&[2, 5]), t0, [(&2, &"two".to_string())].into_iter());
        assert_eq!(k.get(&at(&[1, 5]), &[1]).1, vec![1]);
        assert_eq!(k.get(&at(&[2, 5]), &[2]).0.len(), 1);
        // Rows read from another table too: the generation follows both.
        k.keep(&at(&[2, 5]), Reads::of(&[1]), [(&3, &"three".to_string())].into_iter());
        assert_eq!(k.get(&at(&[2, 5]), &[2, 3]).2, Reads::of(&[0, 1]));
        assert!(k.get(&at(&[2, 6]), &[2]).0.is_empty(), "table 1 changed");
    }

    #[test]
    fn a_generation_weighs_at_most_max_bytes() {
        let k = kept();
        // Rows of about 64 KiB each: 8 MiB holds fewer than 128 of them.
        let rows: Vec<(u32, String)> = (0..200).map(|i| (i, "x".repeat(64 << 10))).collect();
        k.keep(&at(&[1]), Reads::of(&[0]), rows.iter().map(|(a, b)| (a, b)));
        let all: Vec<u32> = rows.iter().map(|(i, _)| *i).collect();
        let (found, missing, _) = k.get(&at(&[1]), &all);
        assert!(!found.is_empty() && found.len() < 128, "{} kept", found.len());
        assert_eq!(found.len() + missing.len(), 200);
    }

    #[test]
    fn a_generation_answers_nothing_once_too_old() {
        let k = kept();
        k.keep(&at(&[1]), Reads::of(&[0]), [(&1, &"one".to_string())].into_iter());
        if let Some(g) = k.lock().as_mut() {
            g.born -= MAX_AGE;
        }
        assert_eq!(k.get(&at(&[1]), &[1]).1, vec![1], "the same counters, but too old");
    }

    #[tokio::test]
    async fn through_fetches_only_what_is_missing() -> Result<(), ()> {
        let tables = Arc::new(Tables::new(vec!["member".into()]).unwrap_or_else(|| unreachable!()));
        let shared = SharedAt::new(Arc::new(SharedRows::default()), Arc::new(at(&[7])), tables);
        let id = Uuid::now_v7();
        let fetch_count = std::sync::atomic::AtomicUsize::new(0);
        for _ in 0..3 {
            let found: HashMap<Uuid, Arc<EventHosts>> = through(
                Some(&shared),
                |s| &s.hosts,
                &[(id, id)],
                |keys| {
                    fetch_count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async move { Ok::<_, ()>(keys.into_iter().map(|k| (k, Arc::default())).collect()) }
                },
            )
            .await?
            .into_iter()
            .map(|((e, _), h)| (e, h))
            .collect();
            assert_eq!(found.len(), 1);
        }
        assert_eq!(fetch_count.load(std::sync::atomic::Ordering::SeqCst), 1);
        Ok(())
    }
}
