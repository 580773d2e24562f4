//! What instance admins do with accounts: review pending ones, approve or suspend, and make
//! invite codes.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::hash_token;
use crate::db::enums::MemberStatus;
use crate::db::{self, invite, member};
use crate::domain::groups;
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::sessions;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Accounts awaiting approval, for admins.
pub async fn pending(state: &AppState, viewer: &Viewer, page: PageRequest) -> AppResult<Page<member::Model>> {
    viewer.admin()?;
    let filter = member::Column::Status.eq(MemberStatus::Pending);
    keyset(&state.db, member::Entity::find().filter(filter), member::Column::Id, page).await
}

/// Approves (ACTIVE) or suspends an account; admins only.
pub async fn set_status(state: &AppState, viewer: &Viewer, member_id: Uuid, approve: bool) -> AppResult<member::Model> {
    let admin = viewer.admin()?;
    if admin.id == member_id {
        return Err(AppError::bad_input("memberId", "admins cannot change their own account status"));
    }
    let txn = db::begin_write(&state.db).await?;
    let target = member::Entity::find_by_id(member_id)
        .one(&txn)
        .await?
        .filter(|m| m.local)
        .ok_or_else(|| AppError::not_found("member"))?;
    if target.status == MemberStatus::Deleted {
        return Err(AppError::conflict("a deleted account cannot be approved or suspended"));
    }
    let was_pending = target.status == MemberStatus::Pending;
    let mut row: member::ActiveModel = target.into();
    row.status = Set(if approve { MemberStatus::Active } else { MemberStatus::Suspended });
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    if approve && was_pending {
        groups::join_default_group(&txn, updated.id).await?;
    }
    if !approve {
        sessions::revoke_all(&txn, updated.id).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Makes a single-use invite code; admins only. Only its hash is stored.
pub async fn create_invite(state: &AppState, viewer: &Viewer, valid_days: Option<i32>) -> AppResult<String> {
    let admin = viewer.admin()?;
    let days = valid_days.unwrap_or(14);
    if !(1..=365).contains(&days) {
        return Err(AppError::bad_input("validDays", "validDays must be between 1 and 365"));
    }
    let code = crate::auth::random_token(18);
    let now = Utc::now();
    invite::ActiveModel {
        id: Set(Uuid::now_v7()),
        code_hash: Set(hash_token(&code)),
        created_by: Set(Some(admin.id)),
        used_by: Set(None),
        used_at: Set(None),
        expires_at: Set(Some(now + Duration::days(i64::from(days)))),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(code)
}
