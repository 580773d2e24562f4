//! Reading groups and memberships (by handle, by id, in bulk, the directory), and the plain
//! membership rows the other files write through.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::db::enums::Role;
use crate::db::{group, membership};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::{handles, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

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

/// Whether a member belongs to a group (any role but PENDING).
pub async fn is_member<C: ConnectionTrait>(conn: &C, group_id: Uuid, member_id: Uuid) -> AppResult<bool> {
    Ok(membership_of(conn, group_id, member_id).await?.is_some_and(|m| m.role != Role::Pending))
}

pub(super) async fn insert_membership<C: ConnectionTrait>(
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

/// Owners of a group. On PostgreSQL their rows are locked until the transaction ends, so two
/// owners stepping down at once cannot both see the other and leave the group without one
/// (SQLite's `BEGIN IMMEDIATE` already serialises writers).
pub(super) async fn owner_count<C: ConnectionTrait>(conn: &C, group_id: Uuid) -> AppResult<u64> {
    let owners = membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group_id))
        .filter(membership::Column::Role.eq(Role::Owner));
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::QuerySelect as _;
        return Ok(owners.lock_exclusive().all(conn).await?.len() as u64);
    }
    Ok(owners.count(conn).await?)
}

/// The group directory: local groups and verified remote ones.
/// The group directory, oldest first; `search` finds groups by name, handle or summary (the
/// full-text index, not a scan).
pub async fn list(state: &AppState, search: Option<&str>, page: PageRequest) -> AppResult<Page<group::Model>> {
    let mut q = group::Entity::find().filter(visibility::group_directory());
    if let Some(words) = search.map(str::trim).filter(|s| !s.is_empty()) {
        use crate::domain::search;
        let ids = search::matching(&state.db, search::Kind::Group, words, search::MAX_MATCHES).await?;
        q = q.filter(group::Column::Id.is_in(ids));
    }
    keyset(&state.db, q, group::Column::Id, page).await
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
