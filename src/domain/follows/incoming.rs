//! Follows from elsewhere, as the inbox hands them over: a remote actor follows a local one,
//! answers one of our follows, or stops following.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::review::enqueue_response;
use super::store::find_pair;
use crate::db::enums::FollowState;
use crate::db::{self, follow};
use crate::domain::actors::{ensure_keys, ApActor};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A remote actor asks to follow a local one. Accepted at once (with a signed `Accept`) unless
/// the target approves followers by hand. A repeated `Follow` (Mastodon retries) re-sends the
/// `Accept` of an accepted follow.
pub async fn receive_follow(
    state: &AppState,
    follower: &ApActor,
    target: &ApActor,
    follow_ap_id: &str,
) -> AppResult<()> {
    let target = ensure_keys(state, target.clone()).await?;
    let manual = target.manually_approves_followers();
    let txn = db::begin_write(&state.db).await?;
    let now = Utc::now();
    let row = match find_pair(&txn, follower, &target).await? {
        Some(existing) => {
            let mut row: follow::ActiveModel = existing.into();
            row.ap_id = Set(follow_ap_id.to_string());
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            follow::ActiveModel {
                id: Set(Uuid::now_v7()),
                ap_id: Set(follow_ap_id.to_string()),
                follower_id: Set(follower.row_id),
                target_id: Set(target.row_id),
                state: Set(if manual { FollowState::Pending } else { FollowState::Accepted }),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    if row.state == FollowState::Accepted {
        enqueue_response(&txn, state, &target, follower, &row.ap_id, true).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A remote actor accepted or rejected one of our follows.
pub async fn receive_response(
    state: &AppState,
    responder: &ApActor,
    follow_ap_id: &str,
    accepted: bool,
) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let Some(row) = follow::Entity::find().filter(follow::Column::ApId.eq(follow_ap_id)).one(&txn).await? else {
        return Ok(());
    };
    // Only the followed actor may answer.
    if row.target_id != responder.row_id {
        return Err(AppError::forbidden("only the followed actor may answer a follow"));
    }
    if accepted {
        let mut active: follow::ActiveModel = row.into();
        active.state = Set(FollowState::Accepted);
        active.updated_at = Set(Utc::now());
        active.update(&txn).await?;
    } else {
        follow::Entity::delete_by_id(row.id).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A remote follower stopped following.
pub async fn receive_undo(
    state: &AppState,
    follower: &ApActor,
    follow_ap_id: &str,
    target: Option<&str>,
) -> AppResult<()> {
    let mut cond = Condition::any().add(follow::Column::ApId.eq(follow_ap_id));
    if let Some(target) = target {
        if let Some(t) = ApActor::by_ap_id(state, target).await? {
            cond = cond.add(follow::Column::TargetId.eq(t.row_id));
        }
    }
    follow::Entity::delete_many()
        .filter(follow::Column::FollowerId.eq(follower.row_id))
        .filter(cond)
        .exec(&state.db)
        .await?;
    Ok(())
}
