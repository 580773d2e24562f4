//! Reading members: by handle, by id, in bulk, and the directory.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::db::enums::MemberStatus;
use crate::db::member;
use crate::domain::pagination::{keyset_keys, Page, PageRequest};
use crate::domain::{handles, search, visibility};
use crate::error::AppResult;
use crate::state::AppState;

/// A member by the handle the database stores (see [`handles::Handle::key`]): `alice` (local)
/// or `alice@other.example` (remote, when known).
pub async fn find_by_handle<C: ConnectionTrait>(conn: &C, key: &str) -> AppResult<Option<member::Model>> {
    Ok(member::Entity::find().filter(member::Column::Handle.eq(key)).one(conn).await?)
}

/// A member by a handle as someone wrote it (see [`handles::parse`]); `None` when it is
/// malformed or unknown.
pub async fn find_named(state: &AppState, input: &str) -> AppResult<Option<member::Model>> {
    match handles::parse(input, &state.config.domain) {
        Ok(h) => find_by_handle(&state.db, &h.key()).await,
        Err(_) => Ok(None),
    }
}

pub async fn find_by_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<member::Model>> {
    Ok(member::Entity::find_by_id(id).one(conn).await?)
}

/// The ids of a page of members in the directory (see [`visibility::member_directory`]),
/// optionally filtered by a full-text search (see `domain::search`), in sign-up order: the
/// caller reads the rows by id (the API, through its loaders, from the shared rows).
pub async fn list_ids(state: &AppState, search: Option<&str>, page: PageRequest) -> AppResult<Page<Uuid>> {
    keyset_keys(&state.db, directory(state, search).await?, member::Column::Id, page).await
}

async fn directory(state: &AppState, search: Option<&str>) -> AppResult<sea_orm::Select<member::Entity>> {
    let mut filter = visibility::member_directory();
    if let Some(q) = search.map(str::trim).filter(|q| !q.is_empty()) {
        let ids = search::matching(&state.db, search::Kind::Member, q, search::MAX_MATCHES).await?;
        filter = filter.add(member::Column::Id.is_in(ids));
    }
    Ok(member::Entity::find().filter(filter))
}

/// LIKE patterns treat `%` and `_` as wildcards; a search for them means the characters.
/// Without an ESCAPE clause the portable choice is to drop them.
pub(crate) fn escape_like(s: &str) -> String {
    s.chars().filter(|c| *c != '%' && *c != '_' && *c != '\\').collect()
}

pub async fn count_local<C: ConnectionTrait>(conn: &C) -> AppResult<u64> {
    Ok(member::Entity::find()
        .filter(member::Column::Local.eq(true))
        .filter(member::Column::Status.eq(MemberStatus::Active))
        .count(conn)
        .await?)
}

/// Used by the GraphQL layer to load a member by id without N+1 (one `IN` query).
pub async fn load_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<member::Model>> {
    Ok(member::Entity::find().filter(member::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

/// [`load_many`] by id, shared (`Arc`): the API's loader and the signed-in member's own row
/// read through it, and the shared rows keep them.
pub async fn by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, std::sync::Arc<member::Model>>> {
    Ok(load_many(conn, ids).await?.into_iter().map(|m| (m.id, std::sync::Arc::new(m))).collect())
}
