//! Memberships: joining (open or by approval), leaving, roles, removals, and the default
//! group every new member joins.
use sea_orm::{
    ActiveEnum as _, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use super::rules::{acting_role, actor_and_target, may_change};
use super::store::{find_local, get, insert_membership, membership_of, owner_count};
use super::DEFAULT_GROUP;
use crate::db::enums::{JoinMode, Role};
use crate::db::{self, membership};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// New active members join the default group (if it exists) as members.
pub async fn join_default_group<C: ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<()> {
    if let Some(g) = find_local(conn, DEFAULT_GROUP).await? {
        if membership_of(conn, g.id, member_id).await?.is_none() {
            insert_membership(conn, g.id, member_id, Role::Member).await?;
        }
    }
    Ok(())
}

/// The instance admin owns the default group.
pub async fn make_default_group_owner<C: ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<()> {
    let Some(g) = find_local(conn, DEFAULT_GROUP).await? else { return Ok(()) };
    match membership_of(conn, g.id, member_id).await? {
        Some(m) => {
            let mut row: membership::ActiveModel = m.into();
            row.role = Set(Role::Owner);
            row.update(conn).await?;
        }
        None => {
            insert_membership(conn, g.id, member_id, Role::Owner).await?;
        }
    }
    Ok(())
}

/// Joins a local group: MEMBER for open groups, PENDING where moderators approve members.
/// Joining again answers the existing membership.
pub async fn join(state: &AppState, viewer: &Viewer, group_id: Uuid) -> AppResult<membership::Model> {
    let me = viewer.active_member()?;
    let txn = db::begin_write(&state.db).await?;
    let g = get(&txn, group_id).await?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "this group lives on another server; use follow to follow it"));
    }
    if let Some(existing) = membership_of(&txn, g.id, me.id).await? {
        return Ok(existing);
    }
    let role = if g.join_mode == JoinMode::Approval { Role::Pending } else { Role::Member };
    let m = insert_membership(&txn, g.id, me.id, role).await?;
    txn.commit().await?;
    Ok(m)
}

/// Leaves a group. The last owner must hand ownership on first.
pub async fn leave(state: &AppState, viewer: &Viewer, group_id: Uuid) -> AppResult<bool> {
    let me = viewer.member()?;
    let txn = db::begin_write(&state.db).await?;
    get(&txn, group_id).await?;
    let m = membership_of(&txn, group_id, me.id).await?.ok_or_else(|| AppError::not_found("membership"))?;
    if m.role == Role::Owner && owner_count(&txn, group_id).await? <= 1 {
        return Err(AppError::conflict("the last owner cannot leave; make someone else owner first"));
    }
    membership::Entity::delete_by_id(m.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// Changes a member's role in a group (also how join requests are approved: PENDING → MEMBER).
pub async fn set_role(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    member_id: Uuid,
    role: Role,
) -> AppResult<membership::Model> {
    if role == Role::Pending {
        // A join request is the member's to make (`joinGroup`); a group invites with `inviteToGroup`.
        return Err(AppError::bad_input("role", "PENDING is not a role to give; invite the member instead"));
    }
    let txn = db::begin_write(&state.db).await?;
    let (g, actor, target) = actor_and_target(&txn, viewer, group_id, member_id).await?;
    let from = target.role;
    if !may_change(actor, from, role) {
        return Err(AppError::forbidden(format!(
            "your role in this group does not allow changing {} to {}",
            from.to_value(),
            role.to_value()
        )));
    }
    if from == Role::Owner && role != Role::Owner && owner_count(&txn, g.id).await? <= 1 {
        return Err(AppError::conflict("a group needs at least one owner"));
    }
    let mut row: membership::ActiveModel = target.into();
    row.role = Set(role);
    let updated = row.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Removes a member (or declines a join request). Moderators remove plain members and
/// requests; the role rules of [`set_role`] apply otherwise.
pub async fn remove_member(state: &AppState, viewer: &Viewer, group_id: Uuid, member_id: Uuid) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let (g, actor, target) = actor_and_target(&txn, viewer, group_id, member_id).await?;
    let from = target.role;
    let allowed = actor == Role::Owner
        || (actor >= Role::Moderator && from < actor && from <= Role::Member)
        || (actor == Role::Admin && from < Role::Admin);
    if !allowed {
        return Err(AppError::forbidden("your role in this group does not allow removing this member"));
    }
    if from == Role::Owner && owner_count(&txn, g.id).await? <= 1 {
        return Err(AppError::conflict("a group needs at least one owner"));
    }
    membership::Entity::delete_by_id(target.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// A member's memberships (join requests included), for the member themself and instance
/// admins (`None` for anyone else), in the order they were made.
pub async fn of_member(
    state: &AppState,
    viewer: &Viewer,
    m: &crate::db::member::Model,
    page: PageRequest,
) -> AppResult<Option<Page<membership::Model>>> {
    if !crate::domain::visibility::member_account_visible(m, viewer)? {
        return Ok(None);
    }
    let q = membership::Entity::find().filter(membership::Column::MemberId.eq(m.id));
    Ok(Some(keyset(&state.db, q, membership::Column::Id, page).await?))
}

/// A group's open join requests, for its moderators (`None` for anyone else).
pub async fn join_requests(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    page: PageRequest,
) -> AppResult<Option<Page<membership::Model>>> {
    if !super::moderates(super::role_in(&state.db, viewer, group_id).await?) {
        return Ok(None);
    }
    let q = membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group_id))
        .filter(membership::Column::Role.eq(Role::Pending));
    Ok(Some(keyset(&state.db, q, membership::Column::Id, page).await?))
}

/// Memberships of a group. Join requests (PENDING) are shown only to the group's moderators.
pub async fn memberships(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<membership::Model>> {
    let show_pending = match viewer.optional()? {
        Some(_) => matches!(acting_role(&state.db, viewer, group_id).await, Ok(Some(r)) if r >= Role::Moderator),
        None => false,
    };
    let mut filter = Condition::all().add(membership::Column::GroupId.eq(group_id));
    if !show_pending {
        filter = filter.add(membership::Column::Role.ne(Role::Pending));
    }
    keyset(&state.db, membership::Entity::find().filter(filter), membership::Column::Id, page).await
}
