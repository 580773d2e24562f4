//! What resource mutations and the library list take.
use async_graphql::{InputObject, ID};
use uuid::Uuid;

use super::types::ResourceKind;
use crate::domain::resources::ResourceFields;
use crate::graphql::types::{parse_id, Result};

#[derive(InputObject)]
pub struct CreateResourceInput {
    pub group_id: ID,
    pub title: String,
    pub kind: ResourceKind,
    /// Where the resource is: an http(s) URL.
    pub url: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub event_id: Option<ID>,
    pub thread_id: Option<ID>,
    /// Where it sits in the group's library, e.g. "Toolkits/Evaluation" (default: the top).
    pub folder: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateResourceInput {
    pub title: Option<String>,
    pub kind: Option<ResourceKind>,
    /// An empty string removes it.
    pub url: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub folder: Option<String>,
    pub event_id: Option<ID>,
    pub thread_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct ResourceFilter {
    pub group_handle: Option<String>,
    pub kind: Option<ResourceKind>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub event_id: Option<ID>,
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
