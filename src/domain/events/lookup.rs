//! Finding events: one the viewer may see, many by id, one locked for a write, and an
//! event's organiser.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::rules::may_view;
use crate::db::event;
use crate::domain::members;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// An event the viewer may see, or NOT_FOUND (hidden events are not revealed).
pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<event::Model> {
    let e = event::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("event"))?;
    if !may_view(&state.db, viewer, &e).await? {
        return Err(AppError::not_found("event"));
    }
    Ok(e)
}

/// Like [`get`] but `None` when missing or hidden.
pub async fn find(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<event::Model>> {
    match get(state, viewer, id).await {
        Ok(e) => Ok(Some(e)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads an event inside a write transaction; on PostgreSQL the row stays locked until the
/// transaction ends, so seat changes to one event are serialised.
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<event::Model> {
    let mut q = event::Entity::find_by_id(id);
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(conn).await?.ok_or_else(|| AppError::not_found("event"))
}

/// Events by id, in one query (no visibility check: for ids the caller may already see).
pub async fn load_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<event::Model>> {
    Ok(event::Entity::find().filter(event::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

/// The event's organiser, if it has one.
pub async fn organizer<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Option<crate::db::member::Model>> {
    match e.organizer_id {
        Some(id) => members::find_by_id(conn, id).await,
        None => Ok(None),
    }
}
