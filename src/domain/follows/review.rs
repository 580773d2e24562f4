//! Follow requests to local actors that wait for a decision, the decision, and the signed
//! `Accept` or `Reject` the follower's server hears.
use chrono::Utc;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::rules::may_review;
use crate::ap::activities::{self, FollowAnswer};
use crate::db::enums::FollowState;
use crate::db::{self, follow};
use crate::domain::actors::{ensure_keys, ApActor};
use crate::domain::groups;
use crate::domain::outbox::{self, Outgoing};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Follow requests awaiting a decision, for a local group.
pub async fn pending_requests(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<follow::Model>> {
    let g = groups::get(&state.db, group_id).await?;
    let target = ApActor::of_group(&state.db, g).await?;
    may_review(state, viewer, &target).await?;
    let filter =
        Condition::all().add(follow::Column::TargetId.eq(group_id)).add(follow::Column::State.eq(FollowState::Pending));
    keyset(&state.db, follow::Entity::find().filter(filter), follow::Column::Id, page).await
}

/// Accepts or rejects a pending follow request; the follower's server hears a signed answer.
pub async fn review(
    state: &AppState,
    viewer: &Viewer,
    follow_id: Uuid,
    accept: bool,
) -> AppResult<Option<follow::Model>> {
    let row = follow::Entity::find_by_id(follow_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("follow request"))?;
    let target = ApActor::by_id(&state.db, row.target_id).await?.ok_or_else(|| AppError::not_found("actor"))?;
    may_review(state, viewer, &target).await?;
    if row.state != FollowState::Pending {
        return Err(AppError::conflict("this follow request was already answered"));
    }
    let follower = ApActor::by_id(&state.db, row.follower_id).await?.ok_or_else(|| AppError::not_found("follower"))?;
    let target = ensure_keys(state, target).await?;
    let txn = db::begin_write(&state.db).await?;
    // Only a still-pending request may be answered, once: concurrent answers race on this row.
    let answered = if accept {
        follow::Entity::update_many()
            .col_expr(follow::Column::State, sea_orm::sea_query::Expr::value(FollowState::Accepted))
            .col_expr(follow::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(follow::Column::Id.eq(row.id))
            .filter(follow::Column::State.eq(FollowState::Pending))
            .exec(&txn)
            .await?
            .rows_affected
    } else {
        follow::Entity::delete_many()
            .filter(follow::Column::Id.eq(row.id))
            .filter(follow::Column::State.eq(FollowState::Pending))
            .exec(&txn)
            .await?
            .rows_affected
    };
    if answered != 1 {
        return Err(AppError::conflict("this follow request was already answered or withdrawn"));
    }
    let result = if accept { follow::Entity::find_by_id(row.id).one(&txn).await? } else { None };
    if !follower.local {
        enqueue_response(&txn, state, &target, &follower, &row.ap_id, accept).await?;
    }
    txn.commit().await?;
    Ok(result)
}

pub(super) async fn enqueue_response<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    target: &ApActor,
    follower: &ApActor,
    follow_ap_id: &str,
    accept: bool,
) -> AppResult<()> {
    let answer = if accept { FollowAnswer::Accept } else { FollowAnswer::Reject };
    let kind = answer.as_str();
    let ap_id = outbox::activity_id(state, kind);
    outbox::enqueue(
        conn,
        state,
        Outgoing {
            actor_id: target.row_id,
            payload: activities::respond_to_follow(
                answer,
                &ap_id,
                target.id.as_str(),
                follow_ap_id,
                follower.id.as_str(),
            ),
            ap_id,
            kind,
            public: false,
            inboxes: vec![follower.delivery_inbox()],
        },
    )
    .await?;
    Ok(())
}
