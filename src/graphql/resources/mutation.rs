//! Adding, changing and deleting library entries.
use async_graphql::{Context, Object, ID};

use super::inputs::{link_id, CreateResourceInput, UpdateResourceInput};
use super::types::Resource;
use crate::domain::resources::{self, ResourceFields};
use crate::graphql::types::{optional_id, parse_id, Result};
use crate::graphql::ContextExt as _;

#[derive(Default)]
pub struct ResourceMutation;

#[Object]
impl ResourceMutation {
    /// Adds an entry to a group's library (its members).
    async fn create_resource(&self, ctx: &Context<'_>, input: CreateResourceInput) -> Result<Resource> {
        let group = parse_id("groupId", &input.group_id)?;
        let event_id = optional_id("eventId", input.event_id.as_ref())?;
        let thread_id = optional_id("threadId", input.thread_id.as_ref())?;
        let mut fields: ResourceFields = input.into();
        fields.event_id = Some(event_id);
        fields.thread_id = Some(thread_id);
        Ok(Resource(resources::create(ctx.state(), ctx.viewer(), group, fields).await?))
    }

    /// Its author or the group's moderators.
    async fn update_resource(&self, ctx: &Context<'_>, id: ID, input: UpdateResourceInput) -> Result<Resource> {
        let id = parse_id("id", &id)?;
        let fields = ResourceFields {
            title: input.title,
            kind: input.kind.map(Into::into),
            link: input.url.map(|u| Some(u).filter(|u| !u.trim().is_empty())),
            description: input.description.map(Some),
            tags: input.tags,
            folder: input.folder,
            event_id: link_id("eventId", input.event_id)?,
            thread_id: link_id("threadId", input.thread_id)?,
        };
        Ok(Resource(resources::update(ctx.state(), ctx.viewer(), id, fields).await?))
    }

    /// Its author or the group's moderators.
    async fn delete_resource(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        Ok(resources::delete(ctx.state(), ctx.viewer(), id).await?)
    }
}
