//! Mail to members, the domain's part: which mails are queued when (each in the transaction of
//! what it tells of, once per member and subject), which kinds a member turned off, and the
//! one-click unsubscribe tokens. Without `WEAVE_SMTP_URL` nothing is queued. The mails are
//! composed and sent later by `crate::mail`, from what is true then.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveEnum as _, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::db::enums::MailKind;
use crate::db::enums::{EventStatus, MailState, RegistrationStatus};
use crate::db::{event, mail, member, registration};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every kind, in the order settings list them.
pub const KINDS: [MailKind; 6] = [
    MailKind::Registration,
    MailKind::WaitlistPromotion,
    MailKind::HeldSeat,
    MailKind::Reminder,
    MailKind::EventChange,
    MailKind::ReflectionPrompt,
];

/// Events reminded of per round.
const REMINDER_ROUND: u64 = 200;

/// Whether mail is sent at all.
pub fn enabled(state: &AppState) -> bool {
    state.config.smtp_url.is_some()
}

fn new_row(
    member_id: Uuid,
    kind: MailKind,
    event_id: Option<Uuid>,
    registration_id: Option<Uuid>,
    key: String,
) -> mail::ActiveModel {
    let now = Utc::now();
    mail::ActiveModel {
        id: Set(Uuid::now_v7()),
        member_id: Set(member_id),
        kind: Set(kind),
        event_id: Set(event_id),
        registration_id: Set(registration_id),
        dedupe_key: Set(key),
        secret_link: Set(None),
        state: Set(MailState::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
}

async fn insert_once<C: ConnectionTrait>(conn: &C, rows: Vec<mail::ActiveModel>) -> AppResult<()> {
    for chunk in rows.chunks(500) {
        mail::Entity::insert_many(chunk.to_vec())
            .on_conflict(OnConflict::columns([mail::Column::MemberId, mail::Column::DedupeKey]).do_nothing().to_owned())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Queues one mail to a local member, in the caller's transaction; a second one under the same
/// `key` is not queued.
pub async fn queue<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    member_id: Uuid,
    kind: MailKind,
    registration: Option<&registration::Model>,
    event_id: Option<Uuid>,
    key: String,
) -> AppResult<()> {
    if !enabled(state) {
        return Ok(());
    }
    let local = member::Entity::find_by_id(member_id).one(conn).await?.is_some_and(|m| m.local && m.email.is_some());
    if !local {
        return Ok(());
    }
    let event_id = registration.map(|r| r.event_id).or(event_id);
    insert_once(conn, vec![new_row(member_id, kind, event_id, registration.map(|r| r.id), key)]).await
}

/// Queues a password reset mail carrying `link` (at most one per member in `key`'s window).
pub async fn queue_reset<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    member_id: Uuid,
    link: String,
    key: String,
) -> AppResult<()> {
    if !enabled(state) {
        return Ok(());
    }
    let mut row = new_row(member_id, MailKind::PasswordReset, None, None, key);
    row.secret_link = Set(Some(link));
    insert_once(conn, vec![row]).await
}

/// Queues a mail to each local registrant of an event whose registration is live (going,
/// waitlisted or requested), in the caller's transaction.
pub async fn queue_registrants<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    event_id: Uuid,
    kind: MailKind,
    key: &str,
) -> AppResult<()> {
    if !enabled(state) {
        return Ok(());
    }
    let local = Query::select()
        .column(member::Column::Id)
        .from(member::Entity)
        .and_where(member::Column::Local.eq(true))
        .to_owned();
    let live = [RegistrationStatus::Going, RegistrationStatus::Waitlisted, RegistrationStatus::Requested];
    let registrants: Vec<(Uuid, Uuid)> = registration::Entity::find()
        .select_only()
        .column(registration::Column::MemberId)
        .column(registration::Column::Id)
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::Status.is_in(live))
        .filter(registration::Column::MemberId.in_subquery(local))
        .into_tuple()
        .all(conn)
        .await?;
    let rows =
        registrants.into_iter().map(|(m, r)| new_row(m, kind, Some(event_id), Some(r), key.to_string())).collect();
    insert_once(conn, rows).await
}

/// Queues the reminders of events whose first session starts within a day (once per event and
/// start). Called by the background round; answers how many events were reminded of.
pub async fn remind_due(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    if !enabled(state) {
        return Ok(0);
    }
    let soon = event::Entity::find()
        .filter(event::Column::Local.eq(true))
        .filter(event::Column::Status.eq(EventStatus::Published))
        .filter(event::Column::StartsAt.gt(now))
        .filter(event::Column::StartsAt.lte(now + Duration::hours(24)))
        .order_by_asc(event::Column::StartsAt)
        .limit(REMINDER_ROUND)
        .all(&state.db)
        .await?;
    for e in &soon {
        let key = format!("reminder:{}:{}", e.id, e.starts_at.timestamp());
        queue_registrants(&state.db, state, e.id, MailKind::Reminder, &key).await?;
    }
    Ok(soon.len())
}

/// Mails waiting to be sent, and given up on (for operators).
pub async fn queue_counts(state: &AppState) -> AppResult<(u64, u64)> {
    use sea_orm::PaginatorTrait;
    let count = |s: MailState| mail::Entity::find().filter(mail::Column::State.eq(s)).count(&state.db);
    Ok((count(MailState::Pending).await?, count(MailState::Failed).await?))
}

fn kind_name(kind: MailKind) -> String {
    kind.to_value()
}

/// Whether the member turned this kind of mail off.
pub fn is_off(m: &member::Model, kind: MailKind) -> bool {
    let name = kind_name(kind);
    m.mail_off.split(',').any(|k| k == name)
}

/// Turns kinds of mail on or off for the signed-in member.
pub async fn set(state: &AppState, viewer: &Viewer, changes: &[(MailKind, bool)]) -> AppResult<member::Model> {
    let me = viewer.member()?;
    let txn = crate::db::begin_write(&state.db).await?;
    let m = member::Entity::find_by_id(me.id).one(&txn).await?.ok_or_else(|| AppError::not_found("member"))?;
    let saved = write_off(&txn, m, changes).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn write_off<C: ConnectionTrait>(
    conn: &C,
    m: member::Model,
    changes: &[(MailKind, bool)],
) -> AppResult<member::Model> {
    let off: Vec<String> = KINDS
        .into_iter()
        .filter(|k| match changes.iter().rev().find(|(c, _)| c == k) {
            Some((_, on)) => !on,
            None => is_off(&m, *k),
        })
        .map(kind_name)
        .collect();
    let mut row: member::ActiveModel = m.into();
    row.mail_off = Set(off.join(","));
    Ok(row.update(conn).await?)
}

/// What an unsubscribe link carries: whose mail of which kind; signed with the instance's secret.
#[derive(Serialize, Deserialize)]
struct Unsubscribe {
    sub: Uuid,
    kind: String,
    aud: String,
}

const UNSUBSCRIBE_AUDIENCE: &str = "weave-unsubscribe";

/// The one-click unsubscribe address of a member's mails of one kind (RFC 8058).
pub fn unsubscribe_url(state: &AppState, member_id: Uuid, kind: MailKind) -> AppResult<String> {
    use jsonwebtoken::{encode, EncodingKey, Header};
    use secrecy::ExposeSecret as _;
    let claims = Unsubscribe { sub: member_id, kind: kind_name(kind), aud: UNSUBSCRIBE_AUDIENCE.into() };
    let key = EncodingKey::from_secret(state.config.jwt_secret.expose_secret().as_bytes());
    let token = encode(&Header::default(), &claims, &key).map_err(AppError::internal)?;
    Ok(format!("{}/mail/unsubscribe?token={token}", state.base_url()))
}

/// Reads an unsubscribe token: whose and which kind; BAD_USER_INPUT when it is not one of ours.
fn read_token(state: &AppState, token: &str) -> AppResult<(Uuid, MailKind)> {
    use jsonwebtoken::{decode, DecodingKey, Validation};
    use secrecy::ExposeSecret as _;
    let bad = || AppError::bad_input("token", "this unsubscribe link is not valid");
    let mut validation = Validation::default();
    validation.set_audience(&[UNSUBSCRIBE_AUDIENCE]);
    validation.set_required_spec_claims(&["sub", "aud"]);
    validation.validate_exp = false;
    let key = DecodingKey::from_secret(state.config.jwt_secret.expose_secret().as_bytes());
    let claims = decode::<Unsubscribe>(token, &key, &validation).map_err(|_| bad())?.claims;
    let kind = KINDS.into_iter().find(|k| kind_name(*k) == claims.kind).ok_or_else(bad)?;
    Ok((claims.sub, kind))
}

/// Whose mail of which kind a token stops (to show before the member confirms).
pub fn describe_token(state: &AppState, token: &str) -> AppResult<MailKind> {
    Ok(read_token(state, token)?.1)
}

/// One-click unsubscribe: turns the token's kind of mail off for its member.
pub async fn unsubscribe(state: &AppState, token: &str) -> AppResult<MailKind> {
    let (member_id, kind) = read_token(state, token)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let m = member::Entity::find_by_id(member_id).one(&txn).await?.ok_or_else(|| AppError::not_found("member"))?;
    write_off(&txn, m, &[(kind, false)]).await?;
    // What waits of that kind is not sent either.
    mail::Entity::update_many()
        .col_expr(mail::Column::State, Expr::value(MailState::Skipped))
        .filter(mail::Column::MemberId.eq(member_id))
        .filter(mail::Column::Kind.eq(kind))
        .filter(mail::Column::State.eq(MailState::Pending))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(kind)
}
