//! What thread and post mutations and the threads list take.
use async_graphql::{InputObject, ID};

use super::types::ThreadKind;

#[derive(InputObject)]
pub struct CreateThreadInput {
    pub group_id: ID,
    pub title: String,
    /// Markdown: the opening post.
    pub body: String,
    /// Default: DISCUSSION.
    pub kind: Option<ThreadKind>,
    pub event_id: Option<ID>,
    pub resource_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ReplyInput {
    pub thread_id: ID,
    /// The post replied to (default: the thread itself).
    pub parent_id: Option<ID>,
    /// Markdown; `@user` and `@user@server` mentions are linked.
    pub body: String,
}

/// The author changes title and kind; the group's moderators also lock, pin and hide.
#[derive(InputObject)]
pub struct UpdateThreadInput {
    pub title: Option<String>,
    pub kind: Option<ThreadKind>,
    pub locked: Option<bool>,
    pub pinned: Option<bool>,
    pub hidden: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct ThreadFilter {
    pub group_handle: Option<String>,
    pub kind: Option<ThreadKind>,
    pub event_id: Option<ID>,
    pub resource_id: Option<ID>,
    pub search: Option<String>,
    /// Also partner networks' threads (default: this instance's only; a group's threads are
    /// always all listed).
    pub include_remote: Option<bool>,
}
