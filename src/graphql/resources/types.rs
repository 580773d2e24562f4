//! The `Resource` object.
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use crate::db::enums::ResourceKind as DbResourceKind;
use crate::db::resource;
use crate::domain::resources;
use crate::graphql::events::{visible_event, Event};
use crate::graphql::groups::{group_by_id, Group};
use crate::graphql::members::{visible_member, Member};
use crate::graphql::threads::{visible_thread, Thread};
use crate::graphql::types::Result;
use crate::graphql::ContextExt as _;

mirror_enum!(
    /// What a library entry is.
    ResourceKind => DbResourceKind {
        /// A link to a web page.
        Link,
        /// A document.
        Document,
        /// A toolkit: tools and methods to use.
        Toolkit,
        /// A template to fill in or adapt.
        Template,
        /// A recording, such as of a session.
        Recording,
        /// The slides of a presentation.
        Slides,
        /// Anything else.
        Other,
    }
);

pub struct Resource(pub resource::Model);

impl Resource {
    async fn may_edit(&self, ctx: &Context<'_>) -> Result<bool> {
        let me = ctx.viewer().optional()?;
        let role = crate::graphql::types::viewer_role(ctx, self.0.group_id).await?;
        Ok(resources::may_edit_with(me, &self.0, role))
    }
}

/// An entry in a group's library, in a folder, optionally linked to an event and a thread.
#[Object]
impl Resource {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The entry's name.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What it is.
    async fn kind(&self) -> ResourceKind {
        self.0.kind.into()
    }
    /// Where the resource itself is.
    async fn url(&self) -> Option<&str> {
        self.0.link.as_deref()
    }
    /// Sanitised HTML, rendered from the author's Markdown.
    async fn description(&self) -> Option<&str> {
        self.0.description_html.as_deref()
    }
    /// The Markdown as written: for its author and the group's moderators (null for others).
    async fn description_source(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(if self.may_edit(ctx).await? { self.0.description.as_deref() } else { None })
    }
    /// Whether the viewer may change or remove it (`updateResource`, `deleteResource`).
    async fn viewer_can_edit(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.local && self.may_edit(ctx).await?)
    }
    /// Labels to find it by (`ResourceFilter.tag`).
    async fn tags(&self) -> Vec<String> {
        resources::tags(&self.0)
    }
    /// Where it sits in the group's library, e.g. `Toolkits/Evaluation`; empty at the top.
    async fn folder(&self) -> &str {
        &self.0.folder
    }
    /// The group whose library holds it.
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        group_by_id(ctx, self.0.group_id).await
    }
    /// Who added it; null when unknown or hidden from the viewer.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.author_id).await
    }
    /// The event it belongs with, when the viewer may see it.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        visible_event(ctx, self.0.event_id).await
    }
    /// The thread it belongs with, when the viewer may see it.
    async fn thread(&self, ctx: &Context<'_>) -> Result<Option<Thread>> {
        visible_thread(ctx, self.0.thread_id).await
    }
    /// Whether it is this server's (false: a partner's library, from another server).
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its page here (and its ActivityPub id).
    async fn page_url(&self) -> &str {
        &self.0.ap_id
    }
    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
