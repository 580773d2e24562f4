//! Delivery workers for the transactional outbox. A worker claims due deliveries (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so replicas share the queue; SQLite has one
//! writer), signs each with its actor's key through activitypub_federation, POSTs it, and
//! records the outcome: done, retry later with exponential backoff (about two days in all), or
//! failed. Servers that fail for two days are marked dead and skipped until they answer again.
//! Everything lives in the database: a restarted worker picks up where the last one stopped.
use std::time::Duration;

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::traits::Activity;
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use url::Url;

use super::{FedData, FedError, Federation};
use crate::db::enums::DeliveryState;
use crate::db::{self, delivery, outbound_activity, remote_instance};
use crate::domain::actors::ApActor;
use crate::state::{AppState, State};

/// Seconds to wait after the n-th failed attempt; after the last, the delivery fails.
/// The first waits are short: most failures are a busy or restarting server, and a change
/// should reach a live partner within seconds.
const BACKOFF_SECS: [i64; 10] = [10, 60, 600, 3_600, 7_200, 14_400, 28_800, 43_200, 43_200, 43_200];
/// A server failing without a single success for this long is dead.
const DEAD_AFTER_SECS: i64 = 2 * 24 * 3_600;
/// A dead server gets one probe delivery this long after its last failure; meanwhile its
/// deliveries wait, unless it has been failing for a week (then they are dropped).
const DEAD_PROBE_SECS: i64 = 6 * 3_600;
const GIVE_UP_ON_DEAD_SECS: i64 = 7 * 24 * 3_600;
/// How long a claimed delivery is held before another worker may take it (crash recovery).
const LEASE_SECS: i64 = 120;

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

/// A stored activity, re-serialised exactly as it was written.
#[derive(Debug, Clone)]
struct Stored {
    id: Url,
    actor: Url,
    json: serde_json::Value,
}

impl Serialize for Stored {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

#[async_trait::async_trait]
impl Activity for Stored {
    type DataType = State;
    type Error = FedError;
    fn id(&self) -> &Url {
        &self.id
    }
    fn actor(&self) -> &Url {
        &self.actor
    }
    async fn verify(&self, _: &FedData<State>) -> Result<(), FedError> {
        Ok(())
    }
    async fn receive(self, _: &FedData<State>) -> Result<(), FedError> {
        Ok(())
    }
}

/// Claims up to `limit` deliveries due at `now` and leases them to this worker, oldest first.
/// An inbox that another worker is sending to is left alone this round, so that what one
/// server receives from us arrives in the order it was written (an `Accept` of a follow
/// before the first post to the new follower; an edit before a cancellation).
async fn claim(state: &AppState, now: DateTime<Utc>, limit: u64) -> Result<Vec<delivery::Model>, sea_orm::DbErr> {
    use sea_orm::sea_query::{ExprTrait as _, Query};
    let txn = db::begin_write(&state.db).await?;
    let busy_inboxes = Query::select()
        .column(delivery::Column::InboxUrl)
        .from(delivery::Entity)
        .and_where(Expr::col(delivery::Column::State).eq(DeliveryState::Pending))
        .and_where(Expr::col(delivery::Column::LockedUntil).gte(Utc::now()))
        .to_owned();
    let mut q = delivery::Entity::find()
        .filter(delivery::Column::State.eq(DeliveryState::Pending))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(delivery::Column::LockedUntil.is_null())
                .add(delivery::Column::LockedUntil.lt(Utc::now())),
        )
        .filter(delivery::Column::InboxUrl.not_in_subquery(busy_inboxes))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(limit);
    if txn.get_database_backend() == DbBackend::Postgres {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = q.all(&txn).await?;
    if !rows.is_empty() {
        delivery::Entity::update_many()
            .col_expr(delivery::Column::LockedUntil, Expr::value(Utc::now() + chrono::Duration::seconds(LEASE_SECS)))
            .filter(delivery::Column::Id.is_in(rows.iter().map(|r| r.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(rows)
}

#[derive(Clone)]
enum Outcome {
    Sent,
    Retry(String),
    Skipped(String),
    /// The receiving server answered with a permanent 4xx: failed, with its status kept.
    Rejected(String),
    Postpone(DateTime<Utc>),
}

tokio::task_local! {
    /// The status of a permanent refusal (4xx other than 408 and 429) seen while sending one
    /// delivery. The library counts those as delivered; we keep them.
    static REJECTED_WITH: std::sync::Mutex<Option<reqwest::StatusCode>>;
}

/// Notes permanent 4xx answers for the delivery being sent (see [`REJECTED_WITH`]); other
/// requests pass through untouched.
pub struct RecordRejection;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for RecordRejection {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let response = next.run(req, extensions).await?;
        let status = response.status();
        if status.is_client_error()
            && status != reqwest::StatusCode::REQUEST_TIMEOUT
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            let _ = REJECTED_WITH.try_with(|slot| {
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(status);
                }
            });
        }
        Ok(response)
    }
}

/// Why the library dropped an inbox before sending: a local or disallowed address is final;
/// anything else (the name does not resolve, or resolves to a private address) may change, so
/// the delivery is retried.
fn classify_dropped_inbox(state: &AppState, inbox: &Url) -> Outcome {
    if crate::ap::authority(inbox) == state.config.domain.to_lowercase() {
        return Outcome::Skipped("the inbox is on this server".into());
    }
    let debug = state.config.federation_debug;
    let permanent = match inbox.scheme() {
        "https" => None,
        "http" if debug => None,
        _ => Some("the inbox URL's scheme is not allowed"),
    }
    .or_else(|| inbox.domain().is_none().then_some("the inbox URL has no domain name"))
    .or_else(|| (!debug && inbox.port().is_some()).then_some("the inbox URL has an explicit port"));
    match permanent {
        Some(why) => Outcome::Skipped(why.into()),
        None => Outcome::Retry("the inbox's server name did not resolve to a public address".into()),
    }
}

/// An activity ready to sign: its document and its signer. Loaded once per round for all the
/// deliveries of that activity (a group's post goes to many inboxes).
type Ready = Result<(Stored, ApActor), Outcome>;

async fn load_activity(state: &AppState, activity_id: uuid::Uuid) -> Ready {
    let activity = match outbound_activity::Entity::find_by_id(activity_id).one(&state.db).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(Outcome::Skipped("activity no longer exists".into())),
        Err(e) => return Err(Outcome::Retry(format!("database: {e}"))),
    };
    let signer = match ApActor::by_row(&state.db, state, activity.actor_kind, activity.actor_id).await {
        Ok(Some(a)) if a.private_key_pem.is_some() => a,
        Ok(_) => return Err(Outcome::Skipped("the signing actor has no key".into())),
        Err(e) => return Err(Outcome::Retry(format!("loading the signer: {e:?}"))),
    };
    let (Ok(json), Ok(id)) =
        (serde_json::from_str::<serde_json::Value>(&activity.payload), Url::parse(&activity.ap_id))
    else {
        return Err(Outcome::Skipped("stored activity is malformed".into()));
    };
    Ok((Stored { id, actor: signer.id.clone(), json }, signer))
}

async fn send(fed: &Federation, row: &delivery::Model, ready: &Ready, now: DateTime<Utc>) -> Outcome {
    let state: &AppState = fed;
    if let Some((dead_since, failing_since)) = dead_since(state, &row.domain).await {
        let probe_at = dead_since + chrono::Duration::seconds(DEAD_PROBE_SECS);
        if now < probe_at {
            if (now - failing_since).num_seconds() > GIVE_UP_ON_DEAD_SECS {
                return Outcome::Skipped("the receiving server has been dead for a week".into());
            }
            return Outcome::Postpone(probe_at);
        }
    }
    let Ok(inbox) = Url::parse(&row.inbox_url) else {
        return Outcome::Skipped("the inbox URL is malformed".into());
    };
    match crate::domain::moderation::is_blocked(&state.db, &inbox).await {
        Ok(true) => return Outcome::Skipped("the receiving domain is blocked".into()),
        Ok(false) => {}
        Err(e) => return Outcome::Retry(format!("checking the block list: {e}")),
    }
    let (stored, signer) = match ready {
        Ok(r) => r,
        Err(outcome) => return outcome.clone(),
    };
    let data = fed.to_request_data();
    let tasks = match SendActivityTask::prepare(stored, signer, vec![inbox.clone()], &data).await {
        Ok(t) => t,
        Err(e) => return Outcome::Retry(format!("preparing: {e}")),
    };
    let Some(task) = tasks.into_iter().next() else {
        return classify_dropped_inbox(state, &inbox);
    };
    let rejected = std::sync::Mutex::new(None);
    let (result, rejected) = REJECTED_WITH
        .scope(rejected, async {
            let result = task.sign_and_send(&data).await;
            (result, REJECTED_WITH.with(|r| r.lock().ok().and_then(|r| *r)))
        })
        .await;
    match (result, rejected) {
        (Ok(()), Some(status)) => Outcome::Rejected(format!("refused by the receiving server: HTTP {status}")),
        (Ok(()), None) => Outcome::Sent,
        (Err(e), _) => Outcome::Retry(e.to_string()),
    }
}

/// Runs one round: claims what is due at `now`, sends it (several at a time), records the
/// outcomes. Tests call this to drain the queue; workers call it in a loop.
pub async fn run_once(fed: &Federation, now: DateTime<Utc>, limit: u64) -> Result<Report, sea_orm::DbErr> {
    let state: State = (**fed).clone();
    let rows = claim(&state, now, limit).await?;
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
                    Some(r) => send(fed, &row, r, now).await,
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
    for (row, outcome) in outcomes {
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
            Outcome::Sent => {
                active.state = Set(DeliveryState::Done);
                active.last_error = Set(None);
                report.sent += 1;
                mark_alive(&state, &row.domain).await;
            }
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
                mark_alive(&state, &row.domain).await;
            }
            Outcome::Postpone(_) => {}
            Outcome::Retry(why) => {
                tracing::debug!(inbox = %row.inbox_url, attempt = attempts, error = %why, "delivery failed");
                record_failure(&state, &row.domain, now).await;
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
    Ok(report)
}

/// When a dead server was last found dead, and since when it has been failing.
async fn dead_since(state: &AppState, domain: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let r = remote_instance::Entity::find_by_id(domain.to_string()).one(&state.db).await.ok().flatten()?;
    let dead = r.dead_since?;
    Some((dead, r.first_failure_at.unwrap_or(dead)))
}

/// A server answered (a delivery succeeded or it sent us a valid activity): not dead.
pub async fn mark_alive(state: &AppState, domain: &str) {
    let row = remote_instance::ActiveModel {
        domain: Set(domain.to_string()),
        failures: Set(0),
        first_failure_at: Set(None),
        dead_since: Set(None),
        last_success_at: Set(Some(Utc::now())),
    };
    let result = remote_instance::Entity::insert(row)
        .on_conflict(
            OnConflict::column(remote_instance::Column::Domain)
                .update_columns([
                    remote_instance::Column::Failures,
                    remote_instance::Column::FirstFailureAt,
                    remote_instance::Column::DeadSince,
                    remote_instance::Column::LastSuccessAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, %domain, "recording instance health");
    }
}

async fn record_failure(state: &AppState, domain: &str, now: DateTime<Utc>) {
    let existing = remote_instance::Entity::find_by_id(domain.to_string()).one(&state.db).await.ok().flatten();
    let result = match existing {
        Some(r) => {
            let first = r.first_failure_at.unwrap_or(now);
            let dead = (now - first).num_seconds() >= DEAD_AFTER_SECS;
            let mut active: remote_instance::ActiveModel = r.clone().into();
            active.failures = Set(r.failures.saturating_add(1));
            active.first_failure_at = Set(Some(first));
            if r.dead_since.is_some() {
                // A failed probe: wait another cool-down.
                active.dead_since = Set(Some(now));
            } else if dead {
                tracing::warn!(%domain, "marking instance dead after two days of failed deliveries");
                active.dead_since = Set(Some(now));
            }
            active.update(&state.db).await.map(|_| ())
        }
        None => remote_instance::ActiveModel {
            domain: Set(domain.to_string()),
            failures: Set(1),
            first_failure_at: Set(Some(now)),
            dead_since: Set(None),
            last_success_at: Set(None),
        }
        .insert(&state.db)
        .await
        .map(|_| ()),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, %domain, "recording instance health");
    }
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

/// Forgets what no longer matters: ids of activities received over 30 days ago (signatures
/// expire after an hour, so older replays are refused anyway) and deliveries finished over
/// 7 days ago. Activities stay: they make up the outboxes.
pub async fn prune(state: &AppState, now: DateTime<Utc>) -> Result<(u64, u64), sea_orm::DbErr> {
    let inbound = crate::db::inbound_activity::Entity::delete_many()
        .filter(crate::db::inbound_activity::Column::ReceivedAt.lt(now - chrono::Duration::days(30)))
        .exec(&state.db)
        .await?
        .rows_affected;
    let finished = delivery::Entity::delete_many()
        .filter(delivery::Column::State.ne(DeliveryState::Pending))
        .filter(delivery::Column::UpdatedAt.lt(now - chrono::Duration::days(7)))
        .exec(&state.db)
        .await?
        .rows_affected;
    Ok((inbound, finished))
}

/// Counts for operators: what waits, what failed, which servers are dead.
#[derive(Debug, Default)]
pub struct QueueStatus {
    pub pending: u64,
    pub failed: u64,
    pub dead_servers: Vec<String>,
    /// The 20 latest failed or skipped deliveries, newest first.
    pub recent_failures: Vec<delivery::Model>,
}

pub async fn status(state: &AppState) -> Result<QueueStatus, sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    let pending =
        delivery::Entity::find().filter(delivery::Column::State.eq(DeliveryState::Pending)).count(&state.db).await?;
    let failed =
        delivery::Entity::find().filter(delivery::Column::State.eq(DeliveryState::Failed)).count(&state.db).await?;
    let dead_servers = remote_instance::Entity::find()
        .filter(remote_instance::Column::DeadSince.is_not_null())
        .order_by_asc(remote_instance::Column::Domain)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| r.domain)
        .collect();
    let recent_failures = delivery::Entity::find()
        .filter(delivery::Column::State.is_in([DeliveryState::Failed, DeliveryState::Skipped]))
        .order_by_desc(delivery::Column::UpdatedAt)
        .limit(20)
        .all(&state.db)
        .await?;
    Ok(QueueStatus { pending, failed, dead_servers, recent_failures })
}
