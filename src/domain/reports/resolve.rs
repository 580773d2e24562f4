//! Resolving a report: the moderator first claims it (one moderator acts on a report at a
//! time; a claim left by a crash lapses after five minutes), then the action is carried out by
//! the domain service that owns it (each checks, as for any other caller, that the moderator
//! may do it), then the report, the moderation log and the reporters' notifications are
//! written in one transaction. A failed action releases the claim. Actions are idempotent (a
//! DELETE of what is gone already succeeds), so a resolution that failed to be recorded is
//! simply retried.
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::may_handle;
use crate::db::enums::{ModerationAction, NotificationKind, ReportStatus, ReportSubject};
use crate::db::{self, member, moderation_log, report};
use crate::domain::learning::NotificationAbout;
use crate::domain::viewer::Viewer;
use crate::domain::{events, learning, members, moderation, resources, threads, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A moderator's decision on a report.
pub struct Resolution {
    pub report_id: Uuid,
    pub action: ModerationAction,
    /// Why, for the log (moderators and admins read it; the reporter does not).
    pub note: Option<String>,
}

/// Whether `action` can be taken on a subject of this kind: BAD_USER_INPUT otherwise, saying
/// what to do instead.
fn applies(kind: ReportSubject, action: ModerationAction) -> AppResult<()> {
    use ModerationAction as A;
    use ReportSubject as S;
    let ok = match action {
        A::Dismiss | A::SuspendMember | A::BlockDomain => true,
        A::Hide => kind == S::Thread,
        A::Delete => matches!(kind, S::Post | S::Resource | S::Event | S::Reflection),
        A::LockThread => matches!(kind, S::Thread | S::Post),
    };
    if ok {
        return Ok(());
    }
    let why = match action {
        A::Hide => "only a thread can be hidden; delete a post, an entry, an event or a reflection",
        A::Delete if kind == S::Thread => "a thread is hidden (HIDE), not deleted",
        A::Delete => "a member is suspended (SUSPEND_MEMBER) or their server blocked, not deleted",
        _ => "only a thread, or a post in one, can be locked",
    };
    Err(AppError::bad_input("action", why))
}

/// How long a moderator's claim on a report holds when it is neither resolved nor released.
const CLAIM_SECS: i64 = 300;

/// A deletion of what is gone already is done.
fn gone_ok<T>(r: AppResult<T>) -> AppResult<()> {
    match r {
        Ok(_) | Err(AppError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Carries the action out through its own domain service.
async fn act(state: &AppState, viewer: &Viewer, r: &report::Model, action: ModerationAction) -> AppResult<()> {
    use ModerationAction as A;
    use ReportSubject as S;
    match (action, r.subject_kind) {
        (A::Dismiss, _) => {}
        (A::Hide, _) => {
            let hide = threads::ThreadChanges { hidden: Some(true), ..Default::default() };
            threads::update(state, viewer, r.subject_id, hide).await?;
        }
        (A::LockThread, kind) => {
            let thread_id = match kind {
                S::Post => threads::get_post(&state.db, viewer, r.subject_id).await?.thread_id,
                _ => r.subject_id,
            };
            let lock = threads::ThreadChanges { locked: Some(true), ..Default::default() };
            threads::update(state, viewer, thread_id, lock).await?;
        }
        (A::Delete, S::Post) => gone_ok(threads::delete_post(state, viewer, r.subject_id).await)?,
        (A::Delete, S::Resource) => gone_ok(resources::delete(state, viewer, r.subject_id).await)?,
        (A::Delete, S::Event) => {
            let reason = Some("Removed by the moderators.".to_string());
            events::cancel(state, viewer, r.subject_id, reason).await?;
        }
        (A::Delete, S::Reflection) => gone_ok(learning::delete_reflection(state, viewer, r.subject_id).await)?,
        (A::Delete, _) => return applies(r.subject_kind, action),
        (A::SuspendMember, _) => {
            let author = match r.author_id {
                Some(id) => member::Entity::find_by_id(id).one(&state.db).await?,
                None => None,
            };
            match author {
                Some(m) if m.local => {
                    members::set_status(state, viewer, m.id, false).await?;
                }
                Some(_) => {
                    return Err(AppError::bad_input(
                        "action",
                        "a remote account is suspended on its own server: forward the report, or block its server",
                    ))
                }
                None => return Err(AppError::bad_input("action", "the reported content has no known author")),
            }
        }
        (A::BlockDomain, _) => {
            let host = url::Url::parse(&r.subject_ap_id).ok().map(|u| crate::ap::authority(&u));
            match host {
                Some(h) if !h.is_empty() && h != state.config.domain.to_lowercase() => {
                    moderation::block(state, viewer, &h, Some("blocked from a report")).await?;
                }
                _ => return Err(AppError::bad_input("action", "the reported member or content is from this server")),
            }
        }
    }
    Ok(())
}

/// Resolves a report the viewer handles. Any action but DISMISS resolves the other open
/// reports of the same member or content with it; every reporter here hears the outcome.
pub async fn resolve(state: &AppState, viewer: &Viewer, input: Resolution) -> AppResult<report::Model> {
    let me = viewer.active_member()?;
    let note = validate::text("note", input.note.as_deref(), super::MAX_COMMENT)?;
    let r = report::Entity::find_by_id(input.report_id).one(&state.db).await?;
    let r = match r {
        Some(r) if may_handle(&state.db, viewer, &r).await? => r,
        Some(r) if r.reporter_id == Some(me.id) => {
            return Err(AppError::forbidden("only moderators resolve reports"));
        }
        _ => return Err(AppError::not_found("report")),
    };
    if r.status == ReportStatus::Resolved {
        return Err(AppError::conflict("this report is resolved already"));
    }
    applies(r.subject_kind, input.action)?;
    let now = Utc::now();
    let claimed = report::Entity::update_many()
        .col_expr(report::Column::ResolvedBy, Expr::value(me.id))
        .col_expr(report::Column::ResolvedAt, Expr::value(now))
        .filter(report::Column::Id.eq(r.id))
        .filter(report::Column::Status.eq(ReportStatus::Open))
        .filter(
            Condition::any()
                .add(report::Column::ResolvedBy.is_null())
                .add(report::Column::ResolvedAt.lt(now - chrono::Duration::seconds(CLAIM_SECS))),
        )
        .exec(&state.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::conflict("another moderator is resolving this report"));
    }
    if let Err(e) = act(state, viewer, &r, input.action).await {
        report::Entity::update_many()
            .col_expr(report::Column::ResolvedBy, Expr::value(Option::<Uuid>::None))
            .col_expr(report::Column::ResolvedAt, Expr::value(Option::<chrono::DateTime<Utc>>::None))
            .filter(report::Column::Id.eq(r.id))
            .filter(report::Column::Status.eq(ReportStatus::Open))
            .filter(report::Column::ResolvedBy.eq(me.id))
            .exec(&state.db)
            .await?;
        return Err(e);
    }

    let txn = db::begin_write(&state.db).await?;
    let mut which = report::Entity::find().filter(report::Column::Status.eq(ReportStatus::Open));
    which = if input.action == ModerationAction::Dismiss {
        which.filter(report::Column::Id.eq(r.id))
    } else {
        which.filter(report::Column::SubjectId.eq(r.subject_id))
    };
    let resolved = which.all(&txn).await?;
    if !resolved.iter().any(|x| x.id == r.id) {
        return Err(AppError::conflict("this report is resolved already"));
    }
    let ids: Vec<Uuid> = resolved.iter().map(|x| x.id).collect();
    report::Entity::update_many()
        .col_expr(report::Column::Status, Expr::value(ReportStatus::Resolved))
        .col_expr(report::Column::Action, Expr::value(input.action))
        .col_expr(report::Column::ResolvedBy, Expr::value(me.id))
        .col_expr(report::Column::ResolutionNote, Expr::value(note.clone()))
        .col_expr(report::Column::ResolvedAt, Expr::value(now))
        .filter(report::Column::Id.is_in(ids))
        .filter(report::Column::Status.eq(ReportStatus::Open))
        .exec(&txn)
        .await?;
    moderation_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        moderator_id: Set(Some(me.id)),
        action: Set(input.action),
        report_id: Set(Some(r.id)),
        subject_kind: Set(r.subject_kind),
        subject_id: Set(r.subject_id),
        subject_ap_id: Set(r.subject_ap_id.clone()),
        group_id: Set(r.group_id),
        note: Set(note),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let mut told = Vec::new();
    for x in &resolved {
        let Some(reporter) = x.reporter_id else { continue };
        crate::domain::learning::notification_row(
            reporter,
            NotificationKind::ReportResolved,
            NotificationAbout { report: Some(x.id), ..NotificationAbout::default() },
            format!("report:{}", x.id),
            now,
        )
        .insert(&txn)
        .await?;
        told.push(reporter);
    }
    txn.commit().await?;
    for member in told {
        state.bus.publish(&state.db, crate::bus::Change::Notified { member }).await;
    }
    report::Entity::find_by_id(r.id).one(&state.db).await?.ok_or_else(|| AppError::not_found("report"))
}
