//! Invitations to join a group. The group's moderators invite a member here by handle; the
//! member accepts (and belongs to the group, whatever its join mode: the invitation is the
//! group's approval) or declines. One invitation per group and member: inviting again after a
//! decline reopens it; inviting someone who asked to join approves them.
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::rules::{moderates, role_in};
use super::store::{get, insert_membership, membership_of};
use crate::db::enums::{InvitationStatus, Role};
use crate::db::{self, group_invitation, membership};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Open invitations one member holds at most (a list in their app, bounded).
pub const MAX_OPEN: u64 = 100;

/// A moderator of a local group invites a member here (`memberHandle`).
pub async fn invite(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    member_handle: &str,
) -> AppResult<group_invitation::Model> {
    let me = viewer.active_member()?;
    let g = get(&state.db, group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "this group lives on another server"));
    }
    if !moderates(role_in(&state.db, viewer, g.id).await?) {
        return Err(AppError::forbidden("only the group's moderators invite members"));
    }
    let key = member_handle.trim().trim_start_matches('@').to_lowercase();
    let m = crate::domain::members::find_by_handle(&state.db, &key)
        .await?
        .filter(|m| m.local && crate::domain::visibility::may_sign_in(m))
        .ok_or_else(|| AppError::bad_input("memberHandle", "no such member here"))?;
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let status = match membership_of(&txn, g.id, m.id).await? {
        Some(ms) if ms.role != Role::Pending => {
            return Err(AppError::conflict("they already belong to the group"));
        }
        Some(ms) => {
            // They asked to join: the invitation approves them.
            let mut row: membership::ActiveModel = ms.into();
            row.role = Set(Role::Member);
            row.update(&txn).await?;
            InvitationStatus::Accepted
        }
        None => InvitationStatus::Invited,
    };
    // Inviting again while the invitation is open changes nothing (and tells nobody again).
    if status == InvitationStatus::Invited {
        let existing = group_invitation::Entity::find()
            .filter(group_invitation::Column::GroupId.eq(g.id))
            .filter(group_invitation::Column::MemberId.eq(m.id))
            .one(&txn)
            .await?;
        if let Some(open) = existing.filter(|i| i.status == InvitationStatus::Invited) {
            txn.rollback().await?;
            return Ok(open);
        }
    }
    let open = group_invitation::Entity::find()
        .filter(group_invitation::Column::MemberId.eq(m.id))
        .filter(group_invitation::Column::Status.eq(InvitationStatus::Invited));
    if status == InvitationStatus::Invited && sea_orm::PaginatorTrait::count(open, &txn).await? >= MAX_OPEN {
        return Err(AppError::conflict("they hold too many open invitations"));
    }
    group_invitation::Entity::insert(group_invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        group_id: Set(g.id),
        member_id: Set(m.id),
        invited_by: Set(Some(me.id)),
        status: Set(status),
        created_at: Set(now),
        answered_at: Set((status == InvitationStatus::Accepted).then_some(now)),
    })
    .on_conflict(
        OnConflict::columns([group_invitation::Column::GroupId, group_invitation::Column::MemberId])
            .update_columns([
                group_invitation::Column::InvitedBy,
                group_invitation::Column::Status,
                group_invitation::Column::CreatedAt,
                group_invitation::Column::AnsweredAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let saved = group_invitation::Entity::find()
        .filter(group_invitation::Column::GroupId.eq(g.id))
        .filter(group_invitation::Column::MemberId.eq(m.id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("invitation"))?;
    if saved.status == InvitationStatus::Invited {
        crate::domain::learning::notify_invited(&txn, &saved).await?;
    }
    txn.commit().await?;
    if saved.status == InvitationStatus::Invited {
        state.bus.publish(&state.db, crate::bus::Change::Notified { member: saved.member_id }).await;
    }
    Ok(saved)
}

/// The invited member accepts (they join the group as a member) or declines, once.
pub async fn answer(state: &AppState, viewer: &Viewer, id: Uuid, accept: bool) -> AppResult<group_invitation::Model> {
    let me = viewer.active_member()?;
    let txn = db::begin_write(&state.db).await?;
    let inv = group_invitation::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|i| i.member_id == me.id)
        .ok_or_else(|| AppError::not_found("invitation"))?;
    if inv.status != InvitationStatus::Invited {
        return Err(AppError::conflict("this invitation was answered"));
    }
    if accept {
        match membership_of(&txn, inv.group_id, me.id).await? {
            Some(ms) if ms.role == Role::Pending => {
                let mut row: membership::ActiveModel = ms.into();
                row.role = Set(Role::Member);
                row.update(&txn).await?;
            }
            Some(_) => {}
            None => {
                insert_membership(&txn, inv.group_id, me.id, Role::Member).await?;
            }
        }
    }
    let mut row: group_invitation::ActiveModel = inv.into();
    row.status = Set(if accept { InvitationStatus::Accepted } else { InvitationStatus::Declined });
    row.answered_at = Set(Some(Utc::now()));
    let saved = row.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// A member's open invitations, newest first, for the member themself and instance admins
/// (`None` for anyone else).
pub async fn open_for<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    m: &crate::db::member::Model,
) -> AppResult<Option<Vec<group_invitation::Model>>> {
    if !crate::domain::visibility::member_account_visible(m, viewer)? {
        return Ok(None);
    }
    use sea_orm::QuerySelect;
    Ok(Some(
        group_invitation::Entity::find()
            .filter(group_invitation::Column::MemberId.eq(m.id))
            .filter(group_invitation::Column::Status.eq(InvitationStatus::Invited))
            .order_by_desc(group_invitation::Column::Id)
            .limit(MAX_OPEN)
            .all(conn)
            .await?,
    ))
}

/// An invitation for its member, the group's moderators and instance admins.
pub async fn get_invitation(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<group_invitation::Model> {
    let inv = group_invitation::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("invitation"))?;
    if viewer.is(inv.member_id) || moderates(role_in(&state.db, viewer, inv.group_id).await?) {
        return Ok(inv);
    }
    Err(AppError::not_found("invitation"))
}
