//! The `Resource` object.
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use crate::db::enums::ResourceKind as DbResourceKind;
use crate::db::resource;
use crate::domain::{resources, visibility};
use crate::graphql::events::{visible_event, Event};
use crate::graphql::groups::{group_by_id, Group};
use crate::graphql::members::{visible_member, Member};
use crate::graphql::threads::Thread;
use crate::graphql::types::{loaded, Result};
use crate::graphql::ContextExt as _;

mirror_enum!(ResourceKind => DbResourceKind { Link, Document, Toolkit, Template, Recording, Slides, Other });

pub struct Resource(pub resource::Model);

impl Resource {
    async fn may_edit(&self, ctx: &Context<'_>) -> Result<bool> {
        let me = ctx.viewer().optional()?;
        let role = crate::graphql::types::viewer_role(ctx, self.0.group_id).await?;
        Ok(resources::may_edit_with(me, &self.0, role))
    }
}

#[Object]
impl Resource {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
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
    async fn tags(&self) -> Vec<String> {
        resources::tags(&self.0)
    }
    async fn folder(&self) -> &str {
        &self.0.folder
    }
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        group_by_id(ctx, self.0.group_id).await
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.author_id).await
    }
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        visible_event(ctx, self.0.event_id).await
    }
    async fn thread(&self, ctx: &Context<'_>) -> Result<Option<Thread>> {
        let Some(id) = self.0.thread_id else { return Ok(None) };
        let Some(t) = loaded(ctx.loaders().threads.load_one(id).await)? else { return Ok(None) };
        Ok(visibility::thread_visible(&ctx.state().db, ctx.viewer(), &t).await?.then_some(Thread(t)))
    }
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its page here (and its ActivityPub id).
    async fn page_url(&self) -> &str {
        &self.0.ap_id
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
