//! Delivery workers for the transactional outbox. A worker claims due deliveries (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so replicas share the queue; SQLite has one
//! writer), signs each with its actor's key, POSTs it, and
//! records the outcome: done, retry later with exponential backoff (about two days in all), or
//! failed. Servers that fail for two days are marked dead and skipped until they answer again.
//! Everything lives in the database: a restarted worker picks up where the last one stopped.
//!
//! `queue.rs` claims, prunes and counts deliveries; `send.rs` sends one and says what came
//! of it; `sign.rs` signs and POSTs it; `servers.rs` keeps each receiving server's health (alive or dead).
mod queue;
mod send;
mod servers;
mod sign;

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use sea_orm::{ActiveModelTrait, Set};

use super::Federation;
use crate::db::delivery;
use crate::db::enums::DeliveryState;
use crate::state::State;
use queue::claim;
pub use queue::{by_server, prune, status, QueueStatus};
use send::{load_activity, send, Outcome, Round};
pub use servers::mark_alive;
use servers::{known_alive, record_failure, write_alive};
pub use sign::Outbound;

/// Seconds to wait after the n-th failed attempt; after the last, the delivery fails.
/// The first waits are short: most failures are a busy or restarting server, and a change
/// should reach a live partner within seconds.
const BACKOFF_SECS: [i64; 10] = [10, 60, 600, 3_600, 7_200, 14_400, 28_800, 43_200, 43_200, 43_200];

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Held back because the receiving server is dead (not an attempt).
    pub postponed: usize,
}

impl Report {
    pub fn total(&self) -> usize {
        self.sent + self.retried + self.failed + self.skipped + self.postponed
    }
}

/// Runs one round: claims what is due at `now`, sends it (several at a time), records the
/// outcomes. Tests call this to drain the queue; workers call it in a loop.
pub async fn run_once(fed: &Federation, now: DateTime<Utc>, limit: u64) -> Result<Report, sea_orm::DbErr> {
    let state: State = (*fed.config).clone();
    let rows = claim(&state, now, limit).await?;
    if rows.is_empty() {
        return Ok(Report::default());
    }
    let round = Round::load(&state, &rows).await?;
    let round = &round;
    let mut ready = std::collections::HashMap::new();
    for id in rows.iter().map(|r| r.activity_id).collect::<std::collections::BTreeSet<_>>() {
        ready.insert(id, load_activity(&state, id).await);
    }
    let ready = &ready;
    // Each inbox's deliveries go one after another, in the order claimed (the order written);
    // different inboxes at once.
    let mut by_inbox: Vec<Vec<delivery::Model>> = Vec::new();
    let mut slot: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for row in rows {
        match slot.get(&row.inbox_url) {
            Some(i) => by_inbox[*i].push(row),
            None => {
                slot.insert(row.inbox_url.clone(), by_inbox.len());
                by_inbox.push(vec![row]);
            }
        }
    }
    let outcomes: Vec<(delivery::Model, Outcome)> = futures_util::stream::iter(by_inbox)
        .map(|rows| async move {
            let mut done = Vec::with_capacity(rows.len());
            for row in rows {
                let outcome = match ready.get(&row.activity_id) {
                    Some(r) => send(fed, round, &row, r, now).await,
                    None => Outcome::Retry("activity was not loaded".into()),
                };
                done.push((row, outcome));
            }
            done
        })
        .buffer_unordered(16)
        .flat_map(futures_util::stream::iter)
        .collect()
        .await;
    let mut report = Report::default();
    // Servers that answered, written alive once each (and only if their health says otherwise
    // or is old); deliveries done, written in one statement.
    let mut answered = std::collections::BTreeSet::new();
    let mut failed = std::collections::BTreeSet::new();
    // Delivered rows first: a failing write below must not have them sent again.
    let done: Vec<uuid::Uuid> =
        outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Sent)).map(|(row, _)| row.id).collect();
    mark_done(&state, &done).await?;
    for (row, outcome) in outcomes {
        if let Outcome::Sent = outcome {
            report.sent += 1;
            answered.insert(row.domain);
            continue;
        }
        if let Outcome::Postpone(until) = outcome {
            let mut active: delivery::ActiveModel = row.into();
            active.next_attempt_at = Set(until);
            active.locked_until = Set(None);
            active.update(&state.db).await?;
            report.postponed += 1;
            continue;
        }
        let attempts = row.attempts + 1;
        let mut active: delivery::ActiveModel = row.clone().into();
        active.attempts = Set(attempts);
        active.locked_until = Set(None);
        active.updated_at = Set(Utc::now());
        match outcome {
            Outcome::Skipped(why) => {
                active.state = Set(DeliveryState::Skipped);
                active.last_error = Set(Some(why));
                report.skipped += 1;
            }
            Outcome::Rejected(why) => {
                // The server answered: it is alive, and it does not want this activity.
                active.state = Set(DeliveryState::Failed);
                active.last_error = Set(Some(why));
                report.failed += 1;
                answered.insert(row.domain);
            }
            Outcome::Sent | Outcome::Postpone(_) => {}
            Outcome::Retry(why) => {
                tracing::debug!(inbox = %row.inbox_url, attempt = attempts, error = %why, "delivery failed");
                failed.insert(row.domain.clone());
                match BACKOFF_SECS.get((attempts - 1).max(0) as usize) {
                    Some(wait) => {
                        active.next_attempt_at = Set(now + chrono::Duration::seconds(*wait));
                        report.retried += 1;
                    }
                    None => {
                        active.state = Set(DeliveryState::Failed);
                        report.failed += 1;
                    }
                }
                active.last_error = Set(Some(why.chars().take(500).collect()));
            }
        }
        active.update(&state.db).await?;
    }
    // One failure per server and round, however many of its deliveries failed.
    for domain in &failed {
        record_failure(&state, domain, now).await;
    }
    for domain in answered {
        // A failure recorded this round is newer than the health the round read.
        if failed.contains(&domain) || !known_alive(round.health.get(&domain), Utc::now()) {
            write_alive(&state, &domain).await;
        }
    }
    Ok(report)
}

/// Records delivered rows as done, in one statement per 500.
async fn mark_done(state: &State, ids: &[uuid::Uuid]) -> Result<(), sea_orm::DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait as _};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    for chunk in ids.chunks(500) {
        delivery::Entity::update_many()
            .col_expr(delivery::Column::State, Expr::value(DeliveryState::Done))
            .col_expr(delivery::Column::Attempts, Expr::col(delivery::Column::Attempts).add(1))
            .col_expr(delivery::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(delivery::Column::LastError, Expr::value(Option::<String>::None))
            .col_expr(delivery::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(delivery::Column::Id.is_in(chunk.iter().copied()))
            .exec(&state.db)
            .await?;
    }
    Ok(())
}

/// Starts `n` background workers. Each loops over [`run_once`], pausing when idle.
pub fn spawn_workers(fed: Federation, n: usize) {
    for worker in 0..n {
        let fed = fed.clone();
        tokio::spawn(async move {
            let mut last_prune = std::time::Instant::now();
            loop {
                if worker == 0 && last_prune.elapsed() > Duration::from_secs(3_600) {
                    last_prune = std::time::Instant::now();
                    if let Err(e) = prune(&fed, Utc::now()).await {
                        tracing::warn!(error = %e, "pruning the delivery tables");
                    }
                    if let Err(e) = crate::domain::sessions::prune_expired(&fed.db, Utc::now()).await {
                        tracing::warn!(error = ?e, "pruning expired refresh tokens");
                    }
                }
                match run_once(&fed, Utc::now(), 50).await {
                    Ok(r) if r.total() > 0 => continue,
                    Ok(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                    Err(e) => {
                        tracing::warn!(worker, error = %e, "delivery worker");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
        });
    }
}
