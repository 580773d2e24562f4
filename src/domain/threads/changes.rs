//! Starting a thread (with its opening post) and changing it: title and kind by its author,
//! lock, pin and hide by the group's moderators.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

use super::posts::{add_post, render_body, NewPost};
use super::rules::check_writer;
use super::store::{get, lock, opening_post};
use super::{post_url, thread_url};
use crate::bus::Change;
use crate::db::enums::ThreadKind;
use crate::db::{self, post, thread};
use crate::domain::publishing::{self, Change as Published};
use crate::domain::viewer::Viewer;
use crate::domain::{events, groups, resources, search, validate, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What a new thread says.
pub struct NewThread {
    pub group_id: Uuid,
    pub title: String,
    pub body: String,
    pub kind: Option<ThreadKind>,
    pub event_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
}

/// Starts a thread in a local group, with its opening post.
pub async fn create(state: &AppState, viewer: &Viewer, input: NewThread) -> AppResult<(thread::Model, post::Model)> {
    let me = viewer.active_member()?.clone();
    let g =
        groups::get(&state.db, input.group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "threads are started in local groups"));
    }
    check_writer(&state.db, viewer, &g).await?;
    let title = validate::required_text("title", &input.title, 200)?;
    if let Some(e) = input.event_id {
        events::get(state, viewer, e).await.map_err(|_| AppError::bad_input("eventId", "no such event"))?;
    }
    if let Some(r) = input.resource_id {
        resources::get(&state.db, r).await.map_err(|_| AppError::bad_input("resourceId", "no such resource"))?;
    }
    let (source, html) = render_body(&state.db, &input.body).await?;
    let federates = publishing::prepare(state, Some(&me), &g, Some(&source)).await?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let url = thread_url(state, id);
    let txn = db::begin_write(&state.db).await?;
    let t = thread::ActiveModel {
        id: Set(id),
        ap_id: Set(url),
        local: Set(true),
        group_id: Set(g.id),
        author_id: Set(Some(me.id)),
        title: Set(title),
        kind: Set(input.kind.unwrap_or(ThreadKind::Discussion)),
        event_id: Set(input.event_id),
        resource_id: Set(input.resource_id),
        locked: Set(false),
        pinned: Set(false),
        hidden: Set(false),
        post_count: Set(0),
        last_post_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let post_id = Uuid::now_v7();
    let p = add_post(
        &txn,
        &t,
        NewPost {
            id: post_id,
            ap_id: post_url(state, post_id),
            local: true,
            author_id: Some(me.id),
            parent: None,
            body: Some(source),
            body_html: html,
            created_at: now,
        },
    )
    .await?;
    search::index_thread(&txn, &t, &p).await?;
    let t = thread::Entity::find_by_id(t.id).one(&txn).await?.ok_or_else(|| AppError::not_found("thread"))?;
    if federates {
        publishing::publish(&txn, state, &t, &p, true, Published::Create).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Post { thread: t.id, post: p.id }).await;
    Ok((t, p))
}

/// What may change on a thread: its author changes title and kind; moderators also lock,
/// pin and hide.
#[derive(Default)]
pub struct ThreadChanges {
    pub title: Option<String>,
    pub kind: Option<ThreadKind>,
    pub locked: Option<bool>,
    pub pinned: Option<bool>,
    pub hidden: Option<bool>,
}

pub async fn update(state: &AppState, viewer: &Viewer, id: Uuid, c: ThreadChanges) -> AppResult<thread::Model> {
    let me = viewer.active_member()?;
    let t = get(&state.db, viewer, id).await?;
    let role = groups::role_in(&state.db, viewer, t.group_id).await?;
    if (c.locked.is_some() || c.pinned.is_some() || c.hidden.is_some()) && !super::rules::may_manage_thread(role) {
        return Err(AppError::forbidden("only the group's moderators may lock, pin or hide a thread"));
    }
    if (c.title.is_some() || c.kind.is_some()) && !super::rules::may_edit_thread(Some(me), &t, role) {
        return Err(AppError::forbidden("only its author or the group's moderators may change a thread"));
    }
    if !t.local && (c.title.is_some() || c.kind.is_some()) {
        return Err(AppError::bad_input("id", "remote threads are changed on their own server"));
    }
    let g = groups::get(&state.db, t.group_id).await?;
    let author = match t.author_id {
        Some(a) => crate::db::member::Entity::find_by_id(a).one(&state.db).await?,
        None => None,
    };
    let federates = t.local && publishing::prepare(state, author.as_ref(), &g, None).await?;
    let txn = db::begin_write(&state.db).await?;
    let t = lock(&txn, id).await?;
    let mut row: thread::ActiveModel = t.clone().into();
    if let Some(title) = c.title {
        row.title = Set(validate::required_text("title", &title, 200)?);
    }
    if let Some(k) = c.kind {
        row.kind = Set(k);
    }
    if let Some(v) = c.locked {
        row.locked = Set(v);
    }
    if let Some(v) = c.pinned {
        row.pinned = Set(v);
    }
    if let Some(v) = c.hidden {
        row.hidden = Set(v);
    }
    row.updated_at = Set(Utc::now());
    let saved = row.update(&txn).await?;
    if saved.title != t.title {
        search::retitle(&txn, search::Kind::Thread, saved.id, &saved.title).await?;
    }
    let shown_changed = saved.title != t.title || saved.locked != t.locked;
    let (was_public, is_public) = (visibility::thread_public(&t), visibility::thread_public(&saved));
    if federates && saved.local && (shown_changed || was_public != is_public) {
        if let Some(opening) = opening_post(&txn, saved.id).await? {
            match (was_public, is_public) {
                // Hidden: those who had it are told it is gone.
                (true, false) => publishing::hide(&txn, state, &saved, &opening).await?,
                // Shown again: sent again, as it is now.
                (false, true) => publishing::publish(&txn, state, &saved, &opening, true, Published::Create).await?,
                _ => publishing::publish(&txn, state, &saved, &opening, true, Published::Update).await?,
            }
        }
    }
    txn.commit().await?;
    Ok(saved)
}
