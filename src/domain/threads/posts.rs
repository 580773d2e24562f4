//! Posts: writing one into a thread (members here and people elsewhere both end in
//! [`add_post`]), replying, editing, deleting, and keeping the search index in step.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::rules::{check_open, check_writer};
use super::store::{get, get_post, lock, opening_post};
use super::{post_url, MAX_BODY, MAX_DEPTH};
use crate::bus::Change;
use crate::db::{self, post, thread};
use crate::domain::publishing::{self, Change as Published};
use crate::domain::viewer::Viewer;
use crate::domain::{groups, markdown, mentions, search, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Renders a member's Markdown with their mentions linked.
pub(super) async fn render_body<C: ConnectionTrait>(conn: &C, body: &str) -> AppResult<(String, String)> {
    let source = validate::required_text("body", body, MAX_BODY)?;
    let linked = mentions::link(conn, &source).await?;
    Ok((source, markdown::render(&linked)))
}

/// A post about to be written.
pub struct NewPost {
    pub id: Uuid,
    pub ap_id: String,
    pub local: bool,
    pub author_id: Option<Uuid>,
    pub parent: Option<post::Model>,
    pub body: Option<String>,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

/// Writes a post into a thread in the caller's transaction and counts it. Refuses locked and
/// hidden threads ([`check_open`]). A reply deeper than [`MAX_DEPTH`] joins its parent's
/// replies.
pub async fn add_post<C: ConnectionTrait>(conn: &C, t: &thread::Model, p: NewPost) -> AppResult<post::Model> {
    check_open(t)?;
    let mut parent = p.parent;
    if let Some(par) = &parent {
        if par.thread_id != t.id {
            return Err(AppError::bad_input("parentId", "the parent post is in another thread"));
        }
        if par.depth >= MAX_DEPTH {
            parent = match par.parent_id {
                Some(grand) => post::Entity::find_by_id(grand).one(conn).await?,
                None => None,
            };
        }
    }
    let own = p.id.simple().to_string();
    let (path, depth, parent_id) = match &parent {
        Some(par) => (format!("{}/{own}", par.path), par.depth + 1, Some(par.id)),
        None => (own, 0, None),
    };
    let saved = post::ActiveModel {
        id: Set(p.id),
        ap_id: Set(p.ap_id),
        local: Set(p.local),
        thread_id: Set(t.id),
        author_id: Set(p.author_id),
        parent_id: Set(parent_id),
        path: Set(path),
        depth: Set(depth),
        body: Set(p.body),
        body_html: Set(p.body_html),
        deleted: Set(false),
        created_at: Set(p.created_at),
        updated_at: Set(p.created_at),
        edited_at: Set(None),
    }
    .insert(conn)
    .await?;
    thread::Entity::update_many()
        .col_expr(thread::Column::PostCount, Expr::col(thread::Column::PostCount).add(1))
        .col_expr(thread::Column::LastPostAt, Expr::value(p.created_at))
        .filter(thread::Column::Id.eq(t.id))
        .exec(conn)
        .await?;
    Ok(saved)
}

/// A member's reply in a thread, optionally to one of its posts.
pub async fn reply(
    state: &AppState,
    viewer: &Viewer,
    thread_id: Uuid,
    parent_id: Option<Uuid>,
    body: &str,
) -> AppResult<post::Model> {
    let me = viewer.active_member()?.clone();
    let t = get(&state.db, viewer, thread_id).await?;
    let g = groups::get(&state.db, t.group_id).await?;
    if g.local {
        check_writer(&state.db, viewer, &g).await?;
    }
    let (source, html) = render_body(&state.db, body).await?;
    let federates = publishing::prepare(state, Some(&me), &g, Some(&source)).await?;
    let txn = db::begin_write(&state.db).await?;
    // Re-read under the write lock: it may have been locked meanwhile.
    let t = lock(&txn, thread_id).await?;
    let parent = match parent_id {
        Some(id) => Some(
            post::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .filter(|p| p.thread_id == t.id)
                .ok_or_else(|| AppError::bad_input("parentId", "no such post in this thread"))?,
        ),
        None => None,
    };
    let id = Uuid::now_v7();
    let now = Utc::now();
    let p = add_post(
        &txn,
        &t,
        NewPost {
            id,
            ap_id: post_url(state, id),
            local: true,
            author_id: Some(me.id),
            parent,
            body: Some(source),
            body_html: html,
            created_at: now,
        },
    )
    .await?;
    search::index_post(&txn, &p).await?;
    if federates {
        publishing::publish(&txn, state, &t, &p, false, Published::Create).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Post { thread: t.id, post: p.id }).await;
    Ok(p)
}

/// The author edits their post's text.
pub async fn edit_post(state: &AppState, viewer: &Viewer, id: Uuid, body: &str) -> AppResult<post::Model> {
    let me = viewer.active_member()?;
    let p = get_post(&state.db, viewer, id).await?;
    if p.deleted && p.author_id == Some(me.id) {
        return Err(AppError::conflict("this post was deleted"));
    }
    if !super::rules::may_edit_post(Some(me), &p) {
        return Err(AppError::forbidden("only its author may edit a post"));
    }
    let (source, html) = render_body(&state.db, body).await?;
    let t = get(&state.db, viewer, p.thread_id).await?;
    let g = groups::get(&state.db, t.group_id).await?;
    let federates = publishing::prepare(state, Some(me), &g, Some(&source)).await?;
    let opening = opening_post(&state.db, t.id).await?.is_some_and(|o| o.id == p.id);
    let txn = db::begin_write(&state.db).await?;
    let now = Utc::now();
    let mut row: post::ActiveModel = p.into();
    row.body = Set(Some(source));
    row.body_html = Set(html);
    row.edited_at = Set(Some(now));
    row.updated_at = Set(now);
    let saved = row.update(&txn).await?;
    reindex(&txn, &saved).await?;
    if federates {
        publishing::publish(&txn, state, &t, &saved, opening, Published::Update).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// Deletes a post's text, by its author or the group's moderators: the post keeps its place
/// in the tree (and its replies) as "deleted".
pub async fn delete_post(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<post::Model> {
    let me = viewer.active_member()?;
    let p = get_post(&state.db, viewer, id).await?;
    let t = get(&state.db, viewer, p.thread_id).await?;
    if p.author_id != Some(me.id) && !groups::moderates(groups::role_in(&state.db, viewer, t.group_id).await?) {
        return Err(AppError::forbidden("only its author or the group's moderators may delete a post"));
    }
    let g = groups::get(&state.db, t.group_id).await?;
    let author = match p.author_id {
        Some(a) => crate::db::member::Entity::find_by_id(a).one(&state.db).await?,
        None => None,
    };
    let federates = p.local && publishing::prepare(state, author.as_ref(), &g, None).await?;
    let opening = opening_post(&state.db, t.id).await?.is_some_and(|o| o.id == p.id);
    let txn = db::begin_write(&state.db).await?;
    if federates {
        // Sent before the text goes: receivers need only the id.
        publishing::publish(&txn, state, &t, &p, opening, Published::Delete).await?;
    }
    let saved = erase(&txn, p).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Blanks a post in the caller's transaction (also for a remote author's Delete).
pub async fn erase<C: ConnectionTrait>(conn: &C, p: post::Model) -> AppResult<post::Model> {
    if p.deleted {
        return Ok(p);
    }
    let mut row: post::ActiveModel = p.into();
    row.body = Set(None);
    row.body_html = Set(String::new());
    row.deleted = Set(true);
    row.updated_at = Set(Utc::now());
    let saved = row.update(conn).await?;
    reindex(conn, &saved).await?;
    Ok(saved)
}

/// Rewrites the search entry a post's text feeds, in the caller's transaction: a thread's
/// opening post is its thread's entry (title and text), a reply has its own, a deleted reply
/// none. Every writer of a post's text ends here.
pub async fn reindex<C: ConnectionTrait>(conn: &C, p: &post::Model) -> AppResult<()> {
    let opening = opening_post(conn, p.thread_id).await?.is_some_and(|o| o.id == p.id);
    if opening {
        let t =
            thread::Entity::find_by_id(p.thread_id).one(conn).await?.ok_or_else(|| AppError::not_found("thread"))?;
        return search::index_thread(conn, &t, p).await;
    }
    if p.deleted {
        return search::remove(conn, search::Kind::Post, p.id).await;
    }
    search::index_post(conn, p).await
}
