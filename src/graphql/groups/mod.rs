//! Groups and memberships: the `Group` and `Membership` objects in `types`, the root fields
//! here.
mod invitations;
mod types;

pub use invitations::{GroupInvitation, InvitationMutation};
pub use types::{group_by_id, Group, Membership, MembershipRole};

use async_graphql::{Context, InputObject, Object, ID};

use super::types::{connection, parse_id, wants_total, Conn, Result};
use super::ContextExt as _;
use crate::domain::groups::{self, NewGroup};
use crate::domain::pagination::PageRequest;
use crate::federation::resolve;

/// A new group on this server, owned by the one who makes it.
#[derive(InputObject)]
pub struct CreateGroupInput {
    /// Lowercase letters, digits and `_`, 3–30: the group's `@slug@domain` handle.
    pub slug: String,
    /// Its display name, at most 100 characters.
    pub name: String,
    /// Markdown, at most 2,000 characters.
    pub summary: Option<String>,
    /// Joining needs a moderator's approval (memberships start PENDING).
    pub requires_approval: Option<bool>,
    /// Followers from other servers need an owner's approval.
    pub manually_approves_followers: Option<bool>,
}

#[derive(Default)]
pub struct GroupQuery;

#[Object]
impl GroupQuery {
    /// `community` (local) or `network@partner.example` (remote).
    async fn group(&self, ctx: &Context<'_>, handle: String) -> Result<Option<Group>> {
        Ok(resolve::group_by_handle(&ctx.fed(), &handle, ctx.lookup(), ctx.viewer()).await?.map(Group::from))
    }

    /// The group directory, oldest first, optionally searched by name, handle or summary.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn groups(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Group>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        Ok(connection(groups::list(ctx.state(), search.as_deref(), page).await?, |g| g.id, Group::from))
    }
}

#[derive(Default)]
pub struct GroupMutation;

#[Object]
impl GroupMutation {
    /// Creates a group with the signed-in member as its owner (instance admins only, where the
    /// instance's `groupCreation` says so).
    async fn create_group(&self, ctx: &Context<'_>, input: CreateGroupInput) -> Result<Group> {
        let new = NewGroup {
            slug: input.slug,
            name: input.name,
            summary: input.summary,
            requires_approval: input.requires_approval.unwrap_or(false),
            manually_approves_followers: input.manually_approves_followers.unwrap_or(false),
        };
        let (group, _owner) = groups::create(ctx.state(), ctx.viewer(), new).await?;
        Ok(Group::from(group))
    }

    /// MEMBER in open groups, PENDING where moderators approve members. Idempotent.
    async fn join_group(&self, ctx: &Context<'_>, group_id: ID) -> Result<Membership> {
        let id = parse_id("groupId", &group_id)?;
        Ok(Membership(groups::join(ctx.state(), ctx.viewer(), id).await?))
    }

    /// The signed-in member leaves a group. The last owner cannot (CONFLICT): make someone else
    /// owner first.
    async fn leave_group(&self, ctx: &Context<'_>, group_id: ID) -> Result<bool> {
        let id = parse_id("groupId", &group_id)?;
        Ok(groups::leave(ctx.state(), ctx.viewer(), id).await?)
    }

    /// Changes a member's role; approving a join request is PENDING → MEMBER (PENDING itself is
    /// not a role to give: BAD_USER_INPUT). Owners may do anything, admins manage moderators
    /// and members, moderators approve join requests.
    async fn set_member_role(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
        member_id: ID,
        role: MembershipRole,
    ) -> Result<Membership> {
        let group = parse_id("groupId", &group_id)?;
        let member = parse_id("memberId", &member_id)?;
        Ok(Membership(groups::set_role(ctx.state(), ctx.viewer(), group, member, role.into()).await?))
    }

    /// Removes a member or declines a join request.
    async fn remove_member(&self, ctx: &Context<'_>, group_id: ID, member_id: ID) -> Result<bool> {
        let group = parse_id("groupId", &group_id)?;
        let member = parse_id("memberId", &member_id)?;
        Ok(groups::remove_member(ctx.state(), ctx.viewer(), group, member).await?)
    }
}
