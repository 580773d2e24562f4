//! Co-host invitations between local groups: which a group has, and its admins' answer.
//! (Groups on other servers are invited and answer through [`super::federation`].)
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::federation::{self as fed, Change as Federated};
use super::lookup::lock;
use crate::bus::Change;
use crate::db::{self, event, event_host};
use crate::domain::groups;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The events a local group is invited to co-host and has not answered: its admins see them
/// (and instance admins); others see none. At most `limit`, soonest first.
pub async fn cohost_invitations(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    limit: u64,
) -> AppResult<Vec<event::Model>> {
    if viewer.optional()?.is_none() || !groups::administers(groups::acting_role(&state.db, viewer, group_id).await?) {
        return Ok(vec![]);
    }
    Ok(event::Entity::find()
        .filter(
            event::Column::Id.in_subquery(
                Query::select()
                    .column(event_host::Column::EventId)
                    .from(event_host::Entity)
                    .and_where(Expr::col(event_host::Column::GroupId).eq(group_id))
                    .and_where(Expr::col(event_host::Column::Confirmed).eq(false))
                    .to_owned(),
            ),
        )
        .filter(event::Column::Local.eq(true))
        .order_by_asc(event::Column::StartsAt)
        .limit(limit)
        .all(&state.db)
        .await?)
}

/// An admin of a local group answers its invitation to co-host a local event: accepted, the
/// group becomes a host (the event shows on its page and calendar, its members see a MEMBERS
/// event); declined, the invitation goes. Partners on other servers answer through the
/// federation ([`federation::cohost_answered`](super::federation::cohost_answered)), which ends in the same rows.
pub async fn answer_cohost(
    state: &AppState,
    viewer: &Viewer,
    event_id: Uuid,
    group_id: Uuid,
    accept: bool,
) -> AppResult<event::Model> {
    let g = groups::get(&state.db, group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local || !groups::administers(groups::acting_role(&state.db, viewer, g.id).await?) {
        return Err(AppError::forbidden("only the invited group's admins may answer its invitation"));
    }
    let e = event::Entity::find_by_id(event_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("event"))?;
    let federates = fed::prepare(state, &e).await?;
    let txn = db::begin_write(&state.db).await?;
    let host = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .filter(event_host::Column::GroupId.eq(group_id))
        .filter(event_host::Column::Confirmed.eq(false))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("invitation"))?;
    if accept {
        let mut row: event_host::ActiveModel = host.into();
        row.confirmed = Set(true);
        row.update(&txn).await?;
    } else {
        event_host::Entity::delete_by_id(host.id).exec(&txn).await?;
    }
    let updated = lock(&txn, event_id).await?;
    if accept && federates {
        // Its `contributors` changed.
        fed::publish(&txn, state, &updated, Federated::Update, true).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Event { id: event_id }).await;
    Ok(updated)
}
