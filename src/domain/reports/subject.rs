//! What a report is about: a member, or a post, thread, library entry, event or reflection,
//! found by id as the reporter may see it, or by ActivityPub id for a received `Flag`.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db::enums::ReportSubject;
use crate::db::{event, member, post, reflection, resource, thread};
use crate::domain::viewer::Viewer;
use crate::domain::{events, learning, threads, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A reported thing, with what deciding who handles it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    pub kind: ReportSubject,
    pub id: Uuid,
    pub ap_id: String,
    /// The group whose moderators handle it (none for a member: instance admins do).
    pub group_id: Option<Uuid>,
    /// Whose it is: the member reported, or the content's author.
    pub author_id: Option<Uuid>,
    /// Written here (else received from another server).
    pub local: bool,
}

fn of_member(m: &member::Model) -> Subject {
    Subject {
        kind: ReportSubject::Member,
        id: m.id,
        ap_id: m.ap_id.clone(),
        group_id: None,
        author_id: Some(m.id),
        local: m.local,
    }
}

fn of_post(p: &post::Model, group_id: Uuid) -> Subject {
    Subject {
        kind: ReportSubject::Post,
        id: p.id,
        ap_id: p.ap_id.clone(),
        group_id: Some(group_id),
        author_id: p.author_id,
        local: p.local,
    }
}

fn of_thread(t: &thread::Model) -> Subject {
    Subject {
        kind: ReportSubject::Thread,
        id: t.id,
        ap_id: t.ap_id.clone(),
        group_id: Some(t.group_id),
        author_id: t.author_id,
        local: t.local,
    }
}

fn of_resource(r: &resource::Model) -> Subject {
    Subject {
        kind: ReportSubject::Resource,
        id: r.id,
        ap_id: r.ap_id.clone(),
        group_id: Some(r.group_id),
        author_id: r.author_id,
        local: r.local,
    }
}

fn of_event(e: &event::Model) -> Subject {
    Subject {
        kind: ReportSubject::Event,
        id: e.id,
        ap_id: e.ap_id.clone(),
        group_id: Some(e.group_id),
        author_id: e.organizer_id,
        local: e.local,
    }
}

fn of_reflection(r: &reflection::Model) -> Subject {
    Subject {
        kind: ReportSubject::Reflection,
        id: r.id,
        ap_id: r.ap_id.clone(),
        group_id: Some(r.group_id),
        author_id: r.author_id,
        local: r.local,
    }
}

/// Keeps "not there, or not for you" as `None`.
fn found<T>(r: AppResult<T>) -> AppResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The thing with this id, as the viewer may see it (the same look-ups as each kind's own
/// query); NOT_FOUND when there is none the viewer may see.
pub async fn visible(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Subject> {
    if let Some(m) = member::Entity::find_by_id(id).one(&state.db).await? {
        if visibility::member_visible(&m, viewer) {
            return Ok(of_member(&m));
        }
    }
    if let Some(t) = found(threads::get(&state.db, viewer, id).await)? {
        return Ok(of_thread(&t));
    }
    if let Some(p) = found(threads::get_post(&state.db, viewer, id).await)? {
        let t = threads::get(&state.db, viewer, p.thread_id).await?;
        return Ok(of_post(&p, t.group_id));
    }
    if let Some(e) = events::find(state, viewer, id).await? {
        return Ok(of_event(&e));
    }
    if let Some(r) = crate::domain::resources::find(state, id).await? {
        return Ok(of_resource(&r));
    }
    if let Some(r) = found(learning::get_reflection(state, viewer, id).await)? {
        return Ok(of_reflection(&r));
    }
    Err(AppError::not_found("reported object"))
}

/// The thing with this ActivityPub id, as stored here (local, or received), for a `Flag`.
pub async fn by_ap_id<C: ConnectionTrait>(conn: &C, ap_id: &str) -> AppResult<Option<Subject>> {
    if let Some(m) = member::Entity::find().filter(member::Column::ApId.eq(ap_id)).one(conn).await? {
        return Ok(Some(of_member(&m)));
    }
    if let Some(p) = post::Entity::find().filter(post::Column::ApId.eq(ap_id)).one(conn).await? {
        let Some(t) = thread::Entity::find_by_id(p.thread_id).one(conn).await? else { return Ok(None) };
        return Ok(Some(of_post(&p, t.group_id)));
    }
    if let Some(t) = thread::Entity::find().filter(thread::Column::ApId.eq(ap_id)).one(conn).await? {
        return Ok(Some(of_thread(&t)));
    }
    if let Some(e) = event::Entity::find().filter(event::Column::ApId.eq(ap_id)).one(conn).await? {
        return Ok(Some(of_event(&e)));
    }
    if let Some(r) = resource::Entity::find().filter(resource::Column::ApId.eq(ap_id)).one(conn).await? {
        return Ok(Some(of_resource(&r)));
    }
    if let Some(r) = reflection::Entity::find().filter(reflection::Column::ApId.eq(ap_id)).one(conn).await? {
        return Ok(Some(of_reflection(&r)));
    }
    Ok(None)
}
