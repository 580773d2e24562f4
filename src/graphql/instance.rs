//! This server: name, domain, version, counts, policies.
use async_graphql::{Context, Object};

use super::types::Result;
use super::ContextExt as _;
use crate::config::{GroupCreation, RegistrationMode};
use crate::domain;

pub struct Instance;

/// This server: its name, domain, version, counts and policies.
#[Object]
impl Instance {
    /// The instance's name, as its operators set it.
    async fn name(&self, ctx: &Context<'_>) -> String {
        ctx.state().config.instance_name.clone()
    }
    /// The domain it serves: the `server` of its `name@server` handles.
    async fn domain(&self, ctx: &Context<'_>) -> String {
        ctx.state().config.domain.clone()
    }
    /// The Weave version it runs.
    async fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
    /// Active local accounts.
    async fn member_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(domain::members::count_local(&ctx.state().db).await? as i64)
    }
    /// Local groups.
    async fn group_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(domain::groups::count_local(&ctx.state().db).await? as i64)
    }
    /// What the instance says of itself (Markdown, as its admins wrote it); null until set.
    async fn description(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(profile(ctx).await?.description)
    }
    /// The description as sanitised HTML.
    async fn description_html(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(profile(ctx).await?.description_html())
    }
    /// The server's rules, in order, as members and visitors are shown them.
    async fn rules(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(profile(ctx).await?.rules)
    }
    /// Where to write to the admins; null until set.
    async fn contact_email(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(profile(ctx).await?.contact_email)
    }
    /// Who may create an account here.
    async fn registration_mode(&self, ctx: &Context<'_>) -> RegistrationMode {
        ctx.state().config.registration_mode
    }
    /// Who may create groups here.
    async fn group_creation(&self, ctx: &Context<'_>) -> GroupCreation {
        ctx.state().config.group_creation
    }
}

/// The instance's profile, read once per request however many of its fields are asked.
async fn profile(ctx: &Context<'_>) -> Result<domain::instance::Profile> {
    let loaders = ctx.loaders();
    // A long-lived connection keeps nothing (see `Loaders::uncached`).
    if !loaders.keep_record_scope {
        return Ok(domain::instance::profile(&ctx.state().db).await?);
    }
    Ok(loaders.instance.get_or_try_init(|| domain::instance::profile(&ctx.state().db)).await.cloned()?)
}

/// Changes to what the instance says of itself; omitted parts stay, an empty text clears.
#[derive(async_graphql::InputObject)]
pub struct UpdateInstanceInput {
    /// Markdown, at most 5,000 characters.
    pub description: Option<String>,
    /// The whole list, in order: at most 30 rules of at most 500 characters each.
    pub rules: Option<Vec<String>>,
    /// An address for members and other servers' admins to write to.
    pub contact_email: Option<String>,
}

#[derive(Default)]
pub struct InstanceMutation;

#[Object]
impl InstanceMutation {
    /// Sets the instance's description, rules and contact address (instance admins).
    async fn update_instance(&self, ctx: &Context<'_>, input: UpdateInstanceInput) -> Result<Instance> {
        let changes = domain::instance::ProfileChanges {
            description: input.description,
            rules: input.rules,
            contact_email: input.contact_email,
        };
        domain::instance::update(ctx.state(), ctx.viewer(), changes).await?;
        Ok(Instance)
    }
}

#[derive(Default)]
pub struct InstanceQuery;

#[Object]
impl InstanceQuery {
    /// This server: name, domain, version, counts, policies.
    async fn instance(&self) -> Instance {
        Instance
    }
}
