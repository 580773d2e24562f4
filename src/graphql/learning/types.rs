//! The learning records' output objects and enums.
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::enums;
use crate::db::{learning_question, notification, reflection};
use crate::domain::learning;
use crate::domain::pagination::PageRequest;
use crate::domain::visibility::RecordScope;
use crate::graphql::events::{visible_event, Event};
use crate::graphql::groups::{group_by_id, Group};
use crate::graphql::members::{visible_member, Member};
use crate::graphql::resources::Resource;
use crate::graphql::threads::{visible_thread, Thread};
use crate::graphql::types::{connection, load_failed, loaded, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

mirror_enum!(
    /// OPEN: being learned about; ANSWERED: the group is satisfied; RETIRED: no longer asked.
    LearningQuestionStatus => enums::QuestionStatus {
        /// Being learned about.
        Open,
        /// The group is satisfied with what it understands.
        Answered,
        /// No longer asked.
        Retired,
    }
);
mirror_enum!(
    /// AFTER_ACTION: what we set out to do, what happened, why, what we will do next time.
    ReflectionKind => enums::ReflectionKind {
        /// An after-action review: what we set out to do, what happened, why, what we will do next time.
        AfterAction,
        /// Something noticed.
        Observation,
        /// Something understood.
        Insight,
        /// Something that happened, told.
        Story,
    }
);
mirror_enum!(
    /// GROUP: the group's members; PARTNERS: also its partner groups' members (groups that
    /// follow it and that it follows); PUBLIC: everyone.
    ReflectionVisibility => enums::RecordVisibility {
        /// The group's members.
        Group,
        /// Also the members of its partner groups (groups that follow it and that it follows).
        Partners,
        /// Everyone.
        Public,
    }
);
mirror_enum!(
    /// The value-creation framework's kinds of value.
    ValueKind => enums::ValueKind {
        /// Value in the activity itself: what taking part was like.
        Immediate,
        /// Knowledge, skills, relationships or resources that may be of use later.
        Potential,
        /// Something done differently: what was learned, put into practice.
        Applied,
        /// A difference in results: what the change in practice achieved.
        Realised,
        /// A new view of what matters: changed goals, criteria or strategies.
        Reframing,
    }
);
mirror_enum!(
    /// Where a harvest's next action stands: OPEN, DONE or DROPPED.
    ActionStatus => enums::ActionStatus {
        /// To be done.
        Open,
        /// Done.
        Done,
        /// Given up.
        Dropped,
    }
);
mirror_enum!(
    /// Why a member is notified: a prompt to reflect, a review due, an invitation, a report resolved.
    NotificationKind => enums::NotificationKind {
        /// An event they went to or hosted has ended: how did it go? (`event`)
        ReflectionPrompt,
        /// A learning question they own is due for review (`question`).
        ReviewDue,
        /// A group's moderators invited them to join (`invitation`).
        GroupInvitation,
        /// A report they made was resolved (`report`).
        ReportResolved,
        /// A report they handle waits in the moderation queue (`report`).
        ReportFiled,
    }
);

/// Whose learning records the viewer sees: once per request; afresh each time on a WebSocket
/// connection, where memberships may change while it lives.
pub(super) async fn scope(ctx: &Context<'_>) -> Result<RecordScope> {
    let loaders = ctx.loaders();
    if !loaders.keep_record_scope {
        return Ok(RecordScope::of(&ctx.state().db, ctx.viewer()).await?);
    }
    Ok(loaders.record_scope.get_or_try_init(|| RecordScope::of(&ctx.state().db, ctx.viewer())).await?.clone())
}

/// Questions by id that the viewer may see, in the given order.
async fn visible_questions(ctx: &Context<'_>, ids: &[Uuid]) -> Result<Vec<LearningQuestion>> {
    let scope = scope(ctx).await?;
    let found = ctx.loaders().questions.load_many(ids.iter().copied()).await.map_err(load_failed)?;
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id))
        .filter(|q| scope.sees(q.group_id, q.visibility))
        .cloned()
        .map(LearningQuestion)
        .collect())
}

/// Reflections by id that the viewer may see, in the given order.
pub(super) async fn visible_reflections(ctx: &Context<'_>, ids: &[Uuid]) -> Result<Vec<Reflection>> {
    let scope = scope(ctx).await?;
    let found = ctx.loaders().reflections.load_many(ids.iter().copied()).await.map_err(load_failed)?;
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id))
        .filter(|r| scope.sees_written(r.group_id, r.visibility, r.author_id))
        .cloned()
        .map(Reflection)
        .collect())
}

pub struct LearningQuestion(pub learning_question::Model);

/// A question a group commits to learn about, with an owner who keeps its understanding current and
/// the reflections that answer it.
#[Object]
impl LearningQuestion {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The question.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Why it matters, as HTML.
    async fn why_it_matters(&self) -> Option<&str> {
        self.0.why_it_matters_html.as_deref()
    }
    /// Why it matters, as the Markdown written.
    async fn why_it_matters_source(&self) -> Option<&str> {
        self.0.why_it_matters.as_deref()
    }
    /// Where it stands: OPEN, ANSWERED or RETIRED.
    async fn status(&self) -> LearningQuestionStatus {
        self.0.status.into()
    }
    /// The group that asks it.
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        group_by_id(ctx, self.0.group_id).await
    }
    /// Who keeps its understanding current.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.owner_id).await
    }
    /// The moderator who asked it; null when unknown or hidden from the viewer.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.author_id).await
    }
    /// Days between reviews; null: no rhythm.
    async fn review_every_days(&self) -> Option<i32> {
        self.0.review_every_days
    }
    /// When its owner's next review is due; null without a review rhythm.
    async fn next_review_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_review_at
    }
    /// What the group understands now (kept by the owner).
    async fn understanding(&self) -> Option<&str> {
        self.0.understanding.as_deref()
    }
    /// When `understanding` last changed; null until it is first written.
    async fn understanding_updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.understanding_updated_at
    }
    /// Who may see it.
    async fn visibility(&self) -> ReflectionVisibility {
        self.0.visibility.into()
    }
    /// How many reflections answer it (all of them: a count, not their contents).
    async fn evidence_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let n = loaded(ctx.loaders().evidence.load_one(self.0.id).await)?.unwrap_or(0);
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    /// The reflections that answer it and that the viewer may see, oldest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn reflections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Reflection>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let filter = learning::ReflectionFilter { question_id: Some(self.0.id), ..Default::default() };
        let page = learning::reflections(ctx.state(), ctx.viewer(), filter, page).await?;
        Ok(connection(page, |r| r.id, Reflection))
    }
    /// Whether it is this server's (false: a partner's, from another server).
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its ActivityPub id.
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
    /// When it was asked.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct Reflection(pub reflection::Model);

/// What someone learned: a body, an after-action review or both, about questions, an event, a
/// thread or a library entry of one group.
#[Object]
impl Reflection {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What kind of reflection it is.
    async fn kind(&self) -> ReflectionKind {
        self.0.kind.into()
    }
    /// Who may see it; never more than the questions it answers.
    async fn visibility(&self) -> ReflectionVisibility {
        self.0.visibility.into()
    }
    /// The body, as HTML.
    async fn body(&self) -> Option<&str> {
        self.0.body_html.as_deref()
    }
    /// The body, as the Markdown written.
    async fn body_source(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    /// After-action review: what we set out to do.
    async fn intended(&self) -> Option<&str> {
        self.0.intended.as_deref()
    }
    /// What happened.
    async fn happened(&self) -> Option<&str> {
        self.0.happened.as_deref()
    }
    /// Why it happened so.
    async fn why(&self) -> Option<&str> {
        self.0.why.as_deref()
    }
    /// What we will do next time.
    async fn next_time(&self) -> Option<&str> {
        self.0.next_time.as_deref()
    }
    /// The kinds of value it describes.
    async fn values(&self, ctx: &Context<'_>) -> Result<Vec<ValueKind>> {
        let mut values = loaded(ctx.loaders().reflection_values.load_one(self.0.id).await)?.unwrap_or_default();
        values.sort();
        Ok(values.into_iter().map(Into::into).collect())
    }
    /// The learning questions it answers (those the viewer may see).
    async fn questions(&self, ctx: &Context<'_>) -> Result<Vec<LearningQuestion>> {
        let ids = loaded(ctx.loaders().reflection_questions.load_one(self.0.id).await)?.unwrap_or_default();
        visible_questions(ctx, &ids).await
    }
    /// Who wrote it; null when unknown or hidden from the viewer.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.author_id).await
    }
    /// The group it belongs to: its questions', else its event's, thread's or entry's.
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        group_by_id(ctx, self.0.group_id).await
    }
    /// The event it is about, when the viewer may see it.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        visible_event(ctx, self.0.event_id).await
    }
    /// Which of the event's sessions (0 is the first).
    async fn session_index(&self) -> Option<i32> {
        self.0.session_index
    }
    /// The thread it is about, when the viewer may see it.
    async fn thread(&self, ctx: &Context<'_>) -> Result<Option<Thread>> {
        visible_thread(ctx, self.0.thread_id).await
    }
    /// The library entry it is about.
    async fn resource(&self, ctx: &Context<'_>) -> Result<Option<Resource>> {
        let Some(id) = self.0.resource_id else { return Ok(None) };
        Ok(loaded(ctx.loaders().resources.load_one(id).await)?.map(Resource))
    }
    /// How many members it resonates with (never who).
    async fn resonance_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let me = ctx.viewer().optional()?.map(|m| m.id);
        let (n, _) = loaded(ctx.loaders().resonance.load_one((self.0.id, me)).await)?.unwrap_or((0, false));
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    /// Whether it resonates with the viewer.
    async fn viewer_resonates(&self, ctx: &Context<'_>) -> Result<bool> {
        let Some(me) = ctx.viewer().optional()?.map(|m| m.id) else { return Ok(false) };
        Ok(loaded(ctx.loaders().resonance.load_one((self.0.id, Some(me))).await)?.is_some_and(|(_, mine)| mine))
    }
    /// Written here, or on a partner's server.
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its ActivityPub id.
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct Notification(pub notification::Model);

/// Something the signed-in member is asked to do: reflect on an event, review a question, answer an
/// invitation.
#[Object]
impl Notification {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Why the member is notified; says which of `event`, `question` and `invitation` is set.
    async fn kind(&self) -> NotificationKind {
        self.0.kind.into()
    }
    /// The event to reflect on (REFLECTION_PROMPT).
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        visible_event(ctx, self.0.event_id).await
    }
    /// The question to review (REVIEW_DUE).
    async fn question(&self, ctx: &Context<'_>) -> Result<Option<LearningQuestion>> {
        let Some(id) = self.0.question_id else { return Ok(None) };
        Ok(visible_questions(ctx, &[id]).await?.into_iter().next())
    }
    /// The invitation to answer (GROUP_INVITATION), while it is the member's to see.
    async fn invitation(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::groups::GroupInvitation>> {
        let Some(id) = self.0.invitation_id else { return Ok(None) };
        match crate::domain::groups::get_invitation(ctx.state(), ctx.viewer(), id).await {
            Ok(i) => Ok(Some(crate::graphql::groups::GroupInvitation(i))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    /// The report that was resolved (REPORT_RESOLVED), with its outcome.
    async fn report(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::reports::Report>> {
        let Some(id) = self.0.report_id else { return Ok(None) };
        match crate::domain::reports::get(ctx.state(), ctx.viewer(), id).await {
            Ok(r) => Ok(Some(crate::graphql::reports::Report(r))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    /// Whether the member has marked it read (`markNotificationsRead`).
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
