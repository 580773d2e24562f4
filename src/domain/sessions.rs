//! Sign-in sessions: a short-lived access JWT plus an opaque, rotating refresh token.
//!
//! Each refresh token belongs to a family (one sign-in). Using a token marks it used and issues
//! its successor in the same family. Presenting a token that was already used means two parties
//! hold it, so the whole family is revoked (token theft detection).
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::{hash_token, random_token, REFRESH_TOKEN_DAYS};
use crate::db::{self, member, refresh_token};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What sign-in, registration and refresh return.
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub member: member::Model,
}

/// Issues a session inside the caller's transaction; `family` continues a rotation chain.
pub async fn issue<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    member: member::Model,
    family: Option<Uuid>,
) -> AppResult<Session> {
    let token = random_token(32);
    let now = Utc::now();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        member_id: Set(member.id),
        family_id: Set(family.unwrap_or_else(Uuid::now_v7)),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(REFRESH_TOKEN_DAYS)),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(Session { access_token: state.jwt.issue(member.id)?, refresh_token: token, member })
}

fn invalid() -> AppError {
    AppError::Unauthenticated("invalid or expired refresh token; sign in again".into())
}

/// Exchanges a refresh token for a new session. Reuse of a spent token revokes its family;
/// the revocation is committed even though the call fails.
pub async fn refresh(state: &AppState, token: &str) -> AppResult<Session> {
    let txn = db::begin_write(&state.db).await?;
    let Some(row) =
        refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(hash_token(token))).one(&txn).await?
    else {
        return Err(invalid());
    };
    let now = Utc::now();
    if row.revoked_at.is_some() {
        return Err(invalid());
    }
    if row.used_at.is_some() {
        revoke_family(&txn, row.family_id).await?;
        txn.commit().await?;
        tracing::warn!(member = %row.member_id, family = %row.family_id, "refresh token reused; session family revoked");
        return Err(AppError::Unauthenticated(
            "refresh token was already used; all sessions of this sign-in are revoked".into(),
        ));
    }
    if row.expires_at < now {
        return Err(invalid());
    }
    // Claim the token: only one concurrent caller can flip used_at from NULL.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        revoke_family(&txn, row.family_id).await?;
        txn.commit().await?;
        return Err(invalid());
    }
    let Some(member) = member::Entity::find_by_id(row.member_id).one(&txn).await? else {
        return Err(invalid());
    };
    if !crate::domain::visibility::may_sign_in(&member) {
        revoke_family(&txn, row.family_id).await?;
        txn.commit().await?;
        return Err(AppError::forbidden("this account is suspended"));
    }
    let session = issue(&txn, state, member, Some(row.family_id)).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the sign-in the token belongs to. Answers whether there was one to end.
pub async fn logout(state: &AppState, token: &str) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let row =
        refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(hash_token(token))).one(&txn).await?;
    let Some(row) = row else { return Ok(false) };
    if row.revoked_at.is_some() {
        return Ok(false);
    }
    revoke_family(&txn, row.family_id).await?;
    txn.commit().await?;
    Ok(true)
}

async fn revoke_family<C: ConnectionTrait>(conn: &C, family: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes every session of a member (suspension, password change).
pub async fn revoke_all<C: ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::MemberId.eq(member_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes refresh tokens past their expiry (used, revoked or not): they can no longer sign
/// anyone in, and presenting one answers "invalid" either way. Run by the hourly pruning job.
pub async fn prune_expired<C: ConnectionTrait>(conn: &C, now: chrono::DateTime<Utc>) -> AppResult<u64> {
    Ok(refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}
