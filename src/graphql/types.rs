//! What the resolvers of every object share: id arguments, loader results, connections.
//! The objects themselves live in their folders (`events`, `groups`, `members`, `resources`,
//! `threads`).
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ErrorExtensions as _, SimpleObject, ID};
use uuid::Uuid;

use super::in_place::InPlace;
use super::loaders::LoadError;
use super::ContextExt as _;
use crate::domain::pagination::{encode_cursor, Page};
use crate::error::AppError;

pub type Result<T> = async_graphql::Result<T>;

/// Parses an opaque ID argument.
pub fn parse_id(field: &str, id: &ID) -> std::result::Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str()).map_err(|_| AppError::bad_input(field, format!("{field} is not a valid id")))
}

/// An optional opaque ID argument.
pub fn optional_id(field: &str, id: Option<&ID>) -> Result<Option<Uuid>> {
    Ok(id.map(|i| parse_id(field, i)).transpose()?)
}

/// A failed load as an INTERNAL error (the cause was logged where it happened).
pub(crate) fn load_failed(e: LoadError) -> async_graphql::Error {
    async_graphql::Error::new(e.to_string()).extend_with(|_, ext| ext.set("code", "INTERNAL"))
}

pub(crate) fn loaded<T>(r: std::result::Result<Option<T>, LoadError>) -> Result<Option<T>> {
    r.map_err(load_failed)
}

/// Loads the members of a page (its authors) in one batch before the fields resolve.
pub(crate) async fn prime_members(ctx: &Context<'_>, ids: impl Iterator<Item = Uuid>) -> Result<()> {
    let ids: Vec<Uuid> = ids.collect();
    if !ids.is_empty() {
        ctx.loaders().members.load_many(ids).await.map_err(load_failed)?;
    }
    Ok(())
}

/// Which way a list runs.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SortOrder {
    /// Oldest (or soonest) first.
    Asc,
    /// Newest (or latest) first.
    Desc,
}

/// The viewer's role in a group through the request's loader (a list's groups in one batch):
/// `groups::role_in`'s answer, instance admins acting as owners.
pub async fn viewer_role(ctx: &Context<'_>, group_id: Uuid) -> Result<Option<crate::db::enums::Role>> {
    let Some(me) = ctx.viewer().optional()? else { return Ok(None) };
    if me.is_admin {
        return Ok(Some(crate::db::enums::Role::Owner));
    }
    Ok(loaded(ctx.loaders().roles.load_one(me.id).await)?.and_then(|roles| roles.get(&group_id).copied()))
}

/// Extra fields every connection carries.
#[derive(SimpleObject)]
pub struct ConnectionTotal {
    /// How many items match, across all pages.
    pub total_count: i64,
}

/// A connection whose nodes resolve in place (`in_place`): the same schema as `T`'s.
pub type Conn<T> = Connection<String, InPlace<T>, ConnectionTotal, EmptyFields>;

/// Whether the connection being resolved selects `totalCount` (else no `COUNT(*)` runs).
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Turns a domain page into a Relay connection; `id` gives each row's cursor.
pub fn connection<R, T>(page: Page<R>, id: impl Fn(&R) -> Uuid, wrap: impl Fn(R) -> T) -> Conn<T>
where
    T: async_graphql::OutputType + async_graphql::ContainerType,
{
    connection_with(page, |r| encode_cursor(id(r)), wrap)
}

/// [`connection`] for pages in another order than their ids: `cursor` gives each row's.
pub fn connection_with<R, T>(page: Page<R>, cursor: impl Fn(&R) -> String, wrap: impl Fn(R) -> T) -> Conn<T>
where
    T: async_graphql::OutputType + async_graphql::ContainerType,
{
    let mut conn =
        Connection::with_additional_fields(false, page.has_next, ConnectionTotal { total_count: page.total as i64 });
    conn.edges.extend(page.items.into_iter().map(|r| Edge::new(cursor(&r), InPlace(wrap(r)))));
    conn
}
