//! This server: name, domain, version, counts, policies.
use async_graphql::{Context, Object};

use super::types::Result;
use super::ContextExt as _;
use crate::config::{GroupCreation, RegistrationMode};
use crate::domain;

pub struct Instance;

#[Object]
impl Instance {
    async fn name(&self, ctx: &Context<'_>) -> String {
        ctx.state().config.instance_name.clone()
    }
    async fn domain(&self, ctx: &Context<'_>) -> String {
        ctx.state().config.domain.clone()
    }
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
    async fn registration_mode(&self, ctx: &Context<'_>) -> RegistrationMode {
        ctx.state().config.registration_mode
    }
    async fn group_creation(&self, ctx: &Context<'_>) -> GroupCreation {
        ctx.state().config.group_creation
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
