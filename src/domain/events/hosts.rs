//! An event's host groups (`event_host` rows): its own group first, then co-hosts, confirmed
//! or invited.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::db::{event, event_host, group, membership};
use crate::domain::groups;
use crate::domain::viewer::Viewer;
use crate::error::AppResult;

/// The host group ids of an event (its confirmed `event_host` rows): its own group first, then
/// co-hosts.
pub async fn host_ids<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<Uuid>> {
    let ids = host_rows(conn, e.id, true).await?;
    Ok(if ids.is_empty() { vec![e.group_id] } else { ids })
}

/// The host groups of many events in one statement, by event, each list in host order (its
/// own group first). An event without host rows is absent: its group is its host.
pub async fn hosts_of_many<C: ConnectionTrait>(
    conn: &C,
    event_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<group::Model>>> {
    let rows = event_host::Entity::find()
        .find_also_related(group::Entity)
        .filter(event_host::Column::EventId.is_in(event_ids.iter().copied()))
        .filter(event_host::Column::Confirmed.eq(true))
        .order_by_asc(event_host::Column::EventId)
        .order_by_asc(event_host::Column::Position)
        .all(conn)
        .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<group::Model>> = std::collections::HashMap::new();
    for (h, g) in rows {
        if let Some(g) = g {
            out.entry(h.event_id).or_default().push(g);
        }
    }
    Ok(out)
}

/// The host groups of one event, in order (the event page).
pub async fn hosts<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<group::Model>> {
    match hosts_of_many(conn, &[e.id]).await?.remove(&e.id) {
        Some(found) => Ok(found),
        None => Ok(groups::load_many(conn, &[e.group_id]).await?),
    }
}

/// Writes an event's hosts: the `event_host` rows, one per host group, confirmed or invited.
/// A co-host is confirmed when its group consents: an admin of the invited group accepts
/// ([`answer_cohost`](super::answer_cohost); a group on another server answers its `Offer`). The one doing the
/// inviting consents for groups they administer themselves (and instance admins for any local
/// group). Confirmations are kept across edits.
pub(super) async fn set_hosts<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    event_id: Uuid,
    group_id: Uuid,
    co_hosts: Vec<Uuid>,
) -> AppResult<()> {
    let confirmed: std::collections::HashSet<Uuid> = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .filter(event_host::Column::Confirmed.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.group_id)
        .collect();
    let me = viewer.active_member()?;
    let local: std::collections::HashSet<Uuid> =
        groups::load_many(conn, &co_hosts).await?.into_iter().filter(|g| g.local).map(|g| g.id).collect();
    let administered: std::collections::HashSet<Uuid> = if me.is_admin {
        local.clone()
    } else {
        membership::Entity::find()
            .filter(membership::Column::MemberId.eq(me.id))
            .filter(membership::Column::GroupId.is_in(local.iter().copied()))
            .all(conn)
            .await?
            .into_iter()
            .filter(|m| groups::administers(Some(m.role)))
            .map(|m| m.group_id)
            .collect()
    };
    event_host::Entity::delete_many().filter(event_host::Column::EventId.eq(event_id)).exec(conn).await?;
    let mut rows = vec![event_host::ActiveModel {
        id: Set(Uuid::now_v7()),
        event_id: Set(event_id),
        group_id: Set(group_id),
        position: Set(0),
        confirmed: Set(true),
    }];
    for (i, g) in co_hosts.into_iter().filter(|g| *g != group_id).enumerate() {
        rows.push(event_host::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(event_id),
            group_id: Set(g),
            position: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            confirmed: Set(administered.contains(&g) || confirmed.contains(&g)),
        });
    }
    event_host::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

/// The group ids of an event's confirmed hosts (or of the groups invited, not yet answered), in
/// their order.
async fn host_rows<C: ConnectionTrait>(conn: &C, event_id: Uuid, confirmed: bool) -> AppResult<Vec<Uuid>> {
    Ok(event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .filter(event_host::Column::Confirmed.eq(confirmed))
        .order_by_asc(event_host::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.group_id)
        .collect())
}

/// The groups invited to co-host an event that have not answered yet, in the order invited.
pub async fn invited_hosts<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<group::Model>> {
    let ids = host_rows(conn, e.id, false).await?;
    let mut found = groups::load_many(conn, &ids).await?;
    found.sort_by_key(|g| ids.iter().position(|i| *i == g.id));
    Ok(found)
}
