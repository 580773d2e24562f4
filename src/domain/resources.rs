//! A group's shared library: links, documents, toolkits, templates, recordings and slides,
//! organised in folders and linked to events and threads. Members add entries; the author and
//! the group's moderators change and remove them.
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::db::enums::{ResourceKind, Role};
use crate::db::{self, resource, resource_tag};
use crate::domain::pagination::{Page, PageRequest};
use crate::domain::publishing::{self, Change};
use crate::domain::viewer::Viewer;
use crate::domain::{events, groups, markdown, members, search, tags, threads, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn resource_url(state: &AppState, id: Uuid) -> String {
    format!("{}/resources/{id}", state.base_url())
}

/// What a resource says; `None` leaves a field as it is (on update). `Some(None)` clears.
#[derive(Default)]
pub struct ResourceFields {
    pub title: Option<String>,
    pub kind: Option<ResourceKind>,
    pub link: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub folder: Option<String>,
    pub event_id: Option<Option<Uuid>>,
    pub thread_id: Option<Option<Uuid>>,
}

/// A resource by id (the library is as public as its group).
pub async fn get<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<resource::Model> {
    resource::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("resource"))
}

pub async fn find(state: &AppState, id: Uuid) -> AppResult<Option<resource::Model>> {
    Ok(resource::Entity::find_by_id(id).one(&state.db).await?)
}

/// A folder path: segments trimmed, joined by `/`; "" is the top of the library.
pub fn folder(v: &str) -> AppResult<String> {
    let segments: Vec<&str> = v.split('/').map(str::trim).filter(|s| !s.is_empty()).collect();
    if segments.len() > 5 {
        return Err(AppError::bad_input("folder", "folders nest at most 5 deep"));
    }
    for s in &segments {
        validate::required_text("folder", s, 60)?;
    }
    Ok(segments.join("/"))
}

/// Checks and applies `f` onto `row`.
async fn apply(state: &AppState, viewer: &Viewer, row: &mut resource::ActiveModel, f: ResourceFields) -> AppResult<()> {
    if let Some(v) = f.title {
        row.title = Set(validate::required_text("title", &v, 200)?);
    }
    if let Some(k) = f.kind {
        row.kind = Set(k);
    }
    if let Some(v) = f.link {
        row.link = Set(match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(u) => Some(validate::http_url("url", u)?),
            None => None,
        });
    }
    if let Some(v) = f.description {
        let source = validate::text("description", v.as_deref(), 20_000)?;
        row.description_html = Set(source.as_deref().map(markdown::render));
        row.description = Set(source);
    }
    if let Some(v) = f.tags {
        let tags = validate::labels("tags", &v, 20, 60)?;
        row.tags = Set(serde_json::json!(tags));
    }
    if let Some(v) = f.folder {
        row.folder = Set(folder(&v)?);
    }
    if let Some(v) = f.event_id {
        if let Some(e) = v {
            events::get(state, viewer, e).await.map_err(|_| AppError::bad_input("eventId", "no such event"))?;
        }
        row.event_id = Set(v);
    }
    if let Some(v) = f.thread_id {
        if let Some(t) = v {
            threads::get(&state.db, viewer, t).await.map_err(|_| AppError::bad_input("threadId", "no such thread"))?;
        }
        row.thread_id = Set(v);
    }
    Ok(())
}

/// Adds an entry to a local group's library; its members (and instance admins) may.
pub async fn create(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    f: ResourceFields,
) -> AppResult<resource::Model> {
    let me = viewer.active_member()?.clone();
    let g = groups::get(&state.db, group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "resources are added to local groups"));
    }
    let role = groups::role_in(&state.db, viewer, g.id).await?;
    if role.is_none_or(|r| r < Role::Member) {
        return Err(AppError::forbidden("only the group's members may add to its library"));
    }
    if f.title.is_none() || f.kind.is_none() {
        return Err(AppError::bad_input("title", "title and kind are required"));
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let mut row = resource::ActiveModel {
        id: Set(id),
        ap_id: Set(resource_url(state, id)),
        local: Set(true),
        group_id: Set(g.id),
        author_id: Set(Some(me.id)),
        link: Set(None),
        description: Set(None),
        description_html: Set(None),
        tags: Set(serde_json::json!([])),
        folder: Set(String::new()),
        event_id: Set(None),
        thread_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply(state, viewer, &mut row, f).await?;
    let federates = publishing::prepare(state, None, &g, None).await?;
    let txn = db::begin_write(&state.db).await?;
    let saved = row.insert(&txn).await?;
    tags::write_resource(&txn, saved.id, &saved.tags).await?;
    search::index_resource(&txn, &saved).await?;
    if federates {
        publishing::publish_resource(&txn, state, &saved, Change::Create).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, crate::bus::Change::Shared { group: saved.group_id }).await;
    Ok(saved)
}

/// Whether the viewer may change or remove the entry: its author, the group's moderators,
/// instance admins.
async fn may_edit(state: &AppState, viewer: &Viewer, r: &resource::Model) -> AppResult<bool> {
    let me = viewer.active_member()?;
    Ok(may_edit_with(Some(me), r, groups::role_in(&state.db, viewer, r.group_id).await?))
}

/// [`may_edit`] from the viewer and their role in the entry's group (as `groups::role_in`
/// answers it).
pub fn may_edit_with(me: Option<&crate::db::member::Model>, r: &resource::Model, role: Option<Role>) -> bool {
    me.is_some_and(|m| r.author_id == Some(m.id)) || groups::moderates(role)
}

pub async fn update(state: &AppState, viewer: &Viewer, id: Uuid, f: ResourceFields) -> AppResult<resource::Model> {
    let current = get(&state.db, id).await?;
    if !may_edit(state, viewer, &current).await? {
        return Err(AppError::forbidden("only its author or the group's moderators may change a resource"));
    }
    if !current.local {
        return Err(AppError::bad_input("id", "remote resources are changed on their own server"));
    }
    let g = groups::get(&state.db, current.group_id).await?;
    let federates = publishing::prepare(state, None, &g, None).await?;
    let mut row: resource::ActiveModel = current.into();
    apply(state, viewer, &mut row, f).await?;
    row.updated_at = Set(Utc::now());
    let txn = db::begin_write(&state.db).await?;
    let saved = row.update(&txn).await?;
    tags::write_resource(&txn, saved.id, &saved.tags).await?;
    search::index_resource(&txn, &saved).await?;
    if federates {
        publishing::publish_resource(&txn, state, &saved, Change::Update).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

pub async fn delete(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<bool> {
    let current = get(&state.db, id).await?;
    if !may_edit(state, viewer, &current).await? {
        return Err(AppError::forbidden("only its author or the group's moderators may remove a resource"));
    }
    let g = groups::get(&state.db, current.group_id).await?;
    let federates = current.local && publishing::prepare(state, None, &g, None).await?;
    let txn = db::begin_write(&state.db).await?;
    if federates {
        publishing::publish_resource(&txn, state, &current, Change::Delete).await?;
    }
    remove(&txn, current.id).await?;
    txn.commit().await?;
    Ok(true)
}

/// Removes an entry in the caller's transaction (also for a remote group's Delete).
pub async fn remove<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<()> {
    resource::Entity::delete_by_id(id).exec(conn).await?;
    search::remove(conn, search::Kind::Resource, id).await
}

/// `resources` filters.
#[derive(Clone, Debug, Default)]
pub struct ResourceFilter {
    pub group_handle: Option<String>,
    pub kind: Option<ResourceKind>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub event_id: Option<Uuid>,
    pub thread_id: Option<Uuid>,
    /// A folder and everything in it.
    pub folder: Option<String>,
    pub include_remote: bool,
}

/// A page of library entries, newest first.
pub async fn list(state: &AppState, filter: ResourceFilter, page: PageRequest) -> AppResult<Page<resource::Model>> {
    let mut cond = Condition::all();
    if let Some(h) = filter.group_handle.as_deref() {
        let Some(g) = groups::find_named(state, h).await? else {
            return Ok(Page { items: vec![], has_next: false, total: 0 });
        };
        cond = cond.add(resource::Column::GroupId.eq(g.id));
    } else if !filter.include_remote {
        cond = cond.add(resource::Column::Local.eq(true));
    }
    if let Some(k) = filter.kind {
        cond = cond.add(resource::Column::Kind.eq(k));
    }
    if let Some(tag) = filter.tag.as_deref().map(tags::key).filter(|t| !t.is_empty()) {
        cond = cond.add(
            resource::Column::Id.in_subquery(
                Query::select()
                    .column(resource_tag::Column::ResourceId)
                    .from(resource_tag::Entity)
                    .and_where(Expr::col(resource_tag::Column::Tag).eq(tag))
                    .to_owned(),
            ),
        );
    }
    if let Some(e) = filter.event_id {
        cond = cond.add(resource::Column::EventId.eq(e));
    }
    if let Some(t) = filter.thread_id {
        cond = cond.add(resource::Column::ThreadId.eq(t));
    }
    if let Some(f) = filter.folder.as_deref() {
        let f = folder(f)?;
        if !f.is_empty() {
            let inside = format!("{}/%", members::escape_like(&f));
            cond = cond
                .add(Condition::any().add(resource::Column::Folder.eq(f)).add(resource::Column::Folder.like(inside)));
        }
    }
    if let Some(q) = filter.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let ids = search::matching(&state.db, search::Kind::Resource, q, search::MAX_MATCHES).await?;
        cond = cond.add(resource::Column::Id.is_in(ids));
    }
    let total =
        if page.count_total { resource::Entity::find().filter(cond.clone()).count(&state.db).await? } else { 0 };
    let mut q = resource::Entity::find().filter(cond);
    if let Some(after) = page.after {
        q = q.filter(resource::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(resource::Column::Id).limit(page.first + 1).all(&state.db).await?;
    Ok(Page::from_overfetch(rows, page, total))
}

/// The folders of a group's library, sorted.
pub async fn folders<C: ConnectionTrait>(conn: &C, group_id: Uuid) -> AppResult<Vec<String>> {
    let rows: Vec<String> = resource::Entity::find()
        .select_only()
        .column(resource::Column::Folder)
        .filter(resource::Column::GroupId.eq(group_id))
        .filter(resource::Column::Folder.ne(""))
        .distinct()
        .order_by_asc(resource::Column::Folder)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows)
}

pub fn tags(r: &resource::Model) -> Vec<String> {
    tags::shown(&r.tags)
}

/// Resources by id, one statement.
pub async fn load_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<resource::Model>> {
    Ok(resource::Entity::find().filter(resource::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}
