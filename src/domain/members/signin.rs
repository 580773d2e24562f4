//! Signing in, with failures counted per account and per client address.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::verify_password;
use crate::db::{self, login_failure, member};
use crate::domain::sessions::{self, Session};
use crate::domain::visibility;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Signs in by username or email. Failures are counted per account and per client address;
/// past the limit the answer is RATE_LIMITED until the window passes.
pub async fn login(state: &AppState, username_or_email: &str, password: &str, ip: &str) -> AppResult<Session> {
    let key = username_or_email.trim().to_lowercase();
    let window_start = Utc::now() - Duration::seconds(state.config.login_window_secs);
    let max = state.config.login_max_failures;
    let account_failures = login_failure::Entity::find()
        .filter(login_failure::Column::AccountKey.eq(&key))
        .filter(login_failure::Column::CreatedAt.gt(window_start))
        .count(&state.db)
        .await?;
    let ip_failures = login_failure::Entity::find()
        .filter(login_failure::Column::Ip.eq(ip))
        .filter(login_failure::Column::CreatedAt.gt(window_start))
        .count(&state.db)
        .await?;
    if account_failures >= max || ip_failures >= max.saturating_mul(4) {
        return Err(AppError::RateLimited("too many failed sign-in attempts; try again later".into()));
    }

    let column = if key.contains('@') { member::Column::Email } else { member::Column::Handle };
    let found =
        member::Entity::find().filter(column.eq(&key)).filter(member::Column::Local.eq(true)).one(&state.db).await?;
    let hash = found.as_ref().and_then(|m| m.password_hash.clone()).unwrap_or_else(|| state.dummy_hash.clone());
    let ok = verify_password(password.to_string(), hash).await? && found.is_some();
    let Some(found) = found.filter(|_| ok) else {
        login_failure::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_key: Set(key),
            ip: Set(ip.to_string()),
            created_at: Set(Utc::now()),
        }
        .insert(&state.db)
        .await?;
        // Keep the table small: forget failures older than the window.
        login_failure::Entity::delete_many()
            .filter(login_failure::Column::CreatedAt.lt(window_start))
            .exec(&state.db)
            .await?;
        return Err(AppError::Unauthenticated("wrong username, email or password".into()));
    };
    if !visibility::may_sign_in(&found) {
        return Err(AppError::forbidden("this account is suspended"));
    }
    let txn = db::begin_write(&state.db).await?;
    login_failure::Entity::delete_many().filter(login_failure::Column::AccountKey.eq(&key)).exec(&txn).await?;
    let session = sessions::issue(&txn, state, found, None).await?;
    txn.commit().await?;
    Ok(session)
}
