//! Discussion threads and their posts. A thread's opening text is its first post; replies nest
//! by parent and list in tree order (see `db::post::Model::path`). Local members write through
//! GraphQL and remote people through federation; both end in [`add_post`].
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::bus::Change;
use crate::db::enums::{Role, ThreadKind};
use crate::db::{self, group, membership, post, thread};
use crate::domain::pagination::{Page, PageRequest};
use crate::domain::publishing::{self, Change as Published};
use crate::domain::viewer::Viewer;
use crate::domain::{events, groups, markdown, mentions, resources, search, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Replies nest at most this deep; a reply to a post this deep joins its parent's replies.
pub const MAX_DEPTH: i32 = 24;
/// Characters of Markdown a post may have.
pub const MAX_BODY: usize = 20_000;

pub fn thread_url(state: &AppState, id: Uuid) -> String {
    format!("{}/threads/{id}", state.base_url())
}

pub fn post_url(state: &AppState, id: Uuid) -> String {
    format!("{}/posts/{id}", state.base_url())
}

/// The viewer's role in a group (instance admins act as owners; anonymous: none).
pub async fn role_in<C: ConnectionTrait>(conn: &C, viewer: &Viewer, group_id: Uuid) -> AppResult<Option<Role>> {
    let Some(me) = viewer.optional()? else { return Ok(None) };
    if me.is_admin {
        return Ok(Some(Role::Owner));
    }
    Ok(groups::membership_of(conn, group_id, me.id).await?.map(|m| m.role))
}

fn moderates(role: Option<Role>) -> bool {
    role.is_some_and(|r| r >= Role::Moderator)
}

/// Whether the viewer may see the thread: hidden ones only the group's moderators.
pub async fn may_view<C: ConnectionTrait>(conn: &C, viewer: &Viewer, t: &thread::Model) -> AppResult<bool> {
    if !t.hidden {
        return Ok(true);
    }
    Ok(moderates(role_in(conn, viewer, t.group_id).await?))
}

/// A thread the viewer may see, or NOT_FOUND.
pub async fn get<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<thread::Model> {
    let t = thread::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("thread"))?;
    if !may_view(conn, viewer, &t).await? {
        return Err(AppError::not_found("thread"));
    }
    Ok(t)
}

/// Like [`get`], but `None` when missing or hidden.
pub async fn find(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<thread::Model>> {
    match get(&state.db, viewer, id).await {
        Ok(t) => Ok(Some(t)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A post the viewer may see (its thread visible), or NOT_FOUND.
pub async fn get_post<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<post::Model> {
    let p = post::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("post"))?;
    get(conn, viewer, p.thread_id).await.map_err(|_| AppError::not_found("post"))?;
    Ok(p)
}

/// What a new thread says.
pub struct NewThread {
    pub group_id: Uuid,
    pub title: String,
    pub body: String,
    pub kind: Option<ThreadKind>,
    pub event_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
}

/// The members of a group (and instance admins) write in it.
async fn check_writer<C: ConnectionTrait>(conn: &C, viewer: &Viewer, g: &group::Model) -> AppResult<()> {
    let me = viewer.active_member()?;
    if me.is_admin {
        return Ok(());
    }
    match groups::membership_of(conn, g.id, me.id).await?.map(|m| m.role) {
        Some(r) if r >= Role::Member => Ok(()),
        _ => Err(AppError::forbidden("only the group's members may write in it")),
    }
}

/// Renders a member's Markdown with their mentions linked.
async fn render_body<C: ConnectionTrait>(conn: &C, body: &str) -> AppResult<(String, String)> {
    let source = validate::required_text("body", body, MAX_BODY)?;
    let linked = mentions::link(conn, &source).await?;
    Ok((source, markdown::render(&linked)))
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

/// Whether a thread takes replies: locked and hidden ones refuse them (CONFLICT), from here
/// and from elsewhere.
pub fn check_open(t: &thread::Model) -> AppResult<()> {
    if t.locked {
        return Err(AppError::conflict("this thread is locked; it takes no replies"));
    }
    if t.hidden {
        return Err(AppError::conflict("this thread is hidden; it takes no replies"));
    }
    Ok(())
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

/// Reads a thread for writing: row-locked on PostgreSQL (SQLite's write transaction already
/// serialises writers).
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<thread::Model> {
    let mut q = thread::Entity::find_by_id(id);
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(conn).await?.ok_or_else(|| AppError::not_found("thread"))
}

/// The author edits their post's text.
pub async fn edit_post(state: &AppState, viewer: &Viewer, id: Uuid, body: &str) -> AppResult<post::Model> {
    let me = viewer.active_member()?;
    let p = get_post(&state.db, viewer, id).await?;
    if p.author_id != Some(me.id) || !p.local {
        return Err(AppError::forbidden("only its author may edit a post"));
    }
    if p.deleted {
        return Err(AppError::conflict("this post was deleted"));
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
    if p.author_id != Some(me.id) && !moderates(role_in(&state.db, viewer, t.group_id).await?) {
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
    let moderator = moderates(role_in(&state.db, viewer, t.group_id).await?);
    let author = t.author_id == Some(me.id);
    if (c.locked.is_some() || c.pinned.is_some() || c.hidden.is_some()) && !moderator {
        return Err(AppError::forbidden("only the group's moderators may lock, pin or hide a thread"));
    }
    if (c.title.is_some() || c.kind.is_some()) && !(author || moderator) {
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
    if federates && saved.local && (shown_changed || saved.hidden != t.hidden) {
        if let Some(opening) = opening_post(&txn, saved.id).await? {
            match (t.hidden, saved.hidden) {
                // Hidden: those who had it are told it is gone.
                (false, true) => publishing::hide(&txn, state, &saved, &opening).await?,
                // Shown again: sent again, as it is now.
                (true, false) => publishing::publish(&txn, state, &saved, &opening, true, Published::Create).await?,
                _ => publishing::publish(&txn, state, &saved, &opening, true, Published::Update).await?,
            }
        }
    }
    txn.commit().await?;
    Ok(saved)
}

/// `threads` filters.
#[derive(Clone, Debug, Default)]
pub struct ThreadFilter {
    pub group_handle: Option<String>,
    pub kind: Option<ThreadKind>,
    pub event_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
    pub search: Option<String>,
    pub include_remote: bool,
}

/// A page of threads: pinned first, then newest first. Hidden threads only for the group's
/// moderators.
pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    filter: ThreadFilter,
    page: PageRequest,
    after: Option<(bool, Uuid)>,
) -> AppResult<Page<thread::Model>> {
    let mut cond = Condition::all();
    if let Some(h) = filter.group_handle.as_deref() {
        let Some(g) = groups::find_named(state, h).await? else {
            return Ok(Page { items: vec![], has_next: false, total: 0 });
        };
        cond = cond.add(thread::Column::GroupId.eq(g.id));
    } else if !filter.include_remote {
        cond = cond.add(thread::Column::Local.eq(true));
    }
    if let Some(k) = filter.kind {
        cond = cond.add(thread::Column::Kind.eq(k));
    }
    if let Some(e) = filter.event_id {
        cond = cond.add(thread::Column::EventId.eq(e));
    }
    if let Some(r) = filter.resource_id {
        cond = cond.add(thread::Column::ResourceId.eq(r));
    }
    if let Some(q) = filter.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let ids = search::matching(&state.db, search::Kind::Thread, q, search::MAX_MATCHES).await?;
        cond = cond.add(thread::Column::Id.is_in(ids));
    }
    cond = cond.add(visible(viewer)?);
    let total = if page.count_total { thread::Entity::find().filter(cond.clone()).count(&state.db).await? } else { 0 };
    let mut q = thread::Entity::find().filter(cond);
    if let Some((pinned, id)) = after {
        let later = Condition::all().add(thread::Column::Pinned.eq(pinned)).add(thread::Column::Id.lt(id));
        q = q.filter(if pinned { Condition::any().add(thread::Column::Pinned.eq(false)).add(later) } else { later });
    }
    let rows = q
        .order_by_desc(thread::Column::Pinned)
        .order_by_desc(thread::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    Ok(Page::from_overfetch(rows, page, total))
}

/// Threads a list may show the viewer: all but hidden ones, which the group's moderators
/// (and instance admins) see too. Memberships are a subquery: no extra statement.
pub(crate) fn visible(viewer: &Viewer) -> AppResult<Condition> {
    let shown = Condition::all().add(thread::Column::Hidden.eq(false));
    let Some(me) = viewer.optional()? else { return Ok(shown) };
    if me.is_admin {
        return Ok(Condition::all());
    }
    Ok(Condition::any().add(shown).add(
        thread::Column::GroupId.in_subquery(
            Query::select()
                .column(membership::Column::GroupId)
                .from(membership::Entity)
                .and_where(Expr::col(membership::Column::MemberId).eq(me.id))
                .and_where(Expr::col(membership::Column::Role).is_in([Role::Moderator, Role::Admin, Role::Owner]))
                .to_owned(),
        ),
    ))
}

/// The cursor of a thread in list order.
pub fn cursor(t: &thread::Model) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}|{}", u8::from(t.pinned), t.id))
}

pub fn decode_cursor(c: &str) -> AppResult<(bool, Uuid)> {
    let bad = || AppError::bad_input("after", "after is not a cursor from this API");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (pinned, id) = raw.split_once('|').ok_or_else(bad)?;
    let pinned = match pinned {
        "1" => true,
        "0" => false,
        _ => return Err(bad()),
    };
    Ok((pinned, Uuid::parse_str(id).map_err(|_| bad())?))
}

/// A page of a thread's posts in tree order (each post, then its replies, oldest first).
/// `after` is a post's path (see [`post_cursor`]).
pub async fn posts<C: ConnectionTrait>(
    conn: &C,
    thread_id: Uuid,
    page: PageRequest,
    after: Option<String>,
) -> AppResult<Page<post::Model>> {
    let q = post::Entity::find().filter(post::Column::ThreadId.eq(thread_id));
    let total = if page.count_total { q.clone().count(conn).await? } else { 0 };
    let q = match after {
        Some(path) => q.filter(post::Column::Path.gt(path)),
        None => q,
    };
    let rows = q.order_by_asc(post::Column::Path).limit(page.first + 1).all(conn).await?;
    Ok(Page::from_overfetch(rows, page, total))
}

pub fn post_cursor(p: &post::Model) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&p.path)
}

pub fn decode_post_cursor(c: &str) -> AppResult<String> {
    let bad = || AppError::bad_input("after", "after is not a cursor from this API");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let path = String::from_utf8(raw).map_err(|_| bad())?;
    if path.is_empty() || !path.chars().all(|c| c.is_ascii_hexdigit() || c == '/') {
        return Err(bad());
    }
    Ok(path)
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
