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
    let txn = db::begin_write(&state.db).await?;
    let link = issue_link(&txn, state, m.id).await?;
    txn.commit().await?;
    Ok(link)
}

/// A new reset link for a member, in the caller's transaction; their earlier links go.
async fn issue_link<C: sea_orm::ConnectionTrait>(txn: &C, state: &AppState, member_id: Uuid) -> AppResult<String> {
    let token = random_token(32);
    let now = Utc::now();
    password_reset::Entity::delete_many().filter(password_reset::Column::MemberId.eq(member_id)).exec(txn).await?;
    password_reset::ActiveModel {
        id: Set(Uuid::now_v7()),
        member_id: Set(member_id),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(RESET_VALID_HOURS)),
        used_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(format!("{}/reset-password?token={token}", state.base_url()))
}

/// How often one account may be mailed a reset link.
const RESET_MAIL_WINDOW_SECS: i64 = 15 * 60;

/// Someone asks for a reset link by email. The answer is the same whether or not the address
/// belongs to an account (nobody learns who has one). Links go by email only (at most one per
/// account every 15 minutes): without SMTP nothing is sent, and admins make links with
/// [`create_reset_link`].
pub async fn request_reset(state: &AppState, email: &str) -> AppResult<bool> {
    let Some(email) = validate::text("email", Some(email), 320)? else { return Ok(true) };
    if !crate::domain::mail::enabled(state) {
        return Ok(true);
    }
    let m = member::Entity::find()
        .filter(member::Column::Email.eq(email.to_lowercase()))
        .filter(member::Column::Local.eq(true))
        .one(&state.db)
        .await?
        .filter(|m| m.password_hash.is_some() && crate::domain::visibility::may_sign_in(m));
    let Some(m) = m else { return Ok(true) };
    let key = format!("reset:{}", Utc::now().timestamp().div_euclid(RESET_MAIL_WINDOW_SECS));
    let txn = db::begin_write(&state.db).await?;
    let queued = crate::db::mail::Entity::find()
        .filter(crate::db::mail::Column::MemberId.eq(m.id))
        .filter(crate::db::mail::Column::DedupeKey.eq(&key))
        .one(&txn)
        .await?;
    if queued.is_none() {
        let link = issue_link(&txn, state, m.id).await?;
        crate::domain::mail::queue_reset(&txn, state, m.id, link, key).await?;
    }
    txn.commit().await?;
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
