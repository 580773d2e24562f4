//! Lists: a page of threads (pinned first, then newest) and a page of a thread's posts (in
//! tree order), with their cursors.
use base64::Engine as _;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::db::enums::ThreadKind;
use crate::db::{post, thread};
use crate::domain::pagination::{Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::domain::{groups, search, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

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
    cond = cond.add(visibility::threads_visible(viewer)?);
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

/// A page of a thread's posts in tree order (each post, then its replies, oldest first), whole
/// rows: for a server-rendered page. `after` is a post's path (see [`PostKey::cursor`]).
pub async fn posts<C: ConnectionTrait>(
    conn: &C,
    thread_id: Uuid,
    page: PageRequest,
    after: Option<String>,
) -> AppResult<Page<post::Model>> {
    let (total, q) = posts_select(conn, thread_id, page, after).await?;
    Ok(Page::from_overfetch(q.all(conn).await?, page, total))
}

/// A post's place in its thread's tree order: what a page of posts is made of before its rows
/// are read by id (the API reads them through its loaders, from the shared rows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostKey {
    pub id: Uuid,
    pub path: String,
}

impl PostKey {
    /// The cursor after this post: its path.
    pub fn cursor(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.path)
    }
}

/// The keys of a page of a thread's posts in tree order, as [`posts`] orders them: the page
/// costs the database two short columns per post instead of every column.
pub async fn post_keys<C: ConnectionTrait>(
    conn: &C,
    thread_id: Uuid,
    page: PageRequest,
    after: Option<String>,
) -> AppResult<Page<PostKey>> {
    let (total, q) = posts_select(conn, thread_id, page, after).await?;
    let keys = q
        .select_only()
        .column(post::Column::Id)
        .column(post::Column::Path)
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?;
    Ok(Page::from_overfetch(keys.into_iter().map(|(id, path)| PostKey { id, path }).collect(), page, total))
}

/// The total (when the request counts) and the select of a page of a thread's posts: after the
/// path `after`, in tree order, one more than asked for.
async fn posts_select<C: ConnectionTrait>(
    conn: &C,
    thread_id: Uuid,
    page: PageRequest,
    after: Option<String>,
) -> AppResult<(u64, sea_orm::Select<post::Entity>)> {
    let q = post::Entity::find().filter(post::Column::ThreadId.eq(thread_id));
    let total = if page.count_total { q.clone().count(conn).await? } else { 0 };
    let q = match after {
        Some(path) => q.filter(post::Column::Path.gt(path)),
        None => q,
    };
    Ok((total, q.order_by_asc(post::Column::Path).limit(page.first + 1)))
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
