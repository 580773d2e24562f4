//! Members' notifications, and the prompts that make them: after an event's last session ends,
//! its GOING registrants and its hosts are asked to reflect; when a learning question's review
//! is due, its owner is reminded. Each prompt is made once: a notification's `once_key` is
//! unique per member, so a round that runs twice (or again after a crash) adds nothing.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::bus::Change;
use crate::db::enums::{EventStatus, NotificationKind, QuestionStatus, RegistrationStatus, Role};
use crate::db::{self, event, learning_question, member, membership, notification, registration};
use crate::domain::pagination::{keyset_newest, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::error::AppResult;
use crate::state::AppState;

/// Events that ended longer ago than this are not prompted for any more.
const PROMPT_WINDOW_DAYS: i64 = 14;
/// Events (the latest to end first) and questions (the longest due first) one round looks at.
const ROUND: u64 = 200;

/// A page of the viewer's notifications, newest first.
pub async fn notifications(
    state: &AppState,
    viewer: &Viewer,
    page: PageRequest,
) -> AppResult<Page<notification::Model>> {
    let me = viewer.active_member()?;
    keyset_newest(
        &state.db,
        notification::Entity::find().filter(notification::Column::MemberId.eq(me.id)),
        notification::Column::Id,
        page,
    )
    .await
}

pub async fn unread_count(state: &AppState, viewer: &Viewer) -> AppResult<u64> {
    let me = viewer.active_member()?;
    Ok(notification::Entity::find()
        .filter(notification::Column::MemberId.eq(me.id))
        .filter(notification::Column::ReadAt.is_null())
        .count(&state.db)
        .await?)
}

/// Marks the viewer's notifications read (these, or all of them); answers how many were unread.
pub async fn mark_read(state: &AppState, viewer: &Viewer, ids: Option<Vec<Uuid>>) -> AppResult<u64> {
    let me = viewer.active_member()?;
    let mut q = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::MemberId.eq(me.id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        q = q.filter(notification::Column::Id.is_in(ids));
    }
    Ok(q.exec(&state.db).await?.rows_affected)
}

/// One prompting round as of `now`: reflection prompts for events that ended, reminders for
/// reviews that are due. Answers how many notifications it made.
pub async fn prompt_once(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let mut made = 0;
    let ended = event::Entity::find()
        .filter(event::Column::Local.eq(true))
        .filter(event::Column::Status.eq(EventStatus::Published))
        .filter(event::Column::EndsAt.lte(now))
        .filter(event::Column::EndsAt.gt(now - Duration::days(PROMPT_WINDOW_DAYS)))
        .order_by_desc(event::Column::EndsAt)
        .limit(ROUND)
        .all(&state.db)
        .await?;
    for e in ended {
        let key = format!("prompt:{}", e.id);
        let people = participants(&state.db, &e).await?;
        let kinds = (NotificationKind::ReflectionPrompt, Some(crate::domain::mail::MailKind::ReflectionPrompt));
        made += insert_once(state, kinds, people, Some(e.id), None, &key, now).await?.len();
        made += prompt_elsewhere(state, &e, &key, now).await?;
    }
    let due = learning_question::Entity::find()
        .filter(learning_question::Column::Local.eq(true))
        .filter(learning_question::Column::Status.eq(QuestionStatus::Open))
        .filter(learning_question::Column::NextReviewAt.lte(now))
        .filter(learning_question::Column::OwnerId.is_not_null())
        .order_by_asc(learning_question::Column::NextReviewAt)
        .limit(ROUND)
        .all(&state.db)
        .await?;
    for q in due {
        let (Some(owner), Some(at)) = (q.owner_id, q.next_review_at) else { continue };
        let key = format!("review:{}:{}", q.id, at.timestamp());
        made += insert_once(state, (NotificationKind::ReviewDue, None), vec![owner], None, Some(q.id), &key, now)
            .await?
            .len();
    }
    Ok(made)
}

/// Who is asked to reflect on an event: its local GOING registrants, its organizer, and its
/// group's moderators (the hosts who run it).
async fn participants<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<Uuid>> {
    let going: Vec<Uuid> = registration::Entity::find()
        .select_only()
        .column(registration::Column::MemberId)
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Going))
        .into_tuple()
        .all(conn)
        .await?;
    let hosts: Vec<Uuid> = membership::Entity::find()
        .select_only()
        .column(membership::Column::MemberId)
        .filter(membership::Column::GroupId.eq(e.group_id))
        .filter(membership::Column::Role.is_in([Role::Moderator, Role::Admin, Role::Owner]))
        .into_tuple()
        .all(conn)
        .await?;
    let mut people: Vec<Uuid> = going.into_iter().chain(hosts).chain(e.organizer_id).collect();
    people.sort();
    people.dedup();
    // Local members only: people elsewhere are asked on their own server (a direct Note).
    Ok(member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .filter(member::Column::Id.is_in(people))
        .filter(member::Column::Local.eq(true))
        .into_tuple()
        .all(conn)
        .await?)
}

/// The people elsewhere who were GOING to an event get the group's direct Note asking how it
/// went (`replies`), once: the notification row under the same key records that it was sent,
/// in the transaction that enqueues the Note.
async fn prompt_elsewhere(state: &AppState, e: &event::Model, key: &str, now: DateTime<Utc>) -> AppResult<usize> {
    let going: Vec<Uuid> = registration::Entity::find()
        .select_only()
        .column(registration::Column::MemberId)
        .filter(registration::Column::EventId.eq(e.id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Going))
        .into_tuple()
        .all(&state.db)
        .await?;
    // Those not asked yet, a round's worth at a time.
    let asked = sea_orm::sea_query::Query::select()
        .column(notification::Column::MemberId)
        .from(notification::Entity)
        .and_where(notification::Column::OnceKey.eq(key))
        .to_owned();
    let new = member::Entity::find()
        .filter(member::Column::Id.is_in(going))
        .filter(member::Column::Local.eq(false))
        .filter(member::Column::Id.not_in_subquery(asked))
        .limit(ROUND)
        .all(&state.db)
        .await?;
    if new.is_empty() {
        return Ok(0);
    }
    // The group signs the Notes: its keys first (outside the write transaction).
    let g = crate::domain::groups::get(&state.db, e.group_id).await?;
    crate::domain::actors::ensure_keys(state, crate::domain::actors::ApActor::of_group(&state.db, g).await?).await?;
    let url = e.url.clone().unwrap_or_else(|| e.ap_id.clone());
    let mut sent = 0;
    for person in new {
        let txn = db::begin_write(&state.db).await?;
        let inserted = notification::Entity::insert(row(
            person.id,
            NotificationKind::ReflectionPrompt,
            About { event: Some(e.id), ..About::default() },
            key.to_owned(),
            now,
        ))
        .on_conflict(
            OnConflict::columns([notification::Column::MemberId, notification::Column::OnceKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if inserted == 1 {
            let note = super::prompt_url(state, e.id, person.id);
            let text = format!("{} {}:", super::replies::PROMPT, e.title);
            crate::domain::events::federation::direct_note(&txn, state, e, &person, Some(note), &url, &text).await?;
            sent += 1;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// Adds one notification per member under `key` unless they have it, with its mail when the
/// kind has one; tells the live subscribers of those who got one. Answers who got one.
async fn insert_once(
    state: &AppState,
    (kind, mail): (NotificationKind, Option<crate::domain::mail::MailKind>),
    members: Vec<Uuid>,
    event_id: Option<Uuid>,
    question_id: Option<Uuid>,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<Uuid>> {
    if members.is_empty() {
        return Ok(vec![]);
    }
    let txn = db::begin_write(&state.db).await?;
    let had: Vec<Uuid> = notification::Entity::find()
        .select_only()
        .column(notification::Column::MemberId)
        .filter(
            Condition::all()
                .add(notification::Column::OnceKey.eq(key))
                .add(notification::Column::MemberId.is_in(members.clone())),
        )
        .into_tuple()
        .all(&txn)
        .await?;
    let new: Vec<Uuid> = members.into_iter().filter(|m| !had.contains(m)).collect();
    if new.is_empty() {
        return Ok(new);
    }
    let rows = new.iter().map(|m| {
        row(*m, kind, About { event: event_id, question: question_id, ..About::default() }, key.to_owned(), now)
    });
    // A concurrent round (another replica) may have made some: those are skipped.
    notification::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([notification::Column::MemberId, notification::Column::OnceKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    // The mail that goes with it, in the same transaction (`domain::mail` makes it once).
    if let Some(kind) = mail {
        for m in &new {
            crate::domain::mail::queue(&txn, state, *m, kind, None, event_id, key.to_owned()).await?;
        }
    }
    txn.commit().await?;
    for m in &new {
        state.bus.publish(&state.db, Change::Notified { member: *m }).await;
    }
    Ok(new)
}

/// Runs a prompting round every `prompt_interval_secs`, for as long as the process lives.
pub fn spawn_prompts(state: crate::state::State) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(state.config.prompt_interval_secs.max(1)));
        loop {
            tick.tick().await;
            if let Err(e) = prompt_once(&state, Utc::now()).await {
                tracing::warn!(error = ?e, "prompting round");
            }
            if let Err(e) = crate::domain::mail::remind_due(&state, Utc::now()).await {
                tracing::warn!(error = ?e, "queueing event reminders");
            }
        }
    });
}

/// What a notification is about: the one of these its kind names.
#[derive(Clone, Copy, Debug, Default)]
pub struct About {
    pub event: Option<Uuid>,
    pub question: Option<Uuid>,
    pub invitation: Option<Uuid>,
    pub report: Option<Uuid>,
}

/// A new, unread notification: the one shape every kind is written in. `once_key` makes it
/// once per member (inserts skip a repeat).
pub fn row(
    member_id: Uuid,
    kind: NotificationKind,
    about: About,
    once_key: String,
    at: DateTime<Utc>,
) -> notification::ActiveModel {
    notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        member_id: Set(member_id),
        kind: Set(kind),
        event_id: Set(about.event),
        question_id: Set(about.question),
        invitation_id: Set(about.invitation),
        report_id: Set(about.report),
        once_key: Set(once_key),
        read_at: Set(None),
        created_at: Set(at),
    }
}

/// Tells an invited member, in the invitation's transaction (once per invitation made: a new
/// invitation after a decline is news again). The caller tells live subscribers after commit.
pub async fn notify_invited<C: sea_orm::ConnectionTrait>(
    txn: &C,
    invitation: &crate::db::group_invitation::Model,
) -> AppResult<()> {
    notification::Entity::insert(row(
        invitation.member_id,
        NotificationKind::GroupInvitation,
        About { invitation: Some(invitation.id), ..About::default() },
        format!("invitation:{}:{}", invitation.id, invitation.created_at.timestamp_micros()),
        invitation.created_at,
    ))
    .on_conflict(
        OnConflict::columns([notification::Column::MemberId, notification::Column::OnceKey]).do_nothing().to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
