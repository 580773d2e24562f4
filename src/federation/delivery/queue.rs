//! The delivery queue: claiming what is due, forgetting what is finished, counting for operators.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::enums::DeliveryState;
use crate::db::{self, delivery, remote_instance};
use crate::state::AppState;

/// How long a claimed delivery is held before another worker may take it (crash recovery).
const LEASE_SECS: i64 = 120;

/// Claims up to `limit` deliveries due at `now` and leases them to this worker, oldest first.
/// An inbox that another worker is sending to is left alone this round, so that what one
/// server receives from us arrives in the order it was written (an `Accept` of a follow
/// before the first post to the new follower; an edit before a cancellation).
pub(super) async fn claim(
    state: &AppState,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<delivery::Model>, sea_orm::DbErr> {
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

/// Deliveries waiting or given up on, per remote server and state: the `limit` largest counts.
pub async fn by_server(state: &AppState, limit: u64) -> Result<Vec<(String, DeliveryState, i64)>, sea_orm::DbErr> {
    use sea_orm::sea_query::ExprTrait as _;
    let count = Expr::col(delivery::Column::Id).count();
    delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Domain)
        .column(delivery::Column::State)
        .column_as(count.clone(), "n")
        .filter(delivery::Column::State.is_in([DeliveryState::Pending, DeliveryState::Failed]))
        .group_by(delivery::Column::Domain)
        .group_by(delivery::Column::State)
        .order_by_desc(count)
        .limit(limit)
        .into_tuple()
        .all(&state.db)
        .await
}
