//! Registration for events: seats, the waitlist, and held seats on request.
//!
//! The seat invariant `seats_taken + held_seats <= capacity` is kept by conditional updates of
//! the event row inside the registration's transaction: an update that would break it changes
//! no row. On SQLite the transaction holds the write lock from its start (`BEGIN IMMEDIATE`);
//! on PostgreSQL the event row is locked first. Either way no event is ever oversold, however
//! many members register at once.
//!
//! This file takes and gives back seats; `lists` reads registrations (the viewer's, the
//! hosts' list, the waitlist place) and `attendance` counts who is going without naming anyone.
//! (A little over 400 lines: the seat transactions share their conditional updates and are
//! read together.)
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::bus::Change;
use crate::db::enums::{EventStatus, RegistrationStatus};
use crate::db::{self, event, member, registration};
use crate::domain::events;
use crate::domain::events::federation::{self, Via};
use crate::domain::mail::{self, MailKind};
use crate::domain::validate;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

mod attendance;
mod lists;

pub use attendance::{attendance, Attendance, ATTENDANCE_THRESHOLD, OTHER};
pub use lists::{
    find_visible, going_event_ids, is_going, list_for_hosts, of_member, of_member_for_events, waitlist_position,
};

/// Why a registration cannot be taken now, if it cannot.
fn closed_reason(e: &event::Model, now: chrono::DateTime<Utc>) -> Option<&'static str> {
    match e.status {
        EventStatus::Cancelled => Some("this event was cancelled; it takes no registrations"),
        EventStatus::Draft => Some("this event is not published yet"),
        EventStatus::Published => {
            let closes = e.registration_closes_at.unwrap_or(e.ends_at);
            (now >= closes).then_some("registration for this event is closed")
        }
    }
}

/// Whether `me` may register for the event now: signed in and active, it takes registrations
/// (published, not closed), they hold no live registration, and a seat, a held seat or a waitlist place is left. What
/// [`register`] would refuse, asked ahead (a race may still fill the last seat).
pub fn may_register(
    me: Option<&member::Model>,
    e: &event::Model,
    mine: Option<&registration::Model>,
    now: chrono::DateTime<Utc>,
) -> bool {
    let Some(me) = me else { return false };
    if me.status != crate::db::enums::MemberStatus::Active || closed_reason(e, now).is_some() {
        return false;
    }
    if mine.is_some_and(|r| {
        matches!(r.status, RegistrationStatus::Going | RegistrationStatus::Waitlisted | RegistrationStatus::Requested)
    }) {
        return false;
    }
    let seat = e.capacity.is_none_or(|c| e.seats_taken + e.held_seats < c);
    seat || e.held_seats > 0 || e.waitlist_enabled
}

/// One conditional update of the event's counters: `true` when the row matched.
async fn bump<C: ConnectionTrait>(
    conn: &C,
    event_id: Uuid,
    changes: &[(event::Column, i32)],
    condition: Condition,
) -> AppResult<bool> {
    let mut q = event::Entity::update_many();
    for (col, delta) in changes {
        q = q.col_expr(*col, Expr::col(*col).add(*delta));
    }
    let n = q.filter(event::Column::Id.eq(event_id)).filter(condition).exec(conn).await?.rows_affected;
    Ok(n == 1)
}

/// An open seat is left: `capacity IS NULL OR seats_taken + held_seats < capacity`.
fn open_seat() -> Condition {
    Condition::any().add(event::Column::Capacity.is_null()).add(
        Expr::col(event::Column::SeatsTaken)
            .add(Expr::col(event::Column::HeldSeats))
            .lt(Expr::col(event::Column::Capacity)),
    )
}

fn next_seq() -> i64 {
    Utc::now().timestamp_micros()
}

/// Registers the viewer: GOING while open seats are left; else REQUESTED (a request for one of
/// the seats the hosts hold back, with `message`) while held seats remain; else WAITLISTED when
/// the event has a waitlist; else CONFLICT. Registering again answers the live registration.
pub async fn rsvp(
    state: &AppState,
    viewer: &Viewer,
    event_id: Uuid,
    message: Option<String>,
) -> AppResult<registration::Model> {
    let me = viewer.active_member()?.clone();
    let message = validate::text("message", message.as_deref(), 1000)?;
    // Visibility first: a hidden event is not found.
    let e = events::get(state, viewer, event_id).await?;
    if !e.local {
        return federation::join_remote(state, &me, &e).await;
    }
    register(state, &me, &e, message, Via::Local).await
}

/// The one way a seat is taken: a local member's `rsvp`, a remote person's `Join` or a vote
/// in the event's poll (`via`; remote ones are answered in the same transaction). The event's
/// followers elsewhere hear of the new seat count. Refusals are errors; the caller answers
/// them (`federation::refuse`). `before` is the event as the caller read it; seats are
/// counted on the row locked in the transaction.
pub async fn register(
    state: &AppState,
    me: &member::Model,
    before: &event::Model,
    message: Option<String>,
    via: Via<'_>,
) -> AppResult<registration::Model> {
    let event_id = before.id;
    let federates = federation::prepare(state, before).await?;
    if !matches!(via, Via::Local) {
        federation::prepare_answer(state, before).await?;
    }
    let txn = db::begin_write(&state.db).await?;
    let e = events::lock(&txn, event_id).await?;
    if let Some(why) = closed_reason(&e, Utc::now()) {
        return Err(AppError::conflict(why));
    }
    let existing = registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::MemberId.eq(me.id))
        .one(&txn)
        .await?;
    if let Some(r) = &existing {
        if matches!(
            r.status,
            RegistrationStatus::Going | RegistrationStatus::Waitlisted | RegistrationStatus::Requested
        ) {
            if !matches!(via, Via::Local) {
                // A repeated Join (or vote) is answered again.
                federation::answer(&txn, state, &e, me, via, Some(r.status), None).await?;
                txn.commit().await?;
            }
            return Ok(r.clone());
        }
    }
    let (status, seq) = if over_domain_share(&txn, state, &e, me).await? {
        // One server has taken its share of the seats: the hosts review the rest.
        bump(&txn, event_id, &[(event::Column::RequestCount, 1)], Condition::all()).await?;
        (RegistrationStatus::Requested, None)
    } else if bump(&txn, event_id, &[(event::Column::SeatsTaken, 1)], open_seat()).await? {
        (RegistrationStatus::Going, None)
    } else if bump(
        &txn,
        event_id,
        &[(event::Column::RequestCount, 1)],
        Condition::all().add(event::Column::HeldSeats.gt(0)),
    )
    .await?
    {
        (RegistrationStatus::Requested, None)
    } else if bump(
        &txn,
        event_id,
        &[(event::Column::WaitlistCount, 1)],
        Condition::all().add(event::Column::WaitlistEnabled.eq(true)),
    )
    .await?
    {
        (RegistrationStatus::Waitlisted, Some(next_seq()))
    } else {
        return Err(AppError::conflict("this event is full and has no waitlist"));
    };
    let now = Utc::now();
    let saved = match existing {
        Some(r) => {
            let mut row: registration::ActiveModel = r.into();
            row.status = Set(status);
            row.waitlist_seq = Set(seq);
            row.message = Set(message);
            row.via_ap_id = Set(via.ap_id());
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            registration::ActiveModel {
                id: Set(Uuid::now_v7()),
                event_id: Set(event_id),
                member_id: Set(me.id),
                status: Set(status),
                waitlist_seq: Set(seq),
                message: Set(message),
                via_ap_id: Set(via.ap_id()),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    federation::answer(&txn, state, &e, me, via, Some(saved.status), None).await?;
    if me.local {
        let key = format!("registration:{}:{}", saved.id, saved.updated_at.timestamp_micros());
        mail::queue(&txn, state, me.id, MailKind::Registration, Some(&saved), None, key).await?;
    }
    if federates {
        let now = events::lock(&txn, event_id).await?;
        federation::publish(&txn, state, &now, federation::Change::Update, true).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Event { id: event_id }).await;
    Ok(saved)
}

/// The most seats of an event that people of one other server may hold at once: the larger of
/// `remote_domain_seats` and `remote_domain_seat_percent` of its capacity (`None`: no cap, the
/// event has no capacity).
pub fn domain_share(state: &AppState, e: &event::Model) -> Option<i64> {
    let capacity = i64::from(e.capacity?);
    let percent = (capacity * i64::from(state.config.remote_domain_seat_percent)).div_euclid(100);
    Some(std::cmp::max(i64::from(state.config.remote_domain_seats), percent))
}

/// Whether a remote person's server already holds its share of the event's seats (GOING and
/// waitlisted), so that one server cannot take every seat through many new accounts. Counted
/// inside the registration's transaction, on the locked event.
async fn over_domain_share<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    e: &event::Model,
    me: &member::Model,
) -> AppResult<bool> {
    use sea_orm::PaginatorTrait;
    let (false, Some(domain), Some(share)) = (me.local, me.domain.as_deref(), domain_share(state, e)) else {
        return Ok(false);
    };
    let same_server = sea_orm::sea_query::Query::select()
        .column(member::Column::Id)
        .from(member::Entity)
        .and_where(Expr::col(member::Column::Domain).eq(domain))
        .to_owned();
    let held = registration::Entity::find()
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::Status.is_in([RegistrationStatus::Going, RegistrationStatus::Waitlisted]))
        .filter(registration::Column::MemberId.in_subquery(same_server))
        .count(conn)
        .await?;
    Ok(i64::try_from(held).unwrap_or(i64::MAX) >= share)
}

/// Cancels the viewer's registration; a freed seat goes to the first on the waitlist.
pub async fn cancel(state: &AppState, viewer: &Viewer, event_id: Uuid) -> AppResult<registration::Model> {
    let me = viewer.member()?.clone();
    let e = events::get(state, viewer, event_id).await?;
    if !e.local {
        return federation::leave_remote(state, &me, &e).await;
    }
    release(state, me.id, &e).await
}

/// Gives a member's seat (or place, or request) back: a local `cancelRsvp`, a remote `Leave`.
pub async fn release(state: &AppState, member_id: Uuid, before: &event::Model) -> AppResult<registration::Model> {
    let event_id = before.id;
    let federates = federation::prepare(state, before).await?;
    let txn = db::begin_write(&state.db).await?;
    let r = registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::MemberId.eq(member_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("registration"))?;
    let saved = withdraw(&txn, state, r).await?;
    if federates {
        let now = events::lock(&txn, event_id).await?;
        federation::publish(&txn, state, &now, federation::Change::Update, true).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Event { id: event_id }).await;
    Ok(saved)
}

/// Cancels one registration in the caller's transaction: its seat (or its place on the
/// waitlist, or its request) is released, and a freed seat goes to the waitlist.
async fn withdraw<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    r: registration::Model,
) -> AppResult<registration::Model> {
    let event_id = r.event_id;
    events::lock(conn, event_id).await?;
    // Re-read under the lock: another request may have moved it meanwhile.
    let r =
        registration::Entity::find_by_id(r.id).one(conn).await?.ok_or_else(|| AppError::not_found("registration"))?;
    let released = match r.status {
        RegistrationStatus::Going => Some(event::Column::SeatsTaken),
        RegistrationStatus::Waitlisted => Some(event::Column::WaitlistCount),
        RegistrationStatus::Requested => Some(event::Column::RequestCount),
        RegistrationStatus::Cancelled | RegistrationStatus::Declined => None,
    };
    let Some(counter) = released else { return Ok(r) };
    bump(conn, event_id, &[(counter, -1)], Condition::all()).await?;
    let mut row: registration::ActiveModel = r.into();
    row.status = Set(RegistrationStatus::Cancelled);
    row.waitlist_seq = Set(None);
    row.updated_at = Set(Utc::now());
    let saved = row.update(conn).await?;
    promote_waitlist(conn, state, event_id).await?;
    Ok(saved)
}

/// Withdraws every live registration of a member (their account is going away), in the
/// caller's transaction; answers the events whose seats changed.
pub async fn withdraw_all<C: ConnectionTrait>(conn: &C, state: &AppState, member_id: Uuid) -> AppResult<Vec<Uuid>> {
    let live = registration::Entity::find()
        .filter(registration::Column::MemberId.eq(member_id))
        .filter(registration::Column::Status.is_in([
            RegistrationStatus::Going,
            RegistrationStatus::Waitlisted,
            RegistrationStatus::Requested,
        ]))
        .all(conn)
        .await?;
    let mut events = Vec::with_capacity(live.len());
    for r in live {
        events.push(r.event_id);
        withdraw(conn, state, r).await?;
    }
    Ok(events)
}

/// Moves waitlisted registrations, oldest first, into open seats. Runs in the transaction of
/// the change that freed seats; each promoted member is mailed.
pub async fn promote_waitlist<C: ConnectionTrait>(conn: &C, state: &AppState, event_id: Uuid) -> AppResult<u32> {
    let mut promoted = 0;
    loop {
        let Some(next) = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event_id))
            .filter(registration::Column::Status.eq(RegistrationStatus::Waitlisted))
            .order_by_asc(registration::Column::WaitlistSeq)
            .order_by_asc(registration::Column::Id)
            .one(conn)
            .await?
        else {
            return Ok(promoted);
        };
        if !bump(conn, event_id, &[(event::Column::SeatsTaken, 1), (event::Column::WaitlistCount, -1)], open_seat())
            .await?
        {
            return Ok(promoted);
        }
        let mut row: registration::ActiveModel = next.into();
        row.status = Set(RegistrationStatus::Going);
        row.waitlist_seq = Set(None);
        row.updated_at = Set(Utc::now());
        let moved = row.update(conn).await?;
        let key = format!("promoted:{}:{}", moved.id, moved.updated_at.timestamp_micros());
        mail::queue(conn, state, moved.member_id, MailKind::WaitlistPromotion, Some(&moved), None, key).await?;
        promoted += 1;
    }
}

/// Hosts answer a request: granted, it takes an open seat if one is left, else one of the
/// seats they hold, and is GOING; declined, it is DECLINED. (Requests come for held seats when
/// the rest are gone, and from servers that reached their share of the seats.)
pub async fn review(
    state: &AppState,
    viewer: &Viewer,
    registration_id: Uuid,
    grant: bool,
) -> AppResult<registration::Model> {
    viewer.active_member()?;
    let r = registration::Entity::find_by_id(registration_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("registration"))?;
    let e = events::get(state, viewer, r.event_id).await.map_err(|_| AppError::not_found("registration"))?;
    if !events::may_manage(&state.db, viewer, &e).await? {
        return Err(AppError::forbidden("only the event's hosts may answer seat requests"));
    }
    let txn = db::begin_write(&state.db).await?;
    events::lock(&txn, e.id).await?;
    let r = registration::Entity::find_by_id(registration_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("registration"))?;
    if r.status != RegistrationStatus::Requested {
        return Err(AppError::conflict("this registration is not a pending seat request"));
    }
    let status = if grant {
        let took = bump(&txn, e.id, &[(event::Column::SeatsTaken, 1), (event::Column::RequestCount, -1)], open_seat())
            .await?
            || bump(
                &txn,
                e.id,
                &[(event::Column::HeldSeats, -1), (event::Column::SeatsTaken, 1), (event::Column::RequestCount, -1)],
                Condition::all().add(event::Column::HeldSeats.gt(0)),
            )
            .await?;
        if !took {
            return Err(AppError::conflict("no seats are left to grant"));
        }
        RegistrationStatus::Going
    } else {
        bump(&txn, e.id, &[(event::Column::RequestCount, -1)], Condition::all()).await?;
        RegistrationStatus::Declined
    };
    let mut row: registration::ActiveModel = r.into();
    row.status = Set(status);
    row.updated_at = Set(Utc::now());
    let saved = row.update(&txn).await?;
    let key = format!("held:{}:{}", saved.id, saved.updated_at.timestamp_micros());
    mail::queue(&txn, state, saved.member_id, MailKind::HeldSeat, Some(&saved), None, key).await?;
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Event { id: e.id }).await;
    Ok(saved)
}

/// Undoes the registration a remote `Join` or poll vote (`ap_id`) made, if there is one.
pub async fn release_by_via(state: &AppState, member_id: Uuid, ap_id: &str) -> AppResult<bool> {
    let Some(r) = registration::Entity::find()
        .filter(registration::Column::MemberId.eq(member_id))
        .filter(registration::Column::ViaApId.eq(ap_id))
        .one(&state.db)
        .await?
    else {
        return Ok(false);
    };
    let Some(e) = events::load_many(&state.db, &[r.event_id]).await?.pop() else { return Ok(false) };
    match release(state, member_id, &e).await {
        Ok(_) | Err(AppError::NotFound(_)) => Ok(true),
        Err(other) => Err(other),
    }
}
