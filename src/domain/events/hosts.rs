//! An event's host groups (`event_host` rows): its own group first, then co-hosts, confirmed
//! or invited.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, RelationTrait, Set,
};
use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::db::{event, event_host, group, membership};
use crate::domain::groups;
use crate::domain::viewer::Viewer;
use crate::error::AppResult;

/// A host row read with its group in one statement: the group's own columns, unprefixed, and
/// two more. (sea-orm's two-model select would name every cell of the group with a formatted
/// prefix: a tenth of the events page's CPU, measured with `perf`.)
struct HostRow {
    event_id: Uuid,
    confirmed: bool,
    group: group::Model,
}

impl HostRow {
    const EVENT: &'static str = "host_event_id";
    const CONFIRMED: &'static str = "host_confirmed";
}

impl FromQueryResult for HostRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(HostRow {
            event_id: res.try_get(pre, Self::EVENT)?,
            confirmed: res.try_get(pre, Self::CONFIRMED)?,
            group: group::Model::from_query_result(res, pre)?,
        })
    }
}

/// The host group ids of an event (its confirmed `event_host` rows): its own group first, then
/// co-hosts.
pub async fn host_ids<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<Uuid>> {
    Ok(hosts(conn, e).await?.into_iter().map(|g| g.id).collect())
}

/// An event's host groups and the groups invited to co-host that have not answered yet.
#[derive(Clone, Debug, Default)]
pub struct EventHosts {
    /// In host order: its own group first, then co-hosts. An event without host rows is hosted
    /// by its own group alone. Shared (`Arc`): a page's events show the same few groups, and
    /// each of their fields hands one out.
    pub hosts: Vec<Arc<group::Model>>,
    /// In the order invited.
    pub invited: Vec<Arc<group::Model>>,
}

/// The [`EventHosts`] of many events (a list's), given as `(event id, its group id)`: the host
/// rows with their groups in one statement, and the own groups of events without host rows in
/// one more (only when there are any). Every event given has an entry.
pub async fn hosts_and_invited_of_many<C: ConnectionTrait>(
    conn: &C,
    events: &[(Uuid, Uuid)],
) -> AppResult<HashMap<Uuid, EventHosts>> {
    let mut out: HashMap<Uuid, EventHosts> = events.iter().map(|(e, _)| (*e, EventHosts::default())).collect();
    let rows = group::Entity::find()
        .join(JoinType::InnerJoin, event_host::Relation::Group.def().rev())
        .column_as(event_host::Column::EventId, HostRow::EVENT)
        .column_as(event_host::Column::Confirmed, HostRow::CONFIRMED)
        .filter(event_host::Column::EventId.is_in(events.iter().map(|(e, _)| *e)))
        .order_by_asc(event_host::Column::EventId)
        .order_by_asc(event_host::Column::Position)
        .into_model::<HostRow>()
        .all(conn)
        .await?;
    for HostRow { event_id, confirmed, group: g } in rows {
        let Some(found) = out.get_mut(&event_id) else { continue };
        if confirmed {
            found.hosts.push(Arc::new(g));
        } else {
            found.invited.push(Arc::new(g));
        }
    }
    // No host rows: its group is its host.
    let unhosted: Vec<Uuid> =
        events.iter().filter(|(e, _)| out.get(e).is_some_and(|f| f.hosts.is_empty())).map(|(_, g)| *g).collect();
    if !unhosted.is_empty() {
        let own: HashMap<Uuid, Arc<group::Model>> =
            groups::load_many(conn, &unhosted).await?.into_iter().map(|g| (g.id, Arc::new(g))).collect();
        for (e, g) in events {
            if let (Some(found), Some(g)) = (out.get_mut(e), own.get(g)) {
                if found.hosts.is_empty() {
                    found.hosts.push(g.clone());
                }
            }
        }
    }
    Ok(out)
}

/// The host groups of one event, in order (the event page).
pub async fn hosts<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<Arc<group::Model>>> {
    Ok(hosts_and_invited_of_many(conn, &[(e.id, e.group_id)]).await?.remove(&e.id).unwrap_or_default().hosts)
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
