//! Reading registrations: the viewer's for many events, an event's for its hosts, a place on
//! the waitlist, and the events a member is going to.
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db::enums::RegistrationStatus;
use crate::db::{event, registration};
use crate::domain::events::rules::may_manage;
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The viewer's registrations for many events, in one query (`myRegistration` in lists).
pub async fn of_member_for_events<C: ConnectionTrait>(
    conn: &C,
    member_id: Uuid,
    event_ids: &[Uuid],
) -> AppResult<Vec<registration::Model>> {
    Ok(registration::Entity::find()
        .filter(registration::Column::MemberId.eq(member_id))
        .filter(registration::Column::EventId.is_in(event_ids.iter().copied()))
        .all(conn)
        .await?)
}

/// A registration's place on the waitlist (1 = next), while WAITLISTED.
pub async fn waitlist_position<C: ConnectionTrait>(conn: &C, r: &registration::Model) -> AppResult<Option<i32>> {
    use sea_orm::PaginatorTrait;
    let (RegistrationStatus::Waitlisted, Some(seq)) = (r.status, r.waitlist_seq) else { return Ok(None) };
    let ahead = registration::Entity::find()
        .filter(registration::Column::EventId.eq(r.event_id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Waitlisted))
        .filter(Condition::any().add(registration::Column::WaitlistSeq.lt(seq)).add(
            Condition::all().add(registration::Column::WaitlistSeq.eq(seq)).add(registration::Column::Id.lt(r.id)),
        ))
        .count(conn)
        .await?;
    Ok(Some(i32::try_from(ahead + 1).unwrap_or(i32::MAX)))
}

/// An event's registrations, for its hosts, optionally of one status, in registration order.
pub async fn list_for_hosts(
    state: &AppState,
    viewer: &Viewer,
    e: &event::Model,
    status: Option<RegistrationStatus>,
    page: PageRequest,
) -> AppResult<Page<registration::Model>> {
    if !may_manage(&state.db, viewer, e).await? {
        return Err(AppError::forbidden("only the event's hosts see its registrations"));
    }
    let mut cond = Condition::all().add(registration::Column::EventId.eq(e.id));
    if let Some(s) = status {
        cond = cond.add(registration::Column::Status.eq(s));
    }
    keyset(&state.db, registration::Entity::find().filter(cond), registration::Column::Id, page).await
}

/// A member's registrations, newest first by registration, for the member themself and
/// instance admins (`None` for anyone else): those of events that have not ended when
/// `upcoming`, of one status when given.
pub async fn of_member(
    state: &AppState,
    viewer: &Viewer,
    m: &crate::db::member::Model,
    upcoming: Option<bool>,
    status: Option<RegistrationStatus>,
    page: PageRequest,
) -> AppResult<Option<Page<registration::Model>>> {
    if !crate::domain::visibility::member_account_visible(m, viewer)? {
        return Ok(None);
    }
    let mut cond = Condition::all().add(registration::Column::MemberId.eq(m.id));
    if let Some(s) = status {
        cond = cond.add(registration::Column::Status.eq(s));
    }
    if let Some(upcoming) = upcoming {
        let ended = sea_orm::sea_query::Query::select()
            .column(event::Column::Id)
            .from(event::Entity)
            .and_where(event::Column::EndsAt.lt(chrono::Utc::now()))
            .to_owned();
        cond = cond.add(if upcoming {
            registration::Column::EventId.not_in_subquery(ended)
        } else {
            registration::Column::EventId.in_subquery(ended)
        });
    }
    Ok(Some(keyset(&state.db, registration::Entity::find().filter(cond), registration::Column::Id, page).await?))
}

/// A registration by id for its member or the event's hosts (`None` for anyone else).
pub async fn find_visible(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<registration::Model>> {
    let Some(me) = viewer.optional()? else { return Ok(None) };
    let Some(r) = registration::Entity::find_by_id(id).one(&state.db).await? else { return Ok(None) };
    if r.member_id == me.id || me.is_admin {
        return Ok(Some(r));
    }
    let Some(e) = event::Entity::find_by_id(r.event_id).one(&state.db).await? else { return Ok(None) };
    Ok(may_manage(&state.db, viewer, &e).await?.then_some(r))
}

/// Whether the member is GOING to the event (holds a seat).
pub async fn is_going<C: ConnectionTrait>(conn: &C, event_id: Uuid, member_id: Uuid) -> AppResult<bool> {
    Ok(registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::MemberId.eq(member_id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Going))
        .one(conn)
        .await?
        .is_some())
}

/// Events the member is GOING to (their personal calendar).
pub async fn going_event_ids<C: ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(registration::Entity::find()
        .filter(registration::Column::MemberId.eq(member_id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Going))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.event_id)
        .collect())
}
