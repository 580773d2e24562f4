//! Reports and moderation: `report` for members, the queue (`reports`), `resolveReport` and
//! the log (`moderationLog`) for moderators and admins, `myReports` for reporters. Who sees
//! what is `domain::reports`'s to say.
use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};

use super::groups::Group;
use super::members::{visible_member, Member};
use super::node::{lookup, Node};
use super::types::{connection, loaded, parse_id, wants_total, Conn, Result};
use super::ContextExt as _;
use crate::db::{enums, moderation_log, report};
use crate::domain::pagination::PageRequest;
use crate::domain::reports::{self, NewReport, Resolution};

mirror_enum!(
    /// What kind of thing a report is about.
    ReportSubjectKind => enums::ReportSubject {
        /// A member (their profile, or their conduct): instance admins handle it.
        Member,
        /// A post in a thread.
        Post,
        /// A thread (its title and opening post).
        Thread,
        /// A library entry.
        Resource,
        /// An event.
        Event,
        /// A reflection.
        Reflection,
    }
);
mirror_enum!(
    /// Why something is reported.
    ReportReason => enums::ReportReason {
        /// Unsolicited advertising or repeated unwanted content.
        Spam,
        /// Harassment, abuse or hate directed at someone.
        Harassment,
        /// Content that is illegal where this server runs.
        Illegal,
        /// Breaks one of this server's rules (`instance { rules }`).
        RuleViolation,
        /// Something else, said in the comment. Reports from other servers come as OTHER.
        Other,
    }
);
mirror_enum!(
    /// Whether a report waits for a moderator.
    ReportStatus => enums::ReportStatus {
        /// Waiting in the queue.
        Open,
        /// Acted on (or dismissed) by a moderator.
        Resolved,
    }
);
mirror_enum!(
    /// What a moderator does about a report.
    ModerationAction => enums::ModerationAction {
        /// Nothing: the report does not call for action.
        Dismiss,
        /// Hides a thread: only the group's moderators see it, and other servers are told it is gone.
        Hide,
        /// Deletes a post, library entry or reflection; cancels an event.
        Delete,
        /// Locks the thread (of a reported thread or post): it takes no more replies.
        LockThread,
        /// Suspends the local member reported, or the reported content's local author (instance admins).
        SuspendMember,
        /// Blocks the server the reported member or content comes from (instance admins).
        BlockDomain,
    }
);

/// A member's report.
#[derive(InputObject)]
pub struct ReportInput {
    /// The member, post, thread, library entry, event or reflection reported.
    pub subject_id: ID,
    /// Why it is reported.
    pub reason: ReportReason,
    /// What the moderators should know; at most 1,000 characters.
    pub comment: Option<String>,
    /// For content from another server: also send the report (without your name) to that
    /// server's moderators, as a `Flag`.
    #[graphql(default = false)]
    pub forward: bool,
}

/// A moderator's decision.
#[derive(InputObject)]
pub struct ResolveReportInput {
    /// The report to resolve.
    pub report_id: ID,
    /// What to do about it; it must fit what is reported.
    pub action: ModerationAction,
    /// Why, for the moderation log; at most 1,000 characters. The reporter is not shown it.
    pub note: Option<String>,
}

pub struct Report(pub report::Model);

impl Report {
    /// `reports::handles`, with the viewer's role from the request's loader (one batch for a
    /// whole queue page).
    async fn handled_by_viewer(&self, ctx: &Context<'_>) -> Result<bool> {
        let role = match self.0.group_id {
            Some(g) => super::types::viewer_role(ctx, g).await?,
            None => None,
        };
        Ok(reports::handles(ctx.viewer(), role, &self.0))
    }
}

/// A report of a member or of content, as its reporter or its moderators see it.
#[Object]
impl Report {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What kind of thing is reported.
    async fn subject_kind(&self) -> ReportSubjectKind {
        self.0.subject_kind.into()
    }
    /// The reported member or content, while it exists and the viewer may see it.
    async fn subject(&self, ctx: &Context<'_>) -> Result<Option<Node>> {
        lookup(ctx, self.0.subject_id).await
    }
    /// The reported thing's ActivityPub id (kept when it is gone).
    async fn subject_url(&self) -> &str {
        &self.0.subject_ap_id
    }
    /// The group whose moderators handle it; null for a report of a member (admins do).
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<Group>> {
        let Some(id) = self.0.group_id else { return Ok(None) };
        Ok(loaded(ctx.loaders().groups.load_one(id).await)?.map(Group))
    }
    /// Why it was reported.
    async fn reason(&self) -> ReportReason {
        self.0.reason.into()
    }
    /// What the reporter wrote (plain text).
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    /// The member who reported it, for its reporter and its moderators; null when another server did.
    async fn reporter(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.reporter_id).await
    }
    /// The server that sent it (a `Flag`); null for a report made here.
    async fn from_server(&self) -> Option<&str> {
        self.0.origin_domain.as_deref()
    }
    /// Whether it was also sent to the reported content's server.
    async fn forwarded(&self) -> bool {
        self.0.forwarded
    }
    /// Whether it waits for a moderator.
    async fn status(&self) -> ReportStatus {
        self.0.status.into()
    }
    /// What the moderators did; null while open.
    async fn action(&self) -> Option<ModerationAction> {
        self.0.action.map(Into::into)
    }
    /// Who resolved it (while open: who is resolving it now); moderators only.
    async fn resolved_by(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        if !self.handled_by_viewer(ctx).await? {
            return Ok(None);
        }
        visible_member(ctx, self.0.resolved_by).await
    }
    /// The resolving moderator's note; moderators only.
    async fn resolution_note(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self.handled_by_viewer(ctx).await?.then_some(()).and(self.0.resolution_note.as_deref()))
    }
    /// When it was resolved; null while open.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at.filter(|_| self.0.status == enums::ReportStatus::Resolved)
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ModerationLogEntry(pub moderation_log::Model);

/// One moderation decision: who did what, to what, and why.
#[Object]
impl ModerationLogEntry {
    /// Unique across every kind of object.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What was done.
    async fn action(&self) -> ModerationAction {
        self.0.action.into()
    }
    /// Who decided; null once their account is gone.
    async fn moderator(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.moderator_id).await
    }
    /// The report decided on.
    async fn report(&self, ctx: &Context<'_>) -> Result<Option<Report>> {
        let Some(id) = self.0.report_id else { return Ok(None) };
        Ok(reports::get(ctx.state(), ctx.viewer(), id).await.ok().map(Report))
    }
    /// What kind of thing it concerned.
    async fn subject_kind(&self) -> ReportSubjectKind {
        self.0.subject_kind.into()
    }
    /// The member or content's ActivityPub id.
    async fn subject_url(&self) -> &str {
        &self.0.subject_ap_id
    }
    /// The group it concerned; null for members.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<Group>> {
        let Some(id) = self.0.group_id else { return Ok(None) };
        Ok(loaded(ctx.loaders().groups.load_one(id).await)?.map(Group))
    }
    /// Why, as the moderator wrote it.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When it was decided.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// The moderation queue, oldest first: every report for instance admins, reports of their
    /// groups' content for group moderators (FORBIDDEN for others). Never reports about the
    /// viewer or the viewer's own content. `status` defaults to OPEN; null lists all.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(ReportStatus::Open)")] status: Option<ReportStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Report>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let rows = reports::queue(ctx.state(), ctx.viewer(), status.map(Into::into), page).await?;
        Ok(connection(rows, |r| r.id, Report))
    }

    /// The signed-in member's own reports, newest first, with what became of them.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn my_reports(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Conn<Report>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let rows = reports::mine(ctx.state(), ctx.viewer(), page).await?;
        Ok(connection(rows, |r| r.id, Report))
    }

    /// Every moderation decision the viewer may read, newest first: all for instance admins,
    /// their groups' for group moderators.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn moderation_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<ModerationLogEntry>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let rows = reports::log(ctx.state(), ctx.viewer(), page).await?;
        Ok(connection(rows, |e| e.id, ModerationLogEntry))
    }
}

#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Reports a member, post, thread, library entry, event or reflection the viewer can see
    /// to its moderators. Reporting the same thing again while the first report is open
    /// answers that report. The reported member is never told who reported them.
    async fn report(&self, ctx: &Context<'_>, input: ReportInput) -> Result<Report> {
        let new = NewReport {
            subject_id: parse_id("subjectId", &input.subject_id)?,
            reason: input.reason.into(),
            comment: input.comment,
            forward: input.forward,
        };
        Ok(Report(reports::report(ctx.state(), ctx.viewer(), new).await?))
    }

    /// Resolves a report with an action (moderators of the content's group, instance admins);
    /// the decision goes into the moderation log, and the reporters are told the outcome.
    async fn resolve_report(&self, ctx: &Context<'_>, input: ResolveReportInput) -> Result<Report> {
        let resolution = Resolution {
            report_id: parse_id("reportId", &input.report_id)?,
            action: input.action.into(),
            note: input.note,
        };
        Ok(Report(reports::resolve(ctx.state(), ctx.viewer(), resolution).await?))
    }
}
