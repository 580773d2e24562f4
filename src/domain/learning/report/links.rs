//! Share links to a group's progress report: made and revoked by its moderators; only the
//! token's hash is kept.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

use super::period;
use crate::db::{self, report_link};
use crate::domain::groups;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A share link just made: its token appears in `url` this once (only its hash is kept).
pub struct NewLink {
    pub link: report_link::Model,
    pub url: String,
}

fn report_url(state: &AppState, slug: &str) -> String {
    format!("{}/groups/{slug}/report", state.base_url())
}

/// The group's moderators make a share link (for the period given, or whatever period the
/// reader asks).
pub async fn create_link(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
) -> AppResult<NewLink> {
    let me = viewer.active_member()?;
    let g = groups::get(&state.db, group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "reports are of local groups"));
    }
    if !groups::moderates(groups::role_in(&state.db, viewer, g.id).await?) {
        return Err(AppError::forbidden("only the group's moderators share its report"));
    }
    let (from, to) = match (from, to) {
        (None, None) => (None, None),
        (f, t) => {
            let (f, t) = period(f, t)?;
            (Some(f), Some(t))
        }
    };
    let token = crate::auth::random_token(32);
    let txn = db::begin_write(&state.db).await?;
    let link = report_link::ActiveModel {
        id: Set(Uuid::now_v7()),
        group_id: Set(g.id),
        token_hash: Set(crate::auth::hash_token(&token)),
        period_from: Set(from),
        period_to: Set(to),
        created_by: Set(Some(me.id)),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        expires_at: Set(match expires_at {
            Some(t) if t <= Utc::now() => return Err(AppError::bad_input("expiresAt", "a link expires in the future")),
            Some(t) => Some(crate::domain::validate::time("expiresAt", t)?),
            None => None,
        }),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(NewLink { url: format!("{}?token={token}", report_url(state, &g.slug)), link })
}

/// The group's moderators revoke a share link: it stops working at once.
pub async fn revoke_link(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<()> {
    viewer.active_member()?;
    let link =
        report_link::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("report link"))?;
    if !groups::moderates(groups::role_in(&state.db, viewer, link.group_id).await?) {
        return Err(AppError::not_found("report link"));
    }
    let mut row: report_link::ActiveModel = link.into();
    row.revoked_at = Set(Some(Utc::now()));
    let txn = db::begin_write(&state.db).await?;
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The group's share links, newest first, for its moderators (their tokens are not kept).
pub async fn links(state: &AppState, viewer: &Viewer, group_id: Uuid) -> AppResult<Vec<report_link::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    viewer.active_member()?;
    if !groups::moderates(groups::role_in(&state.db, viewer, group_id).await?) {
        return Err(AppError::forbidden("only the group's moderators see its share links"));
    }
    Ok(report_link::Entity::find()
        .filter(report_link::Column::GroupId.eq(group_id))
        .order_by_desc(report_link::Column::Id)
        .limit(200)
        .all(&state.db)
        .await?)
}

/// Whether a link opens the report at `now`.
pub fn open(link: &report_link::Model, now: DateTime<Utc>) -> bool {
    link.revoked_at.is_none() && link.expires_at.is_none_or(|t| now < t)
}
