//! Following from here: a member or a local group follows an actor, or stops; remote targets
//! hear a `Follow` or an `Undo`.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

use super::store::find_pair;
use crate::ap::activities;
use crate::db::enums::FollowState;
use crate::db::{self, follow};
use crate::domain::actors::{ensure_keys, ActorKind, ApActor};
use crate::domain::outbox::{self, Outgoing};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// `follower` (from [`follower_for`]) follows `target` (resolved by the caller). Remote targets
/// get a `Follow` and the follow stays PENDING until their `Accept`; local targets are followed
/// at once (or PENDING where they approve followers by hand). Following again answers the
/// existing follow.
pub async fn follow(state: &AppState, follower: ApActor, target: ApActor) -> AppResult<follow::Model> {
    if target.kind == ActorKind::Instance || !target.is_active() {
        return Err(AppError::bad_input("handle", "this actor cannot be followed"));
    }
    if target.row_id == follower.row_id {
        return Err(AppError::bad_input("handle", "an actor cannot follow itself"));
    }
    if let Some(existing) = find_pair(&state.db, &follower, &target).await? {
        return Ok(existing);
    }
    // Keys first: on SQLite a write outside the transaction below would wait on it.
    let follower = if target.local { follower } else { ensure_keys(state, follower).await? };
    let txn = db::begin_write(&state.db).await?;
    let ap_id = outbox::activity_id(state, "Follow");
    let now = Utc::now();
    let follow_state = if target.local && !target.manually_approves_followers() {
        FollowState::Accepted
    } else {
        FollowState::Pending
    };
    let row = follow::ActiveModel {
        id: Set(Uuid::now_v7()),
        ap_id: Set(ap_id.clone()),
        follower_id: Set(follower.row_id),
        target_id: Set(target.row_id),
        state: Set(follow_state),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    if !target.local {
        outbox::enqueue(
            &txn,
            state,
            Outgoing {
                actor_id: follower.row_id,
                payload: activities::follow(&ap_id, follower.id.as_str(), target.id.as_str()),
                ap_id,
                kind: "Follow",
                public: false,
                inboxes: vec![target.delivery_inbox()],
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(row)
}

/// Stops following; remote targets get an `Undo`. Answers whether there was a follow.
pub async fn unfollow(state: &AppState, follower: ApActor, target: ApActor) -> AppResult<bool> {
    let Some(existing) = find_pair(&state.db, &follower, &target).await? else { return Ok(false) };
    let follower = if target.local { follower } else { ensure_keys(state, follower).await? };
    let txn = db::begin_write(&state.db).await?;
    follow::Entity::delete_by_id(existing.id).exec(&txn).await?;
    if !target.local {
        let ap_id = outbox::activity_id(state, "Undo");
        outbox::enqueue(
            &txn,
            state,
            Outgoing {
                actor_id: follower.row_id,
                payload: activities::undo_follow(&ap_id, follower.id.as_str(), &existing.ap_id, target.id.as_str()),
                ap_id,
                kind: "Undo",
                public: false,
                inboxes: vec![target.delivery_inbox()],
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}
