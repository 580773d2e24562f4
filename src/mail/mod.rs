//! Sending mail to members (`WEAVE_SMTP_URL`): a worker takes what `domain::mail` queued, in
//! order, composes each mail from what is true then (`compose`), and sends it over SMTP with
//! lettre. A mail is claimed for a while before it is sent and marked sent after, so a restart
//! resends at most the mails in flight; failures are retried with backoff, then given up. Each
//! mail carries a one-click unsubscribe link for its kind (RFC 8058: `List-Unsubscribe` and
//! `List-Unsubscribe-Post`), and a kind the member turned off is not sent.
mod compose;

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait as _, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::config::ExposeSecret as _;
use crate::db::enums::{MailKind, MailState, MemberStatus};
use crate::db::{self, event, mail, member, registration};
use crate::domain::mail as queue;
use crate::error::{AppError, AppResult};
use crate::state::{AppState, State};

/// How often the worker looks for mail to send.
const TICK: Duration = Duration::from_secs(2);
/// Mails claimed per round.
const BATCH: u64 = 20;
/// How long a claimed mail is held before another round may take it (a crash mid-send):
/// longer than a whole batch may take ([`BATCH`] sends of at most 20 s).
const LEASE_SECS: i64 = 600;
/// Attempts before a mail is given up on.
const MAX_ATTEMPTS: i32 = 8;

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The SMTP transport of `WEAVE_SMTP_URL` (`None` without one).
pub fn transport(state: &AppState) -> anyhow::Result<Option<Transport>> {
    let Some(url) = &state.config.smtp_url else { return Ok(None) };
    let builder = Transport::from_url(url.expose_secret().trim())
        .map_err(|e| anyhow::anyhow!("WEAVE_SMTP_URL is not an SMTP URL: {e}"))?;
    Ok(Some(builder.timeout(Some(Duration::from_secs(20))).build()))
}

/// Starts the mail worker when SMTP is configured.
pub fn spawn(state: State) -> anyhow::Result<()> {
    let Some(transport) = transport(&state)? else { return Ok(()) };
    sender(&state).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        loop {
            tick.tick().await;
            if let Err(e) = send_due(&state, &transport, Utc::now()).await {
                tracing::warn!(error = ?e, "sending mail");
            }
        }
    });
    Ok(())
}

/// Claims the mails due at `now`, oldest first.
async fn claim(state: &AppState, now: DateTime<Utc>) -> AppResult<Vec<mail::Model>> {
    let txn = db::begin_write(&state.db).await?;
    let mut due = mail::Entity::find()
        .filter(mail::Column::State.eq(MailState::Pending))
        .filter(mail::Column::NextAttemptAt.lte(now))
        .filter(Condition::any().add(mail::Column::LockedUntil.is_null()).add(mail::Column::LockedUntil.lt(now)))
        .order_by_asc(mail::Column::Id)
        .limit(BATCH);
    // Replicas share the queue: a row one of them claims, the others skip.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        due =
            due.lock_with_behavior(sea_orm::sea_query::LockType::Update, sea_orm::sea_query::LockBehavior::SkipLocked);
    }
    let due = due.all(&txn).await?;
    if !due.is_empty() {
        mail::Entity::update_many()
            .col_expr(mail::Column::LockedUntil, Expr::value(now + chrono::Duration::seconds(LEASE_SECS)))
            .filter(mail::Column::Id.is_in(due.iter().map(|m| m.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(due)
}

/// Sends what is due; answers how many mails were sent.
pub async fn send_due(state: &AppState, transport: &Transport, now: DateTime<Utc>) -> AppResult<usize> {
    let mut sent = 0;
    for m in claim(state, now).await? {
        let outcome = match build(state, &m).await {
            Ok(Some(message)) => transport.send(message).await.map(|_| MailState::Sent).map_err(|e| e.to_string()),
            Ok(None) => Ok(MailState::Skipped),
            Err(e) => Err(format!("{e:?}")),
        };
        let mut update =
            mail::Entity::update_many().col_expr(mail::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None));
        update = match outcome {
            Ok(done) => {
                sent += usize::from(done == MailState::Sent);
                update
                    .col_expr(mail::Column::State, Expr::value(done))
                    .col_expr(mail::Column::SentAt, Expr::value(Utc::now()))
                    .col_expr(mail::Column::SecretLink, Expr::value(Option::<String>::None))
            }
            Err(why) => {
                tracing::warn!(mail = %m.id, error = %why, "a mail was not sent");
                let attempts = m.attempts + 1;
                let backoff = chrono::Duration::seconds(30 * 2_i64.pow(attempts.clamp(0, 10) as u32))
                    .min(chrono::Duration::hours(6));
                let state = if attempts >= MAX_ATTEMPTS { MailState::Failed } else { MailState::Pending };
                if state == MailState::Failed {
                    // A reset link is not kept once its mail is given up on.
                    update = update.col_expr(mail::Column::SecretLink, Expr::value(Option::<String>::None));
                }
                update
                    .col_expr(mail::Column::State, Expr::value(state))
                    .col_expr(mail::Column::Attempts, Expr::value(attempts))
                    .col_expr(mail::Column::NextAttemptAt, Expr::value(now + backoff))
                    .col_expr(mail::Column::LastError, Expr::value(why.chars().take(500).collect::<String>()))
            }
        };
        update.filter(mail::Column::Id.eq(m.id)).exec(&state.db).await?;
    }
    Ok(sent)
}

/// The `From` of every mail: `WEAVE_MAIL_FROM`, else the instance's name at `noreply@` its
/// host (checked when the worker starts).
pub fn sender(state: &AppState) -> AppResult<Mailbox> {
    let configured = state.config.mail_from.trim();
    if !configured.is_empty() {
        return configured
            .parse()
            .map_err(|e| AppError::internal(anyhow::anyhow!("WEAVE_MAIL_FROM {configured:?} is not a mailbox: {e}")));
    }
    let host = state.config.domain.split(':').next().unwrap_or("localhost");
    let address = lettre::Address::new("noreply", host)
        .map_err(|e| AppError::internal(anyhow::anyhow!("noreply@{host} is not an address: {e}")))?;
    Ok(Mailbox::new(Some(state.config.instance_name.clone()), address))
}

/// The message for a queued mail, or `None` when it is not to be sent: the member turned its
/// kind off, has no address or active account, or there is nothing (any more) to tell.
async fn build(state: &AppState, m: &mail::Model) -> AppResult<Option<Message>> {
    let Some(who) = member::Entity::find_by_id(m.member_id).one(&state.db).await? else { return Ok(None) };
    let (Some(address), true) = (who.email.as_deref(), who.local && who.status == MemberStatus::Active) else {
        return Ok(None);
    };
    if queue::is_off(&who, m.kind) {
        return Ok(None);
    }
    let e = match m.event_id {
        Some(id) => event::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let r = match m.registration_id {
        Some(id) => registration::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let letter = match (m.kind, m.secret_link.as_deref()) {
        (MailKind::PasswordReset, Some(link)) => compose::password_reset(state, &who, link),
        (MailKind::PasswordReset, None) => return Ok(None),
        _ => match compose::compose(state, m.kind, &who, e.as_ref(), r.as_ref()) {
            Some(letter) => letter,
            None => return Ok(None),
        },
    };
    let Ok(to) = address.parse::<lettre::Address>() else { return Ok(None) };
    let mut builder = Message::builder()
        .from(sender(state)?)
        .to(Mailbox::new(who.display_name.clone(), to))
        .subject(letter.subject)
        .message_id(Some(format!("<{}@{}>", m.id, state.config.domain.split(':').next().unwrap_or("localhost"))))
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into()));
    let text = if m.kind == MailKind::PasswordReset {
        // A security mail: always sent, nothing to unsubscribe from.
        format!("{}\n-- \n{}\n", letter.text.trim_end(), state.config.instance_name)
    } else {
        let unsubscribe = queue::unsubscribe_url(state, who.id, m.kind)?;
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
        format!(
            "{}\n-- \n{}\nYou get this mail as a member of {}. To get no more mails like it: {unsubscribe}\n",
            letter.text.trim_end(),
            state.config.instance_name,
            state.base_url()
        )
    };
    let kind = sea_orm::ActiveEnum::to_value(&m.kind);
    builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("X-Weave-Kind"), kind));
    let body = SinglePart::plain(text);
    let message = match letter.calendar {
        Some(ics) => {
            let calendar =
                ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH").map_err(AppError::internal)?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(body)
                    .singlepart(Attachment::new("invite.ics".into()).body(ics, calendar)),
            )
        }
        None => builder.singlepart(body),
    };
    message.map(Some).map_err(AppError::internal)
}
