//! What learning mutations and lists take.
use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};

use super::types::{ActionStatus, LearningQuestionStatus, ReflectionKind, ReflectionVisibility, ValueKind};

#[derive(InputObject)]
pub struct CreateLearningQuestionInput {
    pub group_id: ID,
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
    pub title: Option<String>,
    pub why_it_matters: Option<String>,
    pub owner_handle: Option<String>,
    pub status: Option<LearningQuestionStatus>,
    /// null stops the reviews.
    pub review_every_days: MaybeUndefined<i32>,
    pub understanding: Option<String>,
    pub visibility: Option<ReflectionVisibility>,
}

/// A reflection: about questions, an event (or one of its sessions), a thread or a library
/// entry (at least one of them); a body, an after-action review (intended, happened, why,
/// nextTime) or both. In `editReflection`, what is left out stays as it is.
#[derive(InputObject)]
pub struct ReflectInput {
    pub question_ids: Option<Vec<ID>>,
    /// In `editReflection`, null removes the link (and left out keeps it), as for the session,
    /// thread and entry.
    pub event_id: MaybeUndefined<ID>,
    /// Which of the event's sessions (0 is the first).
    pub session_index: MaybeUndefined<i32>,
    pub thread_id: MaybeUndefined<ID>,
    pub resource_id: MaybeUndefined<ID>,
    /// Default: AFTER_ACTION with a review, else OBSERVATION.
    pub kind: Option<ReflectionKind>,
    /// Default: as visible as the questions it answers (GROUP without questions); never more.
    pub visibility: Option<ReflectionVisibility>,
    /// Markdown.
    pub body: Option<String>,
    pub intended: Option<String>,
    pub happened: Option<String>,
    pub why: Option<String>,
    pub next_time: Option<String>,
    pub values: Option<Vec<ValueKind>>,
}

#[derive(InputObject, Default)]
pub struct ReflectionFilter {
    pub group_handle: Option<String>,
    pub question_id: Option<ID>,
    pub event_id: Option<ID>,
    pub session_index: Option<i32>,
    /// Whose reflections.
    pub member_handle: Option<String>,
    pub value: Option<ValueKind>,
}

#[derive(InputObject)]
pub struct CreateHarvestInput {
    pub group_id: ID,
    pub title: String,
    /// The period it makes sense of.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub event_id: Option<ID>,
    /// Markdown: what the group now understands.
    pub understanding: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateHarvestInput {
    pub title: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub understanding: Option<String>,
}

#[derive(InputObject)]
pub struct CreateActionInput {
    pub harvest_id: ID,
    pub title: String,
    /// A member of the group.
    pub owner_handle: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    /// Default: OPEN.
    pub status: Option<ActionStatus>,
}

/// The harvest's harvesters change anything; the action's owner moves its status.
#[derive(InputObject)]
pub struct UpdateActionInput {
    pub title: Option<String>,
    /// "" leaves it without an owner.
    pub owner_handle: Option<String>,
    /// null clears the due date.
    pub due_at: MaybeUndefined<DateTime<Utc>>,
    pub status: Option<ActionStatus>,
}
