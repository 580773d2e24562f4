//! Changing and resetting passwords. A change or a reset ends every sign-in of the account
//! (their refresh tokens stop working; access tokens run out within 15 minutes). A reset goes
//! through a single-use token, stored hashed, valid for a day: made for a member by an instance
//! admin (`createPasswordResetLink`), or sent by email when the instance sends email.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::{hash_password, hash_token, random_token, verify_password};
use crate::db::{self, login_failure, member, password_reset};
use crate::domain::sessions;
use crate::domain::validate;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How long a reset link works.
const RESET_VALID_HOURS: i64 = 24;

/// Sets a new password and ends every sign-in, in one transaction.
async fn set_password(state: &AppState, m: &member::Model, new_password: &str) -> AppResult<()> {
    validate::password(new_password)?;
    let hash = hash_password(new_password.to_string()).await?;
    let txn = db::begin_write(&state.db).await?;
    let mut row: member::ActiveModel = m.clone().into();
    row.password_hash = Set(Some(hash));
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    sessions::revoke_all(&txn, m.id).await?;
    password_reset::Entity::delete_many().filter(password_reset::Column::MemberId.eq(m.id)).exec(&txn).await?;
    let key = m.handle.to_lowercase();
    let email = m.email.clone().unwrap_or_default().to_lowercase();
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::AccountKey.is_in([key, email]))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The signed-in member changes their password, confirming the current one.
pub async fn change_password(state: &AppState, viewer: &Viewer, current: &str, new: &str) -> AppResult<bool> {
    let me = viewer.active_member()?.clone();
    let hash = me.password_hash.clone().unwrap_or_else(|| state.dummy_hash.clone());
    if !verify_password(current.to_string(), hash).await? {
        return Err(AppError::bad_input("currentPassword", "the current password is not right"));
    }
    if current == new {
        return Err(AppError::bad_input("newPassword", "the new password is the current one"));
    }
    set_password(state, &me, new).await?;
    Ok(true)
}

/// A reset link for a local member (instance admins), shown once; the member's earlier links
/// stop working.
pub async fn create_reset_link(state: &AppState, viewer: &Viewer, member_id: Uuid) -> AppResult<String> {
    let me = viewer.active_member()?;
    if !me.is_admin {
        return Err(AppError::forbidden("only instance admins make password reset links"));
    }
    let m = member::Entity::find_by_id(member_id)
        .one(&state.db)
        .await?
        .filter(|m| m.local && m.password_hash.is_some())
        .ok_or_else(|| AppError::not_found("member"))?;
    let token = random_token(32);
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    password_reset::Entity::delete_many().filter(password_reset::Column::MemberId.eq(m.id)).exec(&txn).await?;
    password_reset::ActiveModel {
        id: Set(Uuid::now_v7()),
        member_id: Set(m.id),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(RESET_VALID_HOURS)),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(format!("{}/reset-password?token={token}", state.base_url()))
}

/// Someone asks for a reset link by email. The answer is the same whether or not the address
/// belongs to an account (nobody learns who has one). Links go by email only: until the
/// instance sends email, nothing is sent and admins make links with
/// [`create_reset_link`].
pub async fn request_reset(_state: &AppState, email: &str) -> AppResult<bool> {
    validate::text("email", Some(email), 320)?;
    Ok(true)
}

/// Sets a new password with a reset token: once, before it expires.
pub async fn reset_password(state: &AppState, token: &str, new: &str) -> AppResult<bool> {
    validate::password(new)?;
    let invalid = || AppError::bad_input("token", "this reset link is not valid or has expired");
    let row = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(hash_token(token.trim())))
        .one(&state.db)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > Utc::now())
        .ok_or_else(invalid)?;
    let m = member::Entity::find_by_id(row.member_id)
        .one(&state.db)
        .await?
        .filter(crate::domain::visibility::may_sign_in)
        .ok_or_else(invalid)?;
    set_password(state, &m, new).await?;
    Ok(true)
}
