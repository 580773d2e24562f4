//! Our members at events on other servers: a `Join` that waits for the group's answer, the
//! answer, and a `Leave`.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::ap::participation;
use crate::db::enums::{EventStatus, RegistrationStatus};
use crate::db::{self, event, group, member, registration};
use crate::domain::actors::{ensure_keys, ApActor};
use crate::domain::outbox::{self, Outgoing};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A local member registers for an event on another server: the registration waits
/// (REQUESTED) while a `Join` goes to the event's group; its `Accept` or `Reject` settles it
/// ([`join_answered`]). Seats are counted on the event's own server.
pub async fn join_remote(state: &AppState, me: &member::Model, e: &event::Model) -> AppResult<registration::Model> {
    if e.status == EventStatus::Cancelled {
        return Err(AppError::conflict("this event was cancelled; it takes no registrations"));
    }
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    let inbox = outbox::inbox_of(&state.db, g.id)
        .await?
        .ok_or_else(|| AppError::conflict("the event's group cannot be reached"))?;
    ensure_keys(state, ApActor::of_member(&state.db, me.clone()).await?).await?;
    let join_id = outbox::activity_id(state, "Join");
    let txn = db::begin_write(&state.db).await?;
    let existing = registration::Entity::find()
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::MemberId.eq(me.id))
        .one(&txn)
        .await?;
    if let Some(r) = &existing {
        if matches!(
            r.status,
            RegistrationStatus::Going | RegistrationStatus::Waitlisted | RegistrationStatus::Requested
        ) {
            return Ok(r.clone());
        }
    }
    let now = Utc::now();
    let saved = match existing {
        Some(r) => {
            let mut row: registration::ActiveModel = r.into();
            row.status = Set(RegistrationStatus::Requested);
            row.via_ap_id = Set(Some(join_id.clone()));
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            registration::ActiveModel {
                id: Set(Uuid::now_v7()),
                event_id: Set(e.id),
                member_id: Set(me.id),
                status: Set(RegistrationStatus::Requested),
                waitlist_seq: Set(None),
                message: Set(None),
                via_ap_id: Set(Some(join_id.clone())),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    let payload = participation::join(&join_id, &me.ap_id, &e.ap_id, &g.ap_id);
    outbox::enqueue(&txn, state, Outgoing::from_member(me, join_id, "Join", payload, false, vec![inbox])).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The group of a remote event answered one of our members' `Join`: the registration becomes
/// what it says (GOING unless `weave:status` says WAITLISTED or REQUESTED), or DECLINED.
/// Only that group may answer. Answers `false` when the id is no `Join` of ours.
pub async fn join_answered(
    state: &AppState,
    responder: &str,
    join_id: &str,
    accepted: bool,
    status: Option<&str>,
) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let Some(r) = registration::Entity::find().filter(registration::Column::ViaApId.eq(join_id)).one(&txn).await?
    else {
        return Ok(false);
    };
    let Some(e) = event::Entity::find_by_id(r.event_id).one(&txn).await? else { return Ok(false) };
    let g = group::Entity::find_by_id(e.group_id).one(&txn).await?;
    if e.local || g.is_none_or(|g| g.ap_id != responder) {
        return Err(AppError::forbidden("only the event's group may answer"));
    }
    let to = match (accepted, status) {
        (false, _) => RegistrationStatus::Declined,
        (true, Some("WAITLISTED")) => RegistrationStatus::Waitlisted,
        (true, Some("REQUESTED")) => RegistrationStatus::Requested,
        (true, _) => RegistrationStatus::Going,
    };
    let mut row: registration::ActiveModel = r.into();
    row.status = Set(to);
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    txn.commit().await?;
    state.bus.publish(&state.db, crate::bus::Change::Event { id: e.id }).await;
    Ok(true)
}

/// A local member cancels their registration for a remote event: a `Leave` goes to its group.
pub async fn leave_remote(state: &AppState, me: &member::Model, e: &event::Model) -> AppResult<registration::Model> {
    let r = registration::Entity::find()
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::MemberId.eq(me.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("registration"))?;
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    ensure_keys(state, ApActor::of_member(&state.db, me.clone()).await?).await?;
    let txn = db::begin_write(&state.db).await?;
    let mut row: registration::ActiveModel = r.into();
    row.status = Set(RegistrationStatus::Cancelled);
    row.updated_at = Set(Utc::now());
    let saved = row.update(&txn).await?;
    if let Some(inbox) = outbox::inbox_of(&state.db, g.id).await? {
        let id = outbox::activity_id(state, "Leave");
        let payload = participation::leave(&id, &me.ap_id, &e.ap_id, &g.ap_id);
        outbox::enqueue(&txn, state, Outgoing::from_member(me, id, "Leave", payload, false, vec![inbox])).await?;
    }
    txn.commit().await?;
    Ok(saved)
}
