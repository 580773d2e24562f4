//! Learning records: what a group asks itself, the evidence its members gather, how it makes
//! sense of it, and the prompts that keep learning on the list.
//!
//! - `questions`: learning questions (a group commits to one; its owner keeps its current
//!   understanding and reviews it on a rhythm);
//! - `reflections`: writing reflections (after-action reviews, observations, insights, stories)
//!   about an event or one of its sessions, a thread or a library entry, as evidence for
//!   questions; `reading`: reading them, and "resonates";
//! - `harvests`: harvests (reflections gathered into themes, what the group now understands)
//!   and their next actions;
//! - `notifications`: members' notifications, and the prompts (after an event, when a review is
//!   due) made from them, each once; `replies`: the prompt sent to people elsewhere and their
//!   replies, which become reflections;
//! - `federation` and `received`: questions and reflections sent to and taken from partner
//!   servers and Mastodon, by the one visibility rule;
//! - `report`: a group's progress report for a period, and the share links that open it.
//!
//! Who sees a question or a reflection is [`visibility::RecordScope`]'s
//! (crate::domain::visibility::RecordScope); who may change one is decided here.
use uuid::Uuid;

use crate::state::AppState;

mod federation;
mod harvests;
mod notifications;
mod questions;
mod reading;
mod received;
mod reflections;
mod replies;
pub mod report;

pub use federation::{public_question, public_reflection, published_now, readable_reflection};
pub use harvests::{
    actions_of, add_to_harvest, create_action, create_harvest, get_harvest, harvests, items_of, themes, update_action,
    update_harvest, ActionChanges, HarvestChanges, NewAction, NewHarvest,
};
pub use notifications::{
    mark_read, notifications, notify_invited, prompt_once, row as notification_row, spawn_prompts, unread_count,
    About as NotificationAbout,
};
pub use questions::{
    create_question, evidence_counts, get_question, load_questions, questions, update_question, NewQuestion,
    QuestionChanges,
};
pub use reading::{
    get_reflection, load_reflections, questions_of, reflections, resonance, resonate, unresonate, values_of,
    ReflectionFilter,
};
pub use received::{forget_question, take_question, take_reflection, IncomingRecord};
pub use reflections::{delete_reflection, edit_reflection, reflect, ReflectionInput};
pub use replies::{forget_replies_of, forget_reply, prompt_of, prompt_url, reflect_from_reply, shared_by};

/// The member named by `handle` (in `ownerHandle`), who must belong to the group: the owner of
/// a question or of an action.
pub(crate) async fn owner_in<C: sea_orm::ConnectionTrait>(
    conn: &C,
    group_id: Uuid,
    handle: &str,
) -> crate::error::AppResult<Uuid> {
    use crate::error::AppError;
    let key = handle.trim().trim_start_matches('@').to_lowercase();
    let m = crate::domain::members::find_by_handle(conn, &key)
        .await?
        .ok_or_else(|| AppError::bad_input("ownerHandle", "no such member"))?;
    if !crate::domain::groups::is_member(conn, group_id, m.id).await? {
        return Err(AppError::bad_input("ownerHandle", "an owner is a member of the group"));
    }
    Ok(m.id)
}

/// Characters of Markdown a question's "why it matters", a reflection or an understanding may have.
pub const MAX_TEXT: usize = 10_000;

pub fn question_url(state: &AppState, id: Uuid) -> String {
    format!("{}/questions/{id}", state.base_url())
}

pub fn reflection_url(state: &AppState, id: Uuid) -> String {
    format!("{}/reflections/{id}", state.base_url())
}
