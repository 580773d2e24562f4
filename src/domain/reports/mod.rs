//! Reports and the moderation queue. A local member reports a member or a piece of content
//! ([`report`]); another server's `Flag` reports ours ([`receive_flag`]). Who may handle a
//! report has one home, [`may_handle`]: instance admins, for everything, and a group's
//! moderators, for its content; nobody handles (or sees) a report about themselves or their
//! own content. The reporter sees their own reports and hears the outcome; the reported never
//! learn who reported them. Resolving ([`resolve`]) acts through the same domain services
//! as the API (hide, delete, lock, suspend, block) and keeps every decision in the moderation
//! log.
mod flag;
mod resolve;
mod subject;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::db::enums::{ReportReason, ReportStatus, Role};
use crate::db::{self, member, membership, moderation_log, report};
use crate::domain::groups;
use crate::domain::pagination::{keyset, keyset_newest, Page, PageRequest};
use crate::domain::validate;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use flag::{receive_flag, ReceivedFlag, MAX_OPEN_PER_SERVER};
pub use resolve::{resolve, Resolution};
pub use subject::Subject;

/// The longest comment a report or a resolution note may carry.
pub const MAX_COMMENT: usize = 1000;

/// What a member reports.
pub struct NewReport {
    pub subject_id: Uuid,
    pub reason: ReportReason,
    pub comment: Option<String>,
    /// Also send a `Flag` to the server the reported content came from (remote content only).
    pub forward: bool,
}

/// Files a report from the signed-in member about something they can see. A second report of
/// the same thing while the first is open answers the first, unchanged.
pub async fn report(state: &AppState, viewer: &Viewer, input: NewReport) -> AppResult<report::Model> {
    let me = viewer.active_member()?;
    let comment = validate::text("comment", input.comment.as_deref(), MAX_COMMENT)?;
    let subject = subject::visible(state, viewer, input.subject_id).await?;
    if subject.author_id == Some(me.id) {
        return Err(AppError::bad_input("subjectId", "you cannot report yourself or your own content"));
    }
    let forward = match input.forward && !subject.local {
        true => flag::prepare(state, &subject).await?,
        false => None,
    };
    let txn = db::begin_write(&state.db).await?;
    let open = report::Entity::find()
        .filter(report::Column::SubjectId.eq(subject.id))
        .filter(report::Column::ReporterId.eq(me.id))
        .filter(report::Column::Status.eq(ReportStatus::Open))
        .one(&txn)
        .await?;
    if let Some(open) = open {
        return Ok(open);
    }
    let forwarded = forward.is_some();
    if let Some(to) = forward {
        flag::forward(&txn, state, to, &subject, comment.as_deref()).await?;
    }
    let row = new_row(&subject, Some(me.id), None, input.reason, comment, forwarded).insert(&txn).await?;
    let told = tell_handlers(&txn, &row).await?;
    txn.commit().await?;
    announce(state, told).await;
    Ok(row)
}

fn new_row(
    subject: &Subject,
    reporter_id: Option<Uuid>,
    origin_domain: Option<String>,
    reason: ReportReason,
    comment: Option<String>,
    forwarded: bool,
) -> report::ActiveModel {
    report::ActiveModel {
        id: Set(Uuid::now_v7()),
        subject_kind: Set(subject.kind),
        subject_id: Set(subject.id),
        subject_ap_id: Set(subject.ap_id.clone()),
        group_id: Set(subject.group_id),
        author_id: Set(subject.author_id),
        reporter_id: Set(reporter_id),
        origin_domain: Set(origin_domain),
        reason: Set(reason),
        comment: Set(comment),
        forwarded: Set(forwarded),
        status: Set(ReportStatus::Open),
        action: Set(None),
        resolved_by: Set(None),
        resolution_note: Set(None),
        resolved_at: Set(None),
        created_at: Set(Utc::now()),
    }
}

/// Most people told of one new report.
const MAX_TOLD: u64 = 50;

/// Tells those who handle a new report (the instance's admins; for content, the group's
/// moderators too) with a REPORT_FILED notification, in the report's transaction: never its
/// reporter, never the reported. Answers who was told.
pub(crate) async fn tell_handlers<C: ConnectionTrait>(conn: &C, r: &report::Model) -> AppResult<Vec<Uuid>> {
    use crate::db::enums::{MemberStatus, NotificationKind};
    use crate::db::notification;
    let mut handlers: Vec<Uuid> = member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .filter(member::Column::IsAdmin.eq(true))
        .filter(member::Column::Local.eq(true))
        .filter(member::Column::Status.eq(MemberStatus::Active))
        .limit(MAX_TOLD)
        .into_tuple()
        .all(conn)
        .await?;
    if let Some(g) = r.group_id {
        let moderators: Vec<Uuid> = membership::Entity::find()
            .select_only()
            .column(membership::Column::MemberId)
            .filter(membership::Column::GroupId.eq(g))
            .filter(membership::Column::Role.is_in([Role::Moderator, Role::Admin, Role::Owner]))
            .limit(MAX_TOLD)
            .into_tuple()
            .all(conn)
            .await?;
        handlers.extend(moderators);
    }
    handlers.sort();
    handlers.dedup();
    handlers.retain(|h| Some(*h) != r.author_id && Some(*h) != r.reporter_id);
    handlers.truncate(MAX_TOLD as usize);
    let rows: Vec<notification::ActiveModel> = handlers
        .iter()
        .map(|h| {
            let about = crate::domain::learning::NotificationAbout { report: Some(r.id), ..Default::default() };
            crate::domain::learning::notification_row(
                *h,
                NotificationKind::ReportFiled,
                about,
                format!("report-filed:{}", r.id),
                r.created_at,
            )
        })
        .collect();
    if !rows.is_empty() {
        notification::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(handlers)
}

/// Tells live subscribers of new notifications, after commit.
pub(crate) async fn announce(state: &AppState, members: Vec<Uuid>) {
    for member in members {
        state.bus.publish(&state.db, crate::bus::Change::Notified { member }).await;
    }
}

/// Whether the viewer handles this report, given their role in its group (`None` for a report
/// of a member): admins every one, a group's moderators those of its content; never one about
/// the viewer or the viewer's own content. Callers with the role at hand (the API's loader)
/// ask this; others [`may_handle`].
pub fn handles(viewer: &Viewer, role_in_group: Option<Role>, r: &report::Model) -> bool {
    let Ok(Some(me)) = viewer.optional() else { return false };
    if r.author_id == Some(me.id) {
        return false;
    }
    me.is_admin || (r.group_id.is_some() && groups::moderates(role_in_group))
}

/// [`handles`], reading the viewer's role in the report's group.
pub async fn may_handle<C: ConnectionTrait>(conn: &C, viewer: &Viewer, r: &report::Model) -> AppResult<bool> {
    let role = match r.group_id {
        Some(g) => groups::role_in(conn, viewer, g).await?,
        None => None,
    };
    Ok(handles(viewer, role, r))
}

/// The groups a member moderates (their queue), by membership.
async fn moderated_groups<C: ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(membership::Entity::find()
        .select_only()
        .column(membership::Column::GroupId)
        .filter(membership::Column::MemberId.eq(member_id))
        .filter(membership::Column::Role.is_in([Role::Moderator, Role::Admin, Role::Owner]))
        .into_tuple()
        .all(conn)
        .await?)
}

/// The filter behind [`queue`] and [`log`]: what the viewer handles, as [`may_handle`] says
/// row by row. FORBIDDEN for a member who moderates nothing.
async fn handled_by(
    conn: &impl ConnectionTrait,
    me: &member::Model,
    group: impl ColumnTrait,
) -> AppResult<Option<Condition>> {
    if me.is_admin {
        return Ok(None);
    }
    let groups = moderated_groups(conn, me.id).await?;
    if groups.is_empty() {
        return Err(AppError::forbidden("only moderators and instance admins see reports"));
    }
    Ok(Some(Condition::all().add(group.is_in(groups))))
}

/// The reports the viewer handles, oldest first (a queue), by status.
pub async fn queue(
    state: &AppState,
    viewer: &Viewer,
    status: Option<ReportStatus>,
    page: PageRequest,
) -> AppResult<Page<report::Model>> {
    let me = viewer.active_member()?;
    let mut q = report::Entity::find()
        .filter(Condition::any().add(report::Column::AuthorId.is_null()).add(report::Column::AuthorId.ne(me.id)));
    if let Some(groups) = handled_by(&state.db, me, report::Column::GroupId).await? {
        q = q.filter(groups);
    }
    if let Some(s) = status {
        q = q.filter(report::Column::Status.eq(s));
    }
    keyset(&state.db, q, report::Column::Id, page).await
}

/// The signed-in member's own reports, newest first.
pub async fn mine(state: &AppState, viewer: &Viewer, page: PageRequest) -> AppResult<Page<report::Model>> {
    let me = viewer.active_member()?;
    let q = report::Entity::find().filter(report::Column::ReporterId.eq(me.id));
    keyset_newest(&state.db, q, report::Column::Id, page).await
}

/// A report, for those who handle it and for its reporter; NOT_FOUND for anyone else.
pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<report::Model> {
    let r = report::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("report"))?;
    let reporter = viewer.optional()?.is_some_and(|me| r.reporter_id == Some(me.id));
    if reporter || may_handle(&state.db, viewer, &r).await? {
        return Ok(r);
    }
    Err(AppError::not_found("report"))
}

/// The moderation log the viewer may read, newest first: admins all of it, a group's
/// moderators their groups' decisions; never decisions on reports about the viewer.
pub async fn log(state: &AppState, viewer: &Viewer, page: PageRequest) -> AppResult<Page<moderation_log::Model>> {
    let me = viewer.active_member()?;
    let about_me = sea_orm::sea_query::Query::select()
        .column(report::Column::Id)
        .from(report::Entity)
        .and_where(report::Column::AuthorId.eq(me.id))
        .to_owned();
    let mut q = moderation_log::Entity::find().filter(
        Condition::any()
            .add(moderation_log::Column::ReportId.is_null())
            .add(moderation_log::Column::ReportId.not_in_subquery(about_me)),
    );
    if let Some(groups) = handled_by(&state.db, me, moderation_log::Column::GroupId).await? {
        q = q.filter(groups);
    }
    keyset_newest(&state.db, q, moderation_log::Column::Id, page).await
}
