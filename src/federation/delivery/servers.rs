//! Each receiving server's health: a server failing for two days is dead, and its deliveries
//! wait for a probe.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::db::remote_instance;
use crate::state::AppState;

/// A server failing without a single success for this long is dead.
const DEAD_AFTER_SECS: i64 = 2 * 24 * 3_600;
/// A dead server gets one probe delivery this long after its last failure; meanwhile its
/// deliveries wait, unless it has been failing for a week (then they are dropped).
pub(super) const DEAD_PROBE_SECS: i64 = 6 * 3_600;
pub(super) const GIVE_UP_ON_DEAD_SECS: i64 = 7 * 24 * 3_600;

/// When a dead server was last found dead, and since when it has been failing.
pub(super) async fn dead_since(state: &AppState, domain: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
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

pub(super) async fn record_failure(state: &AppState, domain: &str, now: DateTime<Utc>) {
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
