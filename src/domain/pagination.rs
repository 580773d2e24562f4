//! Relay-style keyset pagination over UUID v7 primary keys (time-ordered).
use std::collections::HashMap;

use base64::Engine as _;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// A validated page request: at most [`MAX_PAGE`] rows after an optional cursor.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Uuid>,
    /// Whether to count every matching row (a `COUNT(*)`): only when `totalCount` is asked for.
    pub count_total: bool,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE,
            Some(n) if n < 0 => return Err(AppError::bad_input("first", "first must not be negative")),
            Some(n) if n as u64 > MAX_PAGE => {
                return Err(AppError::bad_input("first", format!("first may be at most {MAX_PAGE}")))
            }
            Some(n) => n as u64,
        };
        let after = after.map(decode_cursor).transpose()?;
        Ok(PageRequest { first, after, count_total: true })
    }

    /// Counts the total only when `wanted` (GraphQL: whether `totalCount` is selected).
    pub fn count_total(self, wanted: bool) -> Self {
        PageRequest { count_total: wanted, ..self }
    }
}

/// One page of rows plus what the connection needs.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
    /// 0 when the request did not count.
    pub total: u64,
}

impl<T> Page<T> {
    /// Builds a page from a query that fetched `first + 1` rows.
    pub fn from_overfetch(mut items: Vec<T>, req: PageRequest, total: u64) -> Self {
        let has_next = items.len() as u64 > req.first;
        items.truncate(req.first as usize);
        Page { items, has_next, total }
    }

    /// This page of keys with each key's row from `rows` (read by key after the keys were),
    /// in the page's order: a key whose row is gone by then is left out, the page one shorter.
    pub fn fill<I: Eq + std::hash::Hash, V>(self, mut rows: HashMap<I, V>, id: impl Fn(&T) -> I) -> Page<(T, V)> {
        let items = self.items.into_iter().filter_map(|k| rows.remove(&id(&k)).map(|v| (k, v))).collect();
        Page { items, has_next: self.has_next, total: self.total }
    }

    /// The page with each item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), has_next: self.has_next, total: self.total }
    }
}

/// Runs a keyset-paginated query over a UUID v7 key: the total of `query` (when the request
/// counts; 0 otherwise), then `first` rows after the cursor in key order (plus one to know
/// whether more follow).
pub async fn keyset<E, C>(conn: &C, query: Select<E>, key: E::Column, page: PageRequest) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    keyset_in(conn, query, key, page, false).await
}

/// [`keyset`] newest first: the rows before the cursor in descending key order.
pub async fn keyset_newest<E, C>(
    conn: &C,
    query: Select<E>,
    key: E::Column,
    page: PageRequest,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    keyset_in(conn, query, key, page, true).await
}

/// [`keyset`] reading the page's keys alone, for a caller that reads the rows by key where
/// they are kept (`domain::shared_rows`, through the request's loaders): a page of keys costs
/// the database one column per row instead of every column.
pub async fn keyset_keys<E, C>(conn: &C, query: Select<E>, key: E::Column, page: PageRequest) -> AppResult<Page<Uuid>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    let (total, q) = keyset_select(conn, query, key, page, false).await?;
    let keys = q.select_only().column(key).into_tuple::<Uuid>().all(conn).await?;
    Ok(Page::from_overfetch(keys, page, total))
}

async fn keyset_in<E, C>(
    conn: &C,
    query: Select<E>,
    key: E::Column,
    page: PageRequest,
    newest_first: bool,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    let (total, q) = keyset_select(conn, query, key, page, newest_first).await?;
    Ok(Page::from_overfetch(q.all(conn).await?, page, total))
}

/// The total (when the request counts) and the select of a page's rows: after the cursor, in
/// key order, one more than asked for.
async fn keyset_select<E, C>(
    conn: &C,
    query: Select<E>,
    key: E::Column,
    page: PageRequest,
    newest_first: bool,
) -> AppResult<(u64, Select<E>)>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    let total = if page.count_total { query.clone().count(conn).await? } else { 0 };
    let mut q = query;
    if let Some(after) = page.after {
        q = q.filter(if newest_first { key.lt(after) } else { key.gt(after) });
    }
    let q = if newest_first { q.order_by_desc(key) } else { q.order_by_asc(key) };
    Ok((total, q.limit(page.first + 1)))
}

pub fn encode_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> AppResult<Uuid> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| AppError::bad_input("after", "after is not a cursor from this API"))
}
