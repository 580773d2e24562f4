//! Who may do what in a group: the role one acts with, who administers it, who may change
//! whose role, and the rule that a group keeps an owner.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::store::{get, membership_of, owner_count};
use crate::db::enums::Role;
use crate::db::{group, membership};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};

/// Whether a role (as [`acting_role`] answers it) administers the group: changes it, reviews
/// its followers, answers its invitations. Owners and admins, and instance admins.
pub fn administers(role: Option<Role>) -> bool {
    role.is_some_and(|r| r >= Role::Admin)
}

/// The viewer's role in a group (instance admins act as owners; anonymous: none).
pub async fn role_in<C: ConnectionTrait>(conn: &C, viewer: &Viewer, group_id: Uuid) -> AppResult<Option<Role>> {
    let Some(me) = viewer.optional()? else { return Ok(None) };
    if me.is_admin {
        return Ok(Some(Role::Owner));
    }
    Ok(membership_of(conn, group_id, me.id).await?.map(|m| m.role))
}

/// Whether a role moderates the group's content (threads, posts, resources).
pub fn moderates(role: Option<Role>) -> bool {
    role.is_some_and(|r| r >= Role::Moderator)
}

/// The role the viewer acts with in a group: instance admins act as owners.
pub async fn acting_role<C: ConnectionTrait>(conn: &C, viewer: &Viewer, group_id: Uuid) -> AppResult<Option<Role>> {
    let me = viewer.active_member()?;
    if me.is_admin {
        return Ok(Some(Role::Owner));
    }
    Ok(membership_of(conn, group_id, me.id).await?.map(|m| m.role))
}

/// May `actor` move someone from `from` to `to`?
/// Owners may do anything; admins manage moderators, members and join requests; moderators
/// approve join requests.
pub(super) fn may_change(actor: Role, from: Role, to: Role) -> bool {
    match actor {
        Role::Owner => true,
        Role::Admin => from < Role::Admin && to < Role::Admin,
        Role::Moderator => from == Role::Pending && to == Role::Member,
        _ => false,
    }
}

/// The group, the viewer's acting role in it, and the membership being acted on.
pub(super) async fn actor_and_target<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    group_id: Uuid,
    member_id: Uuid,
) -> AppResult<(group::Model, Role, membership::Model)> {
    let g = get(conn, group_id).await?;
    let actor = acting_role(conn, viewer, g.id)
        .await?
        .ok_or_else(|| AppError::forbidden("you are not a member of this group"))?;
    let target = membership_of(conn, g.id, member_id).await?.ok_or_else(|| AppError::not_found("membership"))?;
    Ok((g, actor, target))
}

/// Refuses when the member is the only owner of some group (they must hand it on first).
pub async fn ensure_not_last_owner_anywhere<C: ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<()> {
    let owned = membership::Entity::find()
        .filter(membership::Column::MemberId.eq(member_id))
        .filter(membership::Column::Role.eq(Role::Owner))
        .all(conn)
        .await?;
    for m in owned {
        if owner_count(conn, m.group_id).await? <= 1 {
            let g = get(conn, m.group_id).await?;
            return Err(AppError::conflict(format!(
                "you are the only owner of {:?}; make someone else owner first",
                g.handle
            )));
        }
    }
    Ok(())
}
