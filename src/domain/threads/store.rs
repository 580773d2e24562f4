//! Reading threads and posts: by id (through `domain::visibility`), for writing, in bulk.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::db::{post, thread};
use crate::domain::viewer::Viewer;
use crate::domain::visibility;
use crate::error::{AppError, AppResult};

/// A thread the viewer may see, or NOT_FOUND.
pub async fn get<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<thread::Model> {
    let t = thread::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("thread"))?;
    if !visibility::thread_visible(conn, viewer, &t).await? {
        return Err(AppError::not_found("thread"));
    }
    Ok(t)
}

/// A post the viewer may see ([`visibility::post_visible`]), or NOT_FOUND (also when the
/// question cannot be answered).
pub async fn get_post<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<post::Model> {
    let p = post::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("post"))?;
    if !matches!(visibility::post_visible(conn, viewer, &p).await, Ok(true)) {
        return Err(AppError::not_found("post"));
    }
    Ok(p)
}

/// Reads a thread for writing: row-locked on PostgreSQL (SQLite's write transaction already
/// serialises writers).
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<thread::Model> {
    let mut q = thread::Entity::find_by_id(id);
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(conn).await?.ok_or_else(|| AppError::not_found("thread"))
}

/// Threads by id, one statement (no visibility check: for ids the caller may already see).
pub async fn load_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<thread::Model>> {
    Ok(thread::Entity::find().filter(thread::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

/// Posts by id, one statement.
pub async fn load_posts<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<post::Model>> {
    Ok(post::Entity::find().filter(post::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

/// A thread's opening post: its first in tree order.
pub async fn opening_post<C: ConnectionTrait>(conn: &C, thread_id: Uuid) -> AppResult<Option<post::Model>> {
    Ok(post::Entity::find()
        .filter(post::Column::ThreadId.eq(thread_id))
        .order_by_asc(post::Column::Path)
        .one(conn)
        .await?)
}
