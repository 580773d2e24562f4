//! What thread and post mutations and the threads list take.
use async_graphql::{InputObject, ID};

use super::types::ThreadKind;

/// A new thread in a group of this server (its members).
#[derive(InputObject)]
pub struct CreateThreadInput {
    /// The group it is started in.
    pub group_id: ID,
    /// At most 200 characters.
    pub title: String,
    /// Markdown: the opening post.
    pub body: String,
    /// Default: DISCUSSION.
    pub kind: Option<ThreadKind>,
    /// An event it is about.
    pub event_id: Option<ID>,
    /// A library entry it is about.
    pub resource_id: Option<ID>,
}

/// A reply in a thread.
#[derive(InputObject)]
pub struct ReplyInput {
    /// The thread replied in.
    pub thread_id: ID,
    /// The post replied to (default: the thread itself).
    pub parent_id: Option<ID>,
    /// Markdown; `@user` and `@user@server` mentions are linked.
    pub body: String,
}

/// The author changes title and kind; the group's moderators also lock, pin and hide.
#[derive(InputObject)]
pub struct UpdateThreadInput {
    /// At most 200 characters.
    pub title: Option<String>,
    /// What the thread is for.
    pub kind: Option<ThreadKind>,
    /// A locked thread takes no replies.
    pub locked: Option<bool>,
    /// Pinned threads list first.
    pub pinned: Option<bool>,
    /// A hidden thread is seen by the group's moderators only, and takes no replies.
    pub hidden: Option<bool>,
}

/// Which threads `threads` lists: those that match every field given.
#[derive(InputObject, Default)]
pub struct ThreadFilter {
    /// Threads of this group.
    pub group_handle: Option<String>,
    /// Threads of this kind.
    pub kind: Option<ThreadKind>,
    /// Threads about this event.
    pub event_id: Option<ID>,
    /// Threads about this library entry.
    pub resource_id: Option<ID>,
    /// Threads with every word of it, as the start of a word of their title, opening post or
    /// replies.
    pub search: Option<String>,
    /// Also partner networks' threads (default: this instance's only; a group's threads are
    /// always all listed).
    pub include_remote: Option<bool>,
}
