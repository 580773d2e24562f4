//! Each receiving server's health: a server failing for two days is dead, and its deliveries
//! wait for a probe.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::db::remote_instance;
use crate::state::AppState;

/// A server failing without a single success for this long is dead.
const DEAD_AFTER_SECS: i64 = 2 * 24 * 3_600;
/// A dead server gets one probe delivery this long after its last failure; meanwhile its
/// deliveries wait, unless it has been failing for a week (then they are dropped).
pub(super) const DEAD_PROBE_SECS: i64 = 6 * 3_600;
pub(super) const GIVE_UP_ON_DEAD_SECS: i64 = 7 * 24 * 3_600;

/// A healthy server's last success is written again only this long after the last write:
/// a busy partner's every answer need not be a write.
const ALIVE_REWRITE_SECS: i64 = 600;

/// The stored health of the servers a round sends to, in one query.
pub(super) async fn health(
    state: &AppState,
    domains: &[&str],
) -> Result<HashMap<String, remote_instance::Model>, sea_orm::DbErr> {
    let mut found = HashMap::new();
    for chunk in domains.chunks(500) {
        let rows = remote_instance::Entity::find()
            .filter(remote_instance::Column::Domain.is_in(chunk.iter().copied()))
            .all(&state.db)
            .await?;
        found.extend(rows.into_iter().map(|r| (r.domain.clone(), r)));
    }
    Ok(found)
}

/// When a dead server was last found dead, and since when it has been failing.
pub(super) fn dead_since(health: Option<&remote_instance::Model>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let r = health?;
    let dead = r.dead_since?;
    Some((dead, r.first_failure_at.unwrap_or(dead)))
}

/// Whether the stored health already says "alive" recently enough that an answer from the
/// server changes nothing worth writing.
pub(super) fn known_alive(health: Option<&remote_instance::Model>, now: DateTime<Utc>) -> bool {
    health.is_some_and(|r| {
        r.failures == 0
            && r.dead_since.is_none()
            && r.last_success_at.is_some_and(|at| (now - at).num_seconds() < ALIVE_REWRITE_SECS)
    })
}

/// A server answered (a delivery succeeded or it sent us a valid activity): not dead.
pub async fn mark_alive(state: &AppState, domain: &str) {
    let health = remote_instance::Entity::find_by_id(domain.to_string()).one(&state.db).await.ok().flatten();
    if !known_alive(health.as_ref(), Utc::now()) {
        write_alive(state, domain).await;
    }
}

/// Records a server as alive, whatever its stored health says.
pub(super) async fn write_alive(state: &AppState, domain: &str) {
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
