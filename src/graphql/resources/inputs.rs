//! What resource mutations and the library list take.
use async_graphql::{InputObject, ID};
use uuid::Uuid;

use super::types::ResourceKind;
use crate::domain::resources::ResourceFields;
use crate::graphql::types::{parse_id, Result};

/// A new entry in a group's library (its members).
#[derive(InputObject)]
pub struct CreateResourceInput {
    /// The group of this server whose library it joins.
    pub group_id: ID,
    /// At most 200 characters.
    pub title: String,
    /// What it is.
    pub kind: ResourceKind,
    /// Where the resource is: an http(s) URL.
    pub url: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    /// At most 20, each at most 60 characters; repeats are dropped.
    pub tags: Option<Vec<String>>,
    /// An event it belongs with.
    pub event_id: Option<ID>,
    /// A thread it belongs with.
    pub thread_id: Option<ID>,
    /// Where it sits in the group's library, e.g. "Toolkits/Evaluation" (default: the top).
    pub folder: Option<String>,
}

/// Changes to a library entry of this server (its author or the group's moderators). What is left
/// out stays as it is.
#[derive(InputObject)]
pub struct UpdateResourceInput {
    /// At most 200 characters.
    pub title: Option<String>,
    /// What it is.
    pub kind: Option<ResourceKind>,
    /// An empty string removes it.
    pub url: Option<String>,
    /// Markdown; an empty string removes it.
    pub description: Option<String>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Where it sits in the library, e.g. "Toolkits/Evaluation"; an empty string: the top.
    pub folder: Option<String>,
    /// An event it belongs with; an empty string removes the link.
    pub event_id: Option<ID>,
    /// A thread it belongs with; an empty string removes the link.
    pub thread_id: Option<ID>,
}

/// Which entries `resources` lists: those that match every field given.
#[derive(InputObject, Default)]
pub struct ResourceFilter {
    /// Entries of this group's library.
    pub group_handle: Option<String>,
    /// Entries of this kind.
    pub kind: Option<ResourceKind>,
    /// Entries with this tag (one whole tag, compared without regard to case).
    pub tag: Option<String>,
    /// Entries with every word of it, as the start of a word of their title, description, tags or
    /// folder.
    pub search: Option<String>,
    /// Entries that belong with this event.
    pub event_id: Option<ID>,
    /// Entries that belong with this thread.
    pub thread_id: Option<ID>,
    /// A folder and its subfolders.
    pub folder: Option<String>,
    /// Also partner networks' libraries (default: this instance's only; a group's library
    /// always lists everything in it).
    pub include_remote: Option<bool>,
}

impl From<CreateResourceInput> for ResourceFields {
    fn from(i: CreateResourceInput) -> Self {
        ResourceFields {
            title: Some(i.title),
            kind: Some(i.kind.into()),
            link: Some(i.url),
            description: Some(i.description),
            tags: i.tags,
            folder: i.folder,
            event_id: None,
            thread_id: None,
        }
    }
}

/// An id argument where an empty string clears the link.
pub(super) fn link_id(field: &str, v: Option<ID>) -> Result<Option<Option<Uuid>>> {
    match v {
        None => Ok(None),
        Some(id) if id.is_empty() => Ok(Some(None)),
        Some(id) => Ok(Some(Some(parse_id(field, &id)?))),
    }
}
