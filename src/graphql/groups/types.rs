//! The `Group` and `Membership` objects and the membership role.
use async_graphql::{Context, Enum, Object, ID};
use uuid::Uuid;

use crate::db::enums::JoinMode;
use crate::db::{group, membership};
use crate::domain;
use crate::domain::groups::Role;
use crate::error::AppError;
use crate::graphql::members::Member;
use crate::graphql::types::{connection, loaded, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

/// A group by id through the request's loader (NOT_FOUND when it is gone).
pub async fn group_by_id(ctx: &Context<'_>, id: Uuid) -> Result<Group> {
    loaded(ctx.loaders().groups.load_one(id).await)?.map(Group).ok_or_else(|| AppError::not_found("group").into())
}

/// A member's place in a group, highest first; PENDING is a request to join, not yet a role.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MembershipRole {
    /// May do anything, owners' roles included; a group keeps at least one.
    Owner,
    /// Changes the group and manages its moderators and members.
    Admin,
    /// Approves join requests, invites members, creates events and learning questions, and
    /// moderates threads, library entries and reflections.
    Moderator,
    /// Takes part: writes threads, library entries and reflections.
    Member,
    /// Asked to join a group that approves its members; not yet in it.
    Pending,
}

impl From<Role> for MembershipRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => MembershipRole::Owner,
            Role::Admin => MembershipRole::Admin,
            Role::Moderator => MembershipRole::Moderator,
            Role::Member => MembershipRole::Member,
            Role::Pending => MembershipRole::Pending,
        }
    }
}

impl From<MembershipRole> for Role {
    fn from(r: MembershipRole) -> Self {
        match r {
            MembershipRole::Owner => Role::Owner,
            MembershipRole::Admin => Role::Admin,
            MembershipRole::Moderator => Role::Moderator,
            MembershipRole::Member => Role::Member,
            MembershipRole::Pending => Role::Pending,
        }
    }
}

/// Shared (`Arc`) with the request's loaders and the shared rows: a list hands out the same
/// few groups many times.
pub struct Group(pub std::sync::Arc<group::Model>);

impl From<group::Model> for Group {
    fn from(g: group::Model) -> Self {
        Group(std::sync::Arc::new(g))
    }
}

/// A group: a community here, or a partner network on another server.
#[Object]
impl Group {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `community` for local groups, `network@partner.example` for remote ones.
    async fn handle(&self) -> &str {
        &self.0.handle
    }
    /// Its display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Markdown as written; for a group of another server, the same HTML as `summaryHtml`.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// Whether the viewer may change the group, its members' roles and its followers (its
    /// owners and admins, and instance admins).
    async fn viewer_can_manage(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(domain::groups::administers(crate::graphql::types::viewer_role(ctx, self.0.id).await?))
    }
    /// The picture across the top of the group: uploaded here, or its server's.
    async fn banner(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::media::Media>> {
        crate::graphql::media::picture(ctx, self.0.banner_id).await
    }
    /// The summary rendered and sanitised.
    async fn summary_html(&self) -> Option<&str> {
        self.0.summary_html.as_deref()
    }
    /// Whether the group lives on this server.
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its ActivityPub id.
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
    /// Whether joining needs a moderator's approval.
    async fn requires_approval(&self) -> bool {
        self.0.join_mode == JoinMode::Approval
    }
    /// Whether new followers need approval.
    async fn manually_approves_followers(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(loaded(ctx.loaders().actors.load_one(self.0.id).await)?.is_some_and(|a| a.manually_approves_followers))
    }
    /// Whether the followers collection lists who follows (otherwise only how many).
    async fn public_followers(&self) -> bool {
        self.0.public_followers
    }
    /// Accepted followers, here and on other servers.
    async fn followers_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let n = loaded(ctx.loaders().followers.load_one(self.0.id).await)?.unwrap_or(0);
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    /// Members and their roles; join requests (PENDING) only for the group's moderators.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn members(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Conn<Membership>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let page = domain::pagination::PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
            let rows = domain::groups::memberships(ctx.state(), ctx.viewer(), self.0.id, page).await?;
            Ok(connection(rows, |m| m.id, Membership))
        })
        .await
    }
    /// Open join requests, oldest first: for the group's moderators (null for everyone else).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn join_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<Conn<Membership>>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let page = domain::pagination::PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
            let rows = domain::groups::join_requests(ctx.state(), ctx.viewer(), self.0.id, page).await?;
            Ok(rows.map(|rows| connection(rows, |m| m.id, Membership)))
        })
        .await
    }
    /// Events this group hosts or co-hosts, by start time.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<crate::graphql::events::Event>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let filter = crate::graphql::events::EventFilter {
                group_handle: Some(self.0.handle.clone()),
                include_remote: Some(true),
                ..Default::default()
            };
            crate::graphql::events::list_events(ctx, filter, first, after).await
        })
        .await
    }
    /// Events of other groups this group is invited to co-host and has not answered, soonest
    /// first (at most 50): for the group's admins; empty for everyone else. Answer with
    /// `answerCoHostInvitation`.
    #[graphql(complexity = "50 * child_complexity")]
    async fn co_host_invitations(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::events::Event>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let rows = domain::events::cohost_invitations(ctx.state(), ctx.viewer(), self.0.id, 50).await?;
            Ok(rows.into_iter().map(crate::graphql::events::Event::from).collect())
        })
        .await
    }
    /// The viewer's own membership, if any.
    async fn my_membership(&self, ctx: &Context<'_>) -> Result<Option<Membership>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let Some(me) = ctx.viewer().optional()? else { return Ok(None) };
            Ok(domain::groups::membership_of(&ctx.state().db, self.0.id, me.id).await?.map(Membership))
        })
        .await
    }
    /// When it was made (for a remote group: when this server first learned of it).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

pub struct Membership(pub membership::Model);

/// A member's place in a group, or their request to join it (PENDING).
#[Object]
impl Membership {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Who is in the group.
    async fn member(&self, ctx: &Context<'_>) -> Result<Member> {
        loaded(ctx.loaders().members.load_one(self.0.member_id).await)?
            .map(Member)
            .ok_or_else(|| AppError::not_found("member").into())
    }
    /// The group.
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        loaded(ctx.loaders().groups.load_one(self.0.group_id).await)?
            .map(Group)
            .ok_or_else(|| AppError::not_found("group").into())
    }
    /// What they may do in the group; PENDING while their request to join waits.
    async fn role(&self) -> MembershipRole {
        self.0.role.into()
    }
    /// When they joined or asked to.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}
