//! What learning mutations and lists take.
use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};

use super::types::{ActionStatus, LearningQuestionStatus, ReflectionKind, ReflectionVisibility, ValueKind};

/// A learning question a group of this server commits to (its moderators).
#[derive(InputObject)]
pub struct CreateLearningQuestionInput {
    /// The group of this server that commits to it.
    pub group_id: ID,
    /// The question, at most 300 characters.
    pub title: String,
    /// Markdown.
    pub why_it_matters: Option<String>,
    /// A member of the group (default: the asker).
    pub owner_handle: Option<String>,
    /// Days between reviews (1 to 366); none: no rhythm.
    pub review_every_days: Option<i32>,
    /// Default: GROUP.
    pub visibility: Option<ReflectionVisibility>,
}

/// What is left out stays as it is. A new `understanding` or `reviewEveryDays` counts as a
/// review: the next one is due a rhythm from now.
#[derive(InputObject)]
pub struct UpdateLearningQuestionInput {
    /// The question, at most 300 characters.
    pub title: Option<String>,
    /// Markdown; an empty string removes it.
    pub why_it_matters: Option<String>,
    /// A member of the group who keeps it current (the group's moderators only).
    pub owner_handle: Option<String>,
    /// OPEN, ANSWERED or RETIRED.
    pub status: Option<LearningQuestionStatus>,
    /// null stops the reviews.
    pub review_every_days: MaybeUndefined<i32>,
    /// What the group understands now, at most 10,000 characters.
    pub understanding: Option<String>,
    /// Who may see it (the group's moderators only); the reflections that answer it become no more
    /// visible than it.
    pub visibility: Option<ReflectionVisibility>,
}

/// A reflection: about questions, an event (or one of its sessions), a thread or a library
/// entry (at least one of them); a body, an after-action review (intended, happened, why,
/// nextTime) or both. In `editReflection`, what is left out stays as it is.
#[derive(InputObject)]
pub struct ReflectInput {
    /// The questions it answers, of one group (at most 10); in `editReflection`, replaces them.
    pub question_ids: Option<Vec<ID>>,
    /// In `editReflection`, null removes the link (and left out keeps it), as for the session,
    /// thread and entry.
    pub event_id: MaybeUndefined<ID>,
    /// Which of the event's sessions (0 is the first).
    pub session_index: MaybeUndefined<i32>,
    /// A thread it is about, of the same group.
    pub thread_id: MaybeUndefined<ID>,
    /// A library entry it is about, of the same group.
    pub resource_id: MaybeUndefined<ID>,
    /// Default: AFTER_ACTION with a review, else OBSERVATION.
    pub kind: Option<ReflectionKind>,
    /// Default: as visible as the questions it answers (GROUP without questions); never more.
    pub visibility: Option<ReflectionVisibility>,
    /// Markdown.
    pub body: Option<String>,
    /// After-action review: what we set out to do (at most 4,000 characters).
    pub intended: Option<String>,
    /// What happened (at most 4,000 characters).
    pub happened: Option<String>,
    /// Why it happened so (at most 4,000 characters).
    pub why: Option<String>,
    /// What we will do next time (at most 4,000 characters).
    pub next_time: Option<String>,
    /// The kinds of value it describes; in `editReflection`, replaces them.
    pub values: Option<Vec<ValueKind>>,
}

/// Which reflections `reflections` lists: those that match every field given.
#[derive(InputObject, Default)]
pub struct ReflectionFilter {
    /// Reflections of this group.
    pub group_handle: Option<String>,
    /// Reflections that answer this question.
    pub question_id: Option<ID>,
    /// Reflections about this event.
    pub event_id: Option<ID>,
    /// Reflections about this session of the event (0 is the first).
    pub session_index: Option<i32>,
    /// Whose reflections.
    pub member_handle: Option<String>,
    /// Reflections that describe this kind of value.
    pub value: Option<ValueKind>,
}

/// A new harvest in a group of this server (its moderators, or the hosts of the event it is about).
#[derive(InputObject)]
pub struct CreateHarvestInput {
    /// The group whose reflections it gathers.
    pub group_id: ID,
    /// At most 300 characters.
    pub title: String,
    /// The period it makes sense of.
    pub from: DateTime<Utc>,
    /// The end of the period, after `from`.
    pub to: DateTime<Utc>,
    /// An event of the group it is about; the event's hosts may then harvest it too.
    pub event_id: Option<ID>,
    /// Markdown: what the group now understands.
    pub understanding: Option<String>,
}

/// Changes to a harvest (the group's moderators, the event's hosts). What is left out stays as it
/// is.
#[derive(InputObject)]
pub struct UpdateHarvestInput {
    /// At most 300 characters.
    pub title: Option<String>,
    /// The start of the period it makes sense of.
    pub from: Option<DateTime<Utc>>,
    /// The end of the period, after `from`.
    pub to: Option<DateTime<Utc>>,
    /// Markdown: what the group now understands; an empty string removes it.
    pub understanding: Option<String>,
}

/// A next action of a harvest (its harvesters).
#[derive(InputObject)]
pub struct CreateActionInput {
    /// The harvest it comes out of.
    pub harvest_id: ID,
    /// What is to be done, at most 300 characters.
    pub title: String,
    /// A member of the group.
    pub owner_handle: Option<String>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// Default: OPEN.
    pub status: Option<ActionStatus>,
}

/// The harvest's harvesters change anything; the action's owner moves its status.
#[derive(InputObject)]
pub struct UpdateActionInput {
    /// What is to be done, at most 300 characters.
    pub title: Option<String>,
    /// "" leaves it without an owner.
    pub owner_handle: Option<String>,
    /// null clears the due date.
    pub due_at: MaybeUndefined<DateTime<Utc>>,
    /// Where it stands; the action's owner may change it (and nothing else).
    pub status: Option<ActionStatus>,
}
