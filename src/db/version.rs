//! What the committed data is now, table by table, and which tables a computation read.
//!
//! The database keeps a change counter per table (`data_version`, moved by triggers in the
//! writing transaction: see the migration crate's `data_version`). A [`Snapshot`] is those
//! counters as one read saw them. Two reads whose counters agree for a table saw the same rows
//! of that table, whichever process or replica wrote them.
//!
//! The GraphQL response cache (`graphql::cache`) runs an anonymous query [`recording`] which
//! tables its statements name, and keeps its answer while those tables' counters are unchanged:
//! a reply in a thread moves the `post` and `thread` counters and leaves the kept events pages
//! alone. The shared rows (`domain::shared_rows`) are kept the same way, kind by kind.
//!
//! The probe has its own connection so that it never waits behind request queries and is not
//! counted in [`super::StatementCounter`]. Concurrent askers share reads: one read runs at a
//! time, and whoever waited for it uses the next read that began after they arrived (its
//! counters are current for them), so under load one read serves many requests. The reads run
//! in the askers' own tasks: nothing depends on a background task being scheduled.
//!
//! Fail-safe: when a table of the database has no counter (a migration forgot to `track` it),
//! the probe is not opened, so nothing is kept and every answer is computed.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};
use tokio::sync::Mutex;

/// The most tables whose reads a [`Reads`] can tell apart.
const MAX_TABLES: usize = 128;

/// The tracked tables: their counters' order, and their names (and the names of the tables
/// read through them) to find in statements.
#[derive(Debug)]
pub struct Tables {
    names: Vec<String>,
    index: HashMap<String, u8>,
}

impl Tables {
    pub fn new(names: Vec<String>) -> Option<Tables> {
        if names.len() > MAX_TABLES {
            return None;
        }
        let mut index: HashMap<String, u8> =
            names.iter().enumerate().filter_map(|(i, n)| Some((n.clone(), u8::try_from(i).ok()?))).collect();
        for (table, through) in migration::data_version::READ_AS {
            if let Some(&i) = index.get(*through) {
                index.insert((*table).to_owned(), i);
            }
        }
        Some(Tables { names, index })
    }

    /// The tables a statement's text names: every identifier, quoted or not, that is a
    /// table's name. (A column that shares a table's name only adds a table read.)
    fn named_in(&self, sql: &str) -> Reads {
        let mut reads = Reads::default();
        let bytes = sql.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let (start, end, next) = if c == b'"' || c == b'`' {
                let close = bytes[i + 1..].iter().position(|&b| b == c).map_or(bytes.len(), |p| i + 1 + p);
                (i + 1, close, close + 1)
            } else if c.is_ascii_alphanumeric() || c == b'_' {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .map_or(bytes.len(), |p| i + p);
                (i, end, end)
            } else {
                i += 1;
                continue;
            };
            if let Some(t) = sql.get(start..end).and_then(|word| self.find(word)) {
                reads.add(t);
            }
            i = next;
        }
        reads
    }

    /// The table `word` names, whatever its letters' case (unquoted names are case-blind).
    fn find(&self, word: &str) -> Option<u8> {
        if word.is_empty() || word.len() > 64 || word.as_bytes()[0].is_ascii_digit() {
            return None;
        }
        if !word.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.index.get(word).copied();
        }
        let mut lower = [0u8; 64];
        for (l, b) in lower.iter_mut().zip(word.bytes()) {
            *l = b.to_ascii_lowercase();
        }
        std::str::from_utf8(&lower[..word.len()]).ok().and_then(|w| self.index.get(w).copied())
    }
}

/// A set of tables (by their counter's position).
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq)]
pub struct Reads([u64; 2]);

impl Reads {
    fn add(&mut self, table: u8) {
        self.0[usize::from(table / 64)] |= 1 << (table % 64);
    }

    pub fn union(self, other: Reads) -> Reads {
        Reads([self.0[0] | other.0[0], self.0[1] | other.0[1]])
    }

    /// Whether every table of `self` is in `other`.
    pub fn within(self, other: Reads) -> bool {
        self.union(other) == other
    }

    fn positions(self) -> impl Iterator<Item = usize> {
        (0..MAX_TABLES).filter(move |i| self.0[i / 64] & (1 << (i % 64)) != 0)
    }

    #[cfg(test)]
    pub(crate) fn of(tables: &[u8]) -> Reads {
        let mut reads = Reads::default();
        for t in tables {
            reads.add(*t);
        }
        reads
    }
}

/// The counters as one read saw them.
#[derive(Debug)]
pub struct Snapshot {
    counters: Box<[i64]>,
}

impl Snapshot {
    pub fn new(counters: Vec<i64>) -> Snapshot {
        Snapshot { counters: counters.into_boxed_slice() }
    }

    /// The counters of the tables in `reads`, in order (a table this snapshot lacks reads as
    /// -1, which no counter ever is).
    pub fn pick(&self, reads: Reads) -> Box<[i64]> {
        reads.positions().map(|i| self.counters.get(i).copied().unwrap_or(-1)).collect()
    }
}

/// The tables a computation's statements named so far.
struct Recorder {
    tables: Arc<Tables>,
    seen: [AtomicU64; 2],
}

tokio::task_local! {
    static RECORDER: Arc<Recorder>;
}

/// Runs `work`, noting every table its statements name, in its own task and in the tasks it
/// starts through [`spawn`] (the DataLoaders').
pub async fn recording<F: Future>(tables: Arc<Tables>, work: F) -> (F::Output, Reads) {
    let recorder = Arc::new(Recorder { tables, seen: [AtomicU64::new(0), AtomicU64::new(0)] });
    let output = RECORDER.scope(recorder.clone(), work).await;
    let seen = Reads([recorder.seen[0].load(Ordering::SeqCst), recorder.seen[1].load(Ordering::SeqCst)]);
    (output, seen)
}

/// Tells the [`recording`] in progress, if any, that its computation read `reads` (rows it
/// took from memory that were read from them).
pub fn note(reads: Reads) {
    if reads != Reads::default() {
        let _ = RECORDER.try_with(|r| {
            r.seen[0].fetch_or(reads.0[0], Ordering::SeqCst);
            r.seen[1].fetch_or(reads.0[1], Ordering::SeqCst);
        });
    }
}

/// Called for every statement run on the request connection (its metric callback): within
/// [`recording`], notes the tables the statement names.
pub fn saw(sql: &str) {
    if let Ok(named) = RECORDER.try_with(|r| r.tables.named_in(sql)) {
        note(named);
    }
}

/// Starts `work` as a task of its own that records into the starting task's [`recording`], if
/// any: the DataLoaders' spawner.
pub fn spawn(work: BoxFuture<'static, ()>) -> tokio::task::JoinHandle<()> {
    match RECORDER.try_with(Arc::clone) {
        Ok(recorder) => tokio::spawn(RECORDER.scope(recorder, work)),
        Err(_) => tokio::spawn(work),
    }
}

pub struct DataVersion {
    probe: DatabaseConnection,
    tables: Arc<Tables>,
    /// Reads every counter, in the tables' order.
    read: Statement,
    /// Reads begun so far; a read's number is taken when it begins.
    begun: AtomicU64,
    /// The last finished read: its number and what it read.
    last: Mutex<(u64, Option<Arc<Snapshot>>)>,
}

impl DataVersion {
    /// Opens the probe, or `None` where no snapshot can be had: an in-memory SQLite database
    /// (private to one connection, so a second connection would watch another database), or a
    /// database with a table no counter follows (logged).
    pub async fn open(url: &str) -> Result<Option<DataVersion>, DbErr> {
        if !(url.starts_with("sqlite:") || url.starts_with("postgres:") || url.starts_with("postgresql:"))
            || url.contains(":memory:")
            || url.contains("mode=memory")
        {
            return Ok(None);
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        // One connection: one read at a time serves every asker anyway.
        opts.sqlx_logging(false)
            .max_connections(1)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        opts.map_sqlx_sqlite_pool_opts(|pool| pool.idle_timeout(None).max_lifetime(None));
        let probe = Database::connect(opts).await?;
        let untracked = migration::data_version::untracked(&probe).await?;
        if !untracked.is_empty() {
            tracing::warn!(?untracked, "tables without a change counter: answers are not kept");
            return Ok(None);
        }
        let names = migration::data_version::tracked(&probe).await?;
        let Some(tables) = Tables::new(names) else {
            tracing::warn!("too many tables to follow: answers are not kept");
            return Ok(None);
        };
        let columns: Vec<String> = tables.names.iter().map(|n| format!("\"{n}\"")).collect();
        let read = Statement::from_string(
            probe.get_database_backend(),
            format!("SELECT {} FROM {}", columns.join(", "), migration::data_version::TABLE),
        );
        Ok(Some(DataVersion {
            probe,
            tables: Arc::new(tables),
            read,
            begun: AtomicU64::new(0),
            last: Mutex::new((0, None)),
        }))
    }

    pub fn tables(&self) -> Arc<Tables> {
        self.tables.clone()
    }

    /// The counters now, read after this call began; `None` when they cannot be read (callers
    /// then treat the data as unknown).
    pub async fn current(&self) -> Option<Arc<Snapshot>> {
        let arrived = self.begun.load(Ordering::SeqCst);
        let mut last = self.last.lock().await;
        if last.0 > arrived {
            // Begun after this call arrived, finished while it waited for the lock.
            return last.1.clone();
        }
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let snapshot = self.read().await.map(Arc::new);
        *last = (number, snapshot.clone());
        snapshot
    }

    async fn read(&self) -> Option<Snapshot> {
        let row = self.probe.query_one_raw(self.read.clone()).await.ok()??;
        let counters =
            (0..self.tables.names.len()).map(|i| row.try_get_by_index::<i64>(i).ok()).collect::<Option<Vec<i64>>>()?;
        Some(Snapshot::new(counters))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        let names = ["event", "post", "search_entry", "thread"].map(String::from).to_vec();
        Tables::new(names).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn statements_name_their_tables_quoted_or_not_in_any_case() {
        let t = tables();
        let sea = r#"SELECT "event"."id", "event"."title" FROM "event" LEFT JOIN "thread" ON "thread"."id" = "event"."thread_id" WHERE "event"."id" = ?"#;
        assert_eq!(t.named_in(sea), Reads::of(&[0, 3]));
        assert_eq!(t.named_in("select count(*) from Post p where p.thread_id = $1"), Reads::of(&[1]));
        assert_eq!(
            t.named_in("SELECT rowid FROM search_fts WHERE search_fts MATCH ?"),
            Reads::of(&[2]),
            "read as search_entry"
        );
        assert_eq!(t.named_in("SELECT posted, events_x FROM `post_2` WHERE event_id = 1"), Reads::default());
        assert_eq!(t.named_in("SELECT 1"), Reads::default());
        assert_eq!(t.named_in("SELECT \"unterminated"), Reads::default());
    }

    #[test]
    fn a_snapshot_picks_the_counters_of_what_was_read() {
        let s = Snapshot::new(vec![5, 7, 9, 11]);
        assert_eq!(&*s.pick(Reads::of(&[1, 3])), &[7, 11]);
        assert_eq!(&*s.pick(Reads::of(&[100])), &[-1]);
        assert!(Reads::of(&[1]).within(Reads::of(&[1, 3])));
        assert!(!Reads::of(&[1, 70]).within(Reads::of(&[1, 3])));
    }

    #[tokio::test]
    async fn recording_follows_spawned_tasks() {
        let (_, reads) = recording(Arc::new(tables()), async {
            saw("SELECT * FROM post");
            let _ = spawn(Box::pin(async { saw("SELECT * FROM thread") })).await;
            // Not recorded: a task started otherwise.
            let _ = tokio::spawn(async { saw("SELECT * FROM event") }).await;
        })
        .await;
        assert_eq!(reads, Reads::of(&[1, 3]));
        saw("SELECT * FROM event"); // outside any recording: nothing happens
    }
}
