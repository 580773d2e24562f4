//! Threads, posts and library entries that arrive from other servers. The federation
//! adapters parse and verify the documents (signatures, origins, authors) and fetch the
//! authors; here they are stored like local ones, through the same functions
//! (`threads::add_post`, the search index, the change bus), and sanitised on the way in.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::bus::Change;
use crate::db::enums::{ResourceKind, ThreadKind};
use crate::db::{self, group, member, post, resource, thread};
use crate::domain::threads::{self, NewPost};
use crate::domain::{markdown, publishing, resources, search};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Longest remote text kept (characters of HTML).
const MAX_HTML: usize = 100_000;

/// What a remote object says, as the adapter read it.
pub struct Incoming {
    pub ap_id: String,
    pub html: String,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub in_reply_to: Option<String>,
    /// `commentsEnabled: false` locks a thread (honoured from its group).
    pub comments_enabled: Option<bool>,
    pub link: Option<String>,
    pub tags: Vec<String>,
    pub kind: Option<String>,
    pub folder: Option<String>,
}

fn clean(html: &str) -> AppResult<String> {
    if html.chars().count() > MAX_HTML {
        return Err(AppError::bad_input("content", "the text is too long"));
    }
    Ok(markdown::sanitize(html))
}

/// Not later than now (a remote clock ahead of ours does not reorder the tree).
fn when(t: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = Utc::now();
    t.filter(|t| *t < now).unwrap_or(now)
}

fn title(v: Option<&str>) -> String {
    let t: String = v.unwrap_or("").trim().chars().filter(|c| !c.is_control()).take(200).collect();
    if t.is_empty() {
        "(untitled)".into()
    } else {
        t
    }
}

async fn post_by_ap_id<C: ConnectionTrait>(conn: &C, id: &str) -> AppResult<Option<post::Model>> {
    Ok(post::Entity::find().filter(post::Column::ApId.eq(id)).one(conn).await?)
}

async fn thread_by_ap_id<C: ConnectionTrait>(conn: &C, id: &str) -> AppResult<Option<thread::Model>> {
    Ok(thread::Entity::find().filter(thread::Column::ApId.eq(id)).one(conn).await?)
}

/// A reply from another server (a Mastodon user answering a thread, a partner's member): it
/// joins the thread or post it answers, attributed to its (fetched) author. Answers `None`
/// when it answers nothing we know. A locked or hidden thread refuses it (CONFLICT). A repeat of a known
/// post by its author updates it.
pub async fn reply(state: &AppState, author: &member::Model, obj: Incoming) -> AppResult<Option<post::Model>> {
    if let Some(existing) = post_by_ap_id(&state.db, &obj.ap_id).await? {
        // Ours, echoed back by a group that re-shared it, or a repeat.
        if !existing.local && existing.author_id == Some(author.id) {
            return edit(state, &author.ap_id, obj).await.map(|_| None);
        }
        return Ok(None);
    }
    let Some(target) = obj.in_reply_to.as_deref() else { return Ok(None) };
    let (t, parent) = match thread_by_ap_id(&state.db, target).await? {
        Some(t) => (t, None),
        None => match post_by_ap_id(&state.db, target).await? {
            Some(p) => match thread::Entity::find_by_id(p.thread_id).one(&state.db).await? {
                Some(t) => (t, Some(p)),
                None => return Ok(None),
            },
            None => return Ok(None),
        },
    };
    threads::check_open(&t)?;
    let html = clean(&obj.html)?;
    let g = group::Entity::find_by_id(t.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    let federates = g.local && publishing::prepare(state, None, &g, None).await?;
    let txn = db::begin_write(&state.db).await?;
    let t = threads::lock(&txn, t.id).await?;
    // A repeat that raced this one: the first wins.
    if post_by_ap_id(&txn, &obj.ap_id).await?.is_some() {
        return Ok(None);
    }
    let p = threads::add_post(
        &txn,
        &t,
        NewPost {
            id: Uuid::now_v7(),
            ap_id: obj.ap_id,
            local: false,
            author_id: Some(author.id),
            parent,
            body: None,
            body_html: html,
            created_at: when(obj.published),
        },
    )
    .await?;
    search::index_post(&txn, &p).await?;
    if federates {
        publishing::announce_received(&txn, state, &p).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Post { thread: t.id, post: p.id }).await;
    Ok(Some(p))
}

/// A thread started on another server in a group we follow there (or a repeat of one, which
/// updates it when it comes from its author).
pub async fn thread(
    state: &AppState,
    author: &member::Model,
    g: &group::Model,
    obj: Incoming,
) -> AppResult<thread::Model> {
    if let Some(existing) = thread_by_ap_id(&state.db, &obj.ap_id).await? {
        if !existing.local && existing.author_id == Some(author.id) {
            edit(state, &author.ap_id, obj).await?;
        }
        return Ok(existing);
    }
    let html = clean(&obj.html)?;
    let now = Utc::now();
    let created = when(obj.published);
    let txn = db::begin_write(&state.db).await?;
    let t = thread::ActiveModel {
        id: Set(Uuid::now_v7()),
        ap_id: Set(obj.ap_id.clone()),
        local: Set(false),
        group_id: Set(g.id),
        author_id: Set(Some(author.id)),
        title: Set(title(obj.title.as_deref())),
        kind: Set(ThreadKind::Discussion),
        event_id: Set(None),
        resource_id: Set(None),
        locked: Set(obj.comments_enabled == Some(false)),
        pinned: Set(false),
        hidden: Set(false),
        post_count: Set(0),
        last_post_at: Set(created),
        created_at: Set(created),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    // Its text is its opening post, under the thread's own id.
    let opening = threads::add_post(
        &txn,
        &thread::Model { locked: false, ..t.clone() },
        NewPost {
            id: Uuid::now_v7(),
            ap_id: obj.ap_id,
            local: false,
            author_id: Some(author.id),
            parent: None,
            body: None,
            body_html: html,
            created_at: created,
        },
    )
    .await?;
    search::index_thread(&txn, &t, &opening).await?;
    let t = thread::Entity::find_by_id(t.id).one(&txn).await?.ok_or_else(|| AppError::not_found("thread"))?;
    txn.commit().await?;
    Ok(t)
}

/// An `Update` of a post or thread: honoured only from its author (or, for a thread, its
/// group).
pub async fn edit(state: &AppState, actor: &str, obj: Incoming) -> AppResult<()> {
    let html = clean(&obj.html)?;
    if let Some(t) = thread_by_ap_id(&state.db, &obj.ap_id).await? {
        let (by_author, by_group) = authority_over(state, actor, t.author_id, t.group_id).await?;
        if !(by_author || by_group) {
            return Err(AppError::forbidden("only its author may change a thread"));
        }
        let txn = db::begin_write(&state.db).await?;
        let mut row: thread::ActiveModel = t.clone().into();
        row.title = Set(title(obj.title.as_deref().or(Some(&t.title))));
        // Both speak for the thread's server, where it is locked.
        if let Some(enabled) = obj.comments_enabled {
            row.locked = Set(!enabled);
        }
        row.updated_at = Set(Utc::now());
        let t = row.update(&txn).await?;
        if let Some(opening) = post_by_ap_id(&txn, &t.ap_id).await? {
            let mut p: post::ActiveModel = opening.into();
            p.body_html = Set(html);
            p.edited_at = Set(Some(Utc::now()));
            let p = p.update(&txn).await?;
            search::index_thread(&txn, &t, &p).await?;
        }
        txn.commit().await?;
        return Ok(());
    }
    let Some(p) = post_by_ap_id(&state.db, &obj.ap_id).await? else { return Ok(()) };
    let (by_author, _) = authority_over(state, actor, p.author_id, Uuid::nil()).await?;
    if !by_author {
        return Err(AppError::forbidden("only its author may change a post"));
    }
    if p.deleted {
        return Ok(());
    }
    let txn = db::begin_write(&state.db).await?;
    let mut row: post::ActiveModel = p.into();
    row.body_html = Set(html);
    row.edited_at = Set(Some(Utc::now()));
    row.updated_at = Set(Utc::now());
    let p = row.update(&txn).await?;
    threads::reindex(&txn, &p).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether `actor` (an ActivityPub id) is the author, or the group, of something.
async fn authority_over(
    state: &AppState,
    actor: &str,
    author: Option<Uuid>,
    group_id: Uuid,
) -> AppResult<(bool, bool)> {
    let by_author = match author {
        Some(a) => member::Entity::find_by_id(a).one(&state.db).await?.is_some_and(|m| m.ap_id == actor && !m.local),
        None => false,
    };
    let by_group =
        group::Entity::find_by_id(group_id).one(&state.db).await?.is_some_and(|g| g.ap_id == actor && !g.local);
    Ok((by_author, by_group))
}

/// A `Delete` of a post (it keeps its place as deleted), a thread (it goes, with its posts)
/// or a library entry, honoured only from its author or its group. Unknown ids are no error.
pub async fn delete(state: &AppState, actor: &str, object: &str) -> AppResult<bool> {
    if let Some(t) = thread_by_ap_id(&state.db, object).await? {
        let (by_author, by_group) = authority_over(state, actor, t.author_id, t.group_id).await?;
        if !(by_author || by_group) {
            return Err(AppError::forbidden("only its author or group may delete a thread"));
        }
        let txn = db::begin_write(&state.db).await?;
        search::remove_thread(&txn, t.id).await?;
        post::Entity::delete_many().filter(post::Column::ThreadId.eq(t.id)).exec(&txn).await?;
        thread::Entity::delete_by_id(t.id).exec(&txn).await?;
        txn.commit().await?;
        return Ok(true);
    }
    if let Some(p) = post_by_ap_id(&state.db, object).await? {
        let t = thread::Entity::find_by_id(p.thread_id).one(&state.db).await?;
        let (by_author, by_group) =
            authority_over(state, actor, p.author_id, t.map(|t| t.group_id).unwrap_or_default()).await?;
        if !(by_author || by_group) {
            return Err(AppError::forbidden("only its author may delete a post"));
        }
        let txn = db::begin_write(&state.db).await?;
        threads::erase(&txn, p).await?;
        txn.commit().await?;
        return Ok(true);
    }
    if let Some(r) = resource::Entity::find().filter(resource::Column::ApId.eq(object)).one(&state.db).await? {
        let (_, by_group) = authority_over(state, actor, None, r.group_id).await?;
        if !by_group {
            return Err(AppError::forbidden("only its group may delete a library entry"));
        }
        let txn = db::begin_write(&state.db).await?;
        resources::remove(&txn, r.id).await?;
        txn.commit().await?;
        return Ok(true);
    }
    Ok(false)
}

fn resource_kind(v: Option<&str>) -> ResourceKind {
    match v.unwrap_or("") {
        "LINK" => ResourceKind::Link,
        "DOCUMENT" => ResourceKind::Document,
        "TOOLKIT" => ResourceKind::Toolkit,
        "TEMPLATE" => ResourceKind::Template,
        "RECORDING" => ResourceKind::Recording,
        "SLIDES" => ResourceKind::Slides,
        _ => ResourceKind::Other,
    }
}

/// A library entry of a group we follow on another server: created, or updated in place.
pub async fn resource(state: &AppState, g: &group::Model, obj: Incoming) -> AppResult<resource::Model> {
    let html = clean(&obj.html)?;
    let html = (!html.trim().is_empty()).then_some(html);
    let tags: Vec<String> = obj.tags.iter().take(20).map(|t| t.chars().take(60).collect()).collect();
    let folder = resources::folder(obj.folder.as_deref().unwrap_or("")).unwrap_or_default();
    let link = obj.link.filter(|l| l.starts_with("https://") || l.starts_with("http://"));
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let existing = resource::Entity::find().filter(resource::Column::ApId.eq(&obj.ap_id)).one(&txn).await?;
    let id = existing.as_ref().map(|r| r.id).unwrap_or_else(Uuid::now_v7);
    let is_new = existing.is_none();
    let mut row = match existing {
        Some(r) if r.group_id != g.id => return Err(AppError::forbidden("that entry belongs to another group")),
        Some(r) => r.into(),
        None => resource::ActiveModel {
            id: Set(id),
            ap_id: Set(obj.ap_id.clone()),
            local: Set(false),
            group_id: Set(g.id),
            author_id: Set(None),
            event_id: Set(None),
            thread_id: Set(None),
            created_at: Set(when(obj.published)),
            ..Default::default()
        },
    };
    row.title = Set(title(obj.title.as_deref()));
    row.kind = Set(resource_kind(obj.kind.as_deref()));
    row.link = Set(link);
    row.description = Set(None);
    row.description_html = Set(html);
    row.tags = Set(serde_json::json!(tags));
    row.folder = Set(folder);
    row.updated_at = Set(now);
    if is_new {
        row.insert(&txn).await?;
    } else {
        row.update(&txn).await?;
    }
    let saved = resource::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("resource"))?;
    crate::domain::tags::write_resource(&txn, saved.id, &saved.tags).await?;
    search::index_resource(&txn, &saved).await?;
    txn.commit().await?;
    if is_new {
        state.bus.publish(&state.db, Change::Shared { group: saved.group_id }).await;
    }
    Ok(saved)
}
