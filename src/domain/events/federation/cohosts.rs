//! Co-hosts on other servers: our group's `Offer` to theirs and its answer, and their group's
//! `Offer` to ours, accepted when ours follows theirs.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use super::publishing::publish;
use super::receiving::{local_by_ap_id, receive, IncomingEvent};
use super::{prepare, Change};
use crate::ap::{activities, participation};
use crate::db::{self, event, event_host, group};
use crate::domain::actors::{ensure_keys, ApActor};
use crate::domain::events::lookup::lock;
use crate::domain::outbox::{self, Outgoing};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Before writing co-hosts (outside the transaction): whether any is on another server; if so,
/// the event's group's keys are made now, to sign the `Offer`s.
pub async fn prepare_offers(state: &AppState, group_id: Uuid, co_hosts: Option<&[Uuid]>) -> AppResult<bool> {
    let Some(ids) = co_hosts else { return Ok(false) };
    if !crate::domain::groups::load_many(&state.db, ids).await?.iter().any(|g| !g.local) {
        return Ok(false);
    }
    let g = group::Entity::find_by_id(group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    ensure_keys(state, ApActor::of_group(&state.db, g).await?).await?;
    Ok(true)
}

/// Invites the event's unconfirmed co-hosts on other servers: an `Offer` of the event from its
/// group to each (confirmed by their `Accept`), in the caller's transaction.
pub async fn offer_cohosts<C: ConnectionTrait>(conn: &C, state: &AppState, e: &event::Model) -> AppResult<()> {
    let Some(g) = group::Entity::find_by_id(e.group_id).one(conn).await? else { return Ok(()) };
    let pending: Vec<Uuid> = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(e.id))
        .filter(event_host::Column::Confirmed.eq(false))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.group_id)
        .collect();
    for co in crate::domain::groups::load_many(conn, &pending).await?.into_iter().filter(|c| !c.local) {
        let Some(inbox) = outbox::inbox_of(conn, co.id).await? else {
            continue;
        };
        let id = outbox::activity_id(state, "Offer");
        let payload = participation::offer_cohost(&id, &g.ap_id, &e.ap_id, &co.ap_id);
        outbox::enqueue(conn, state, Outgoing::from_group(&g, id, "Offer", payload, false, vec![inbox])).await?;
    }
    Ok(())
}

/// A group on another server invites one of our groups to co-host its event. Accepted when
/// the invited group follows the inviting one (a partnership both sides chose; it also keeps
/// the event current here through the inviter's `Update`s): the event is stored as a remote
/// event, listed among the invited group's events, and an `Accept` goes back in the same
/// transaction. Otherwise the invitation is declined with `Reject`.
pub async fn cohost_offered(
    state: &AppState,
    inviter: &group::Model,
    invited: &group::Model,
    offer_id: &str,
    ev: IncomingEvent,
) -> AppResult<bool> {
    let partners = crate::domain::follows::follows_group(&state.db, invited.id, inviter.id).await?;
    ensure_keys(state, ApActor::of_group(&state.db, invited.clone()).await?).await?;
    let e = if partners { Some(receive(state, inviter, ev).await?) } else { None };
    let event_ap_id = e.as_ref().map(|e| e.ap_id.clone());
    let txn = db::begin_write(&state.db).await?;
    if let Some(e) = &e {
        let exists = event_host::Entity::find()
            .filter(event_host::Column::EventId.eq(e.id))
            .filter(event_host::Column::GroupId.eq(invited.id))
            .one(&txn)
            .await?
            .is_some();
        if !exists {
            let position = event_host::Entity::find().filter(event_host::Column::EventId.eq(e.id)).count(&txn).await?;
            event_host::ActiveModel {
                id: Set(Uuid::now_v7()),
                event_id: Set(e.id),
                group_id: Set(invited.id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                confirmed: Set(true),
            }
            .insert(&txn)
            .await?;
        }
    }
    if let Some(inbox) = outbox::inbox_of(&txn, inviter.id).await? {
        let kind = if partners { activities::Kind::Accept } else { activities::Kind::Reject };
        let id = outbox::activity_id(state, kind.as_str());
        let object = event_ap_id.unwrap_or_default();
        let payload = participation::answer_offer(kind, &id, &invited.ap_id, offer_id, &inviter.ap_id, &object);
        outbox::enqueue(&txn, state, Outgoing::from_group(invited, id, kind.as_str(), payload, false, vec![inbox]))
            .await?;
    }
    txn.commit().await?;
    Ok(partners)
}

/// The invited group answered: an `Accept` confirms it as co-host (listed in `contributors`);
/// a `Reject` removes it from the hosts. Only the invited group's answer counts.
pub async fn cohost_answered(state: &AppState, responder: &str, event_ap_id: &str, accepted: bool) -> AppResult<bool> {
    let Some(e) = local_by_ap_id(state, event_ap_id).await? else { return Ok(false) };
    let Some(g) = group::Entity::find().filter(group::Column::ApId.eq(responder)).one(&state.db).await? else {
        return Ok(false);
    };
    let federates = prepare(state, &e).await?;
    let txn = db::begin_write(&state.db).await?;
    let Some(host) = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(e.id))
        .filter(event_host::Column::GroupId.eq(g.id))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    if accepted {
        let mut row: event_host::ActiveModel = host.into();
        row.confirmed = Set(true);
        row.update(&txn).await?;
    } else {
        event_host::Entity::delete_by_id(host.id).exec(&txn).await?;
    }
    if federates {
        let now = lock(&txn, e.id).await?;
        publish(&txn, state, &now, Change::Update, true).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, crate::bus::Change::Event { id: e.id }).await;
    Ok(true)
}
