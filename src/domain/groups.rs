//! Groups and memberships: creation, joining (open or by approval), leaving, roles.
use chrono::Utc;
use sea_orm::{
    ActiveEnum as _, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};
use uuid::Uuid;

use crate::config::GroupCreation;
use crate::db::enums::JoinMode;
use crate::db::{self, group, membership};
use crate::domain::actors::{ActorKind, ApActor};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::domain::{handles, markdown, members, profile_updates, validate, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The group every fresh instance has; Mastodon users follow it as `@community@DOMAIN`.
pub const DEFAULT_GROUP: &str = "community";

pub use crate::db::enums::Role;

pub struct NewGroup {
    pub slug: String,
    pub name: String,
    pub summary: Option<String>,
    pub requires_approval: bool,
    pub manually_approves_followers: bool,
}

/// Creates the default group at start-up when it is missing (no owner until `create-admin`).
pub async fn ensure_default_group(state: &AppState) -> AppResult<()> {
    if find_local(&state.db, DEFAULT_GROUP).await?.is_some() {
        return Ok(());
    }
    let txn = db::begin_write(&state.db).await?;
    if find_local(&txn, DEFAULT_GROUP).await?.is_none() {
        insert_local(
            &txn,
            state,
            DEFAULT_GROUP,
            "Community",
            Some("Everyone on this instance: introductions, announcements and open conversation.".into()),
            JoinMode::Open,
            false,
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_local<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    slug: &str,
    name: &str,
    summary: Option<String>,
    join_mode: JoinMode,
    manually_approves_followers: bool,
    created_by: Option<Uuid>,
) -> AppResult<group::Model> {
    let now = Utc::now();
    let urls = state.local_actor_urls(state.group_url(slug));
    let created = group::ActiveModel {
        id: Set(Uuid::now_v7()),
        handle: Set(slug.to_string()),
        slug: Set(slug.to_string()),
        domain: Set(None),
        name: Set(name.to_string()),
        summary_html: Set(summary.as_deref().map(markdown::render)),
        summary: Set(summary),
        join_mode: Set(join_mode),
        local: Set(true),
        url: Set(Some(urls.ap_id.clone())),
        inbox_url: Set(Some(urls.inbox)),
        shared_inbox_url: Set(Some(urls.shared_inbox)),
        outbox_url: Set(Some(urls.outbox)),
        followers_url: Set(Some(urls.followers)),
        ap_id: Set(urls.ap_id),
        public_key_pem: Set(None),
        private_key_pem: Set(None),
        avatar_url: Set(None),
        manually_approves_followers: Set(manually_approves_followers),
        created_by: Set(created_by),
        created_at: Set(now),
        updated_at: Set(now),
        last_refreshed_at: Set(None),
        verified_at: Set(None),
        public_followers: Set(false),
    }
    .insert(conn)
    .await?;
    crate::domain::search::index_group(conn, &created).await?;
    Ok(created)
}

pub async fn create(
    state: &AppState,
    viewer: &Viewer,
    input: NewGroup,
) -> AppResult<(group::Model, membership::Model)> {
    let me = viewer.active_member()?;
    if state.config.group_creation == GroupCreation::Admins && !me.is_admin {
        return Err(AppError::forbidden("only instance admins may create groups here"));
    }
    let slug = input.slug.trim().to_string();
    validate::local_name("slug", &slug)?;
    let name = validate::required_text("name", &input.name, 100)?;
    let summary = validate::text("summary", input.summary.as_deref(), 2000)?;
    let join_mode = if input.requires_approval { JoinMode::Approval } else { JoinMode::Open };

    let txn = db::begin_write(&state.db).await?;
    members::ensure_name_free(&txn, &slug).await?;
    let g = insert_local(&txn, state, &slug, &name, summary, join_mode, input.manually_approves_followers, Some(me.id))
        .await?;
    let m = insert_membership(&txn, g.id, me.id, Role::Owner).await?;
    txn.commit().await?;
    Ok((g, m))
}

async fn insert_membership<C: ConnectionTrait>(
    conn: &C,
    group_id: Uuid,
    member_id: Uuid,
    role: Role,
) -> AppResult<membership::Model> {
    Ok(membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        group_id: Set(group_id),
        member_id: Set(member_id),
        role: Set(role),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?)
}

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

pub async fn find_local<C: ConnectionTrait>(conn: &C, slug: &str) -> AppResult<Option<group::Model>> {
    Ok(group::Entity::find()
        .filter(group::Column::Handle.eq(slug))
        .filter(group::Column::Local.eq(true))
        .one(conn)
        .await?)
}

/// A group by the handle the database stores (see [`handles::Handle::key`]).
pub async fn find_by_handle<C: ConnectionTrait>(conn: &C, key: &str) -> AppResult<Option<group::Model>> {
    Ok(group::Entity::find().filter(group::Column::Handle.eq(key)).one(conn).await?)
}

/// A group by a handle as someone wrote it (see [`handles::parse`]); `None` when it is
/// malformed or unknown.
pub async fn find_named(state: &AppState, input: &str) -> AppResult<Option<group::Model>> {
    match handles::parse(input, &state.config.domain) {
        Ok(h) => find_by_handle(&state.db, &h.key()).await,
        Err(_) => Ok(None),
    }
}

pub async fn find_by_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<group::Model>> {
    Ok(group::Entity::find_by_id(id).one(conn).await?)
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<group::Model> {
    find_by_id(conn, id).await?.ok_or_else(|| AppError::not_found("group"))
}

pub async fn membership_of<C: ConnectionTrait>(
    conn: &C,
    group_id: Uuid,
    member_id: Uuid,
) -> AppResult<Option<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group_id))
        .filter(membership::Column::MemberId.eq(member_id))
        .one(conn)
        .await?)
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

/// Owners of a group. On PostgreSQL their rows are locked until the transaction ends, so two
/// owners stepping down at once cannot both see the other and leave the group without one
/// (SQLite's `BEGIN IMMEDIATE` already serialises writers).
async fn owner_count<C: ConnectionTrait>(conn: &C, group_id: Uuid) -> AppResult<u64> {
    let owners = membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group_id))
        .filter(membership::Column::Role.eq(Role::Owner));
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::QuerySelect as _;
        return Ok(owners.lock_exclusive().all(conn).await?.len() as u64);
    }
    Ok(owners.count(conn).await?)
}

/// Whether a role (as [`acting_role`] answers it) administers the group: changes it, reviews
/// its followers, answers its invitations. Owners and admins, and instance admins.
pub fn administers(role: Option<Role>) -> bool {
    role.is_some_and(|r| r >= Role::Admin)
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
fn may_change(actor: Role, from: Role, to: Role) -> bool {
    match actor {
        Role::Owner => true,
        Role::Admin => from < Role::Admin && to < Role::Admin,
        Role::Moderator => from == Role::Pending && to == Role::Member,
        _ => false,
    }
}

/// The group, the viewer's acting role in it, and the membership being acted on.
async fn actor_and_target<C: ConnectionTrait>(
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

/// Changes a member's role in a group (also how join requests are approved: PENDING → MEMBER).
pub async fn set_role(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    member_id: Uuid,
    role: Role,
) -> AppResult<membership::Model> {
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

/// The group directory: local groups and verified remote ones.
pub async fn list(state: &AppState, page: PageRequest) -> AppResult<Page<group::Model>> {
    keyset(&state.db, group::Entity::find().filter(visibility::group_directory()), group::Column::Id, page).await
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

/// Local groups for the front page, oldest first.
pub async fn list_local_public<C: ConnectionTrait>(conn: &C, limit: u64) -> AppResult<Vec<group::Model>> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(group::Entity::find()
        .filter(group::Column::Local.eq(true))
        .order_by_asc(group::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

pub async fn load_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<group::Model>> {
    Ok(group::Entity::find().filter(group::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

pub async fn count_local<C: ConnectionTrait>(conn: &C) -> AppResult<u64> {
    Ok(group::Entity::find().filter(group::Column::Local.eq(true)).count(conn).await?)
}

/// Changes to a group's profile and policies; `None` leaves a field as it is.
#[derive(Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub requires_approval: Option<bool>,
    pub manually_approves_followers: Option<bool>,
    pub public_followers: Option<bool>,
}

/// Updates a local group (its owners and admins); followers elsewhere receive an `Update`.
pub async fn update(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    changes: GroupChanges,
) -> AppResult<group::Model> {
    let g = get(&state.db, group_id).await?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "this group lives on another server"));
    }
    if !administers(acting_role(&state.db, viewer, g.id).await?) {
        return Err(AppError::forbidden("only the group's owners and admins may change it"));
    }
    let mut row: group::ActiveModel = g.clone().into();
    if let Some(name) = changes.name {
        row.name = Set(validate::required_text("name", &name, 100)?);
    }
    if let Some(summary) = changes.summary {
        let summary = validate::text("summary", Some(&summary), 2000)?;
        row.summary_html = Set(summary.as_deref().map(markdown::render));
        row.summary = Set(summary);
    }
    if let Some(approval) = changes.requires_approval {
        row.join_mode = Set(if approval { JoinMode::Approval } else { JoinMode::Open });
    }
    if let Some(manual) = changes.manually_approves_followers {
        row.manually_approves_followers = Set(manual);
    }
    if let Some(public) = changes.public_followers {
        row.public_followers = Set(public);
    }
    row.updated_at = Set(Utc::now());
    let federates = profile_updates::prepare(state, ApActor::from_group(g)?).await?;
    let txn = db::begin_write(&state.db).await?;
    let updated = row.update(&txn).await?;
    crate::domain::search::index_group(&txn, &updated).await?;
    if federates {
        profile_updates::publish(&txn, state, ActorKind::Group, updated.id).await?;
    }
    txn.commit().await?;
    Ok(updated)
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

pub async fn delete_memberships_of<C: ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<()> {
    membership::Entity::delete_many().filter(membership::Column::MemberId.eq(member_id)).exec(conn).await?;
    Ok(())
}

/// The memberships of many members, in one query.
pub async fn memberships_of_members<C: ConnectionTrait>(
    conn: &C,
    member_ids: &[Uuid],
) -> AppResult<Vec<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::MemberId.is_in(member_ids.iter().copied()))
        .all(conn)
        .await?)
}
