//! Following across servers, follower review, the domain block list.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::groups::Group;
use super::types::{connection, loaded, parse_id, wants_total, Conn, Result};
use super::ContextExt as _;
use crate::db::enums::FollowState;
use crate::db::{domain_block, follow};
use crate::domain::actors::{ActorKind, ApActor};
use crate::domain::groups::{self, GroupChanges};
use crate::domain::pagination::PageRequest;
use crate::domain::{follows, moderation};
use crate::error::AppError;
use crate::federation::resolve;

pub struct Follow {
    row: follow::Model,
    target: String,
}

/// A follow made by the signed-in member, or by a group they act for (`asGroup`).
#[Object]
impl Follow {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    /// The followed actor's handle.
    async fn target(&self) -> &str {
        &self.target
    }
    /// False until the followed actor (or its moderators) accept.
    async fn accepted(&self) -> bool {
        self.row.state == FollowState::Accepted
    }
}

pub struct FollowRequest(follow::Model);

/// Someone asking to follow a group that approves followers by hand.
#[Object]
impl FollowRequest {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The follower's handle, e.g. `alice@social.example`.
    async fn follower_handle(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.follower(ctx).await?.map(|(handle, _)| handle).unwrap_or_default())
    }
    /// The follower's ActivityPub id.
    async fn follower_url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.follower(ctx).await?.map(|(_, url)| url).unwrap_or_default())
    }
    /// When they asked.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

impl FollowRequest {
    /// The follower's handle and id, through the request's loaders (one query per list).
    async fn follower(&self, ctx: &Context<'_>) -> Result<Option<(String, String)>> {
        let id = self.0.follower_id;
        let Some(actor) = loaded(ctx.loaders().actors.load_one(id).await)? else { return Ok(None) };
        Ok(match actor.kind {
            ActorKind::Member => {
                loaded(ctx.loaders().members.load_one(id).await)?.map(|m| (m.handle.clone(), m.ap_id.clone()))
            }
            ActorKind::Group => {
                loaded(ctx.loaders().groups.load_one(id).await)?.map(|g| (g.handle.clone(), g.ap_id.clone()))
            }
            ActorKind::Instance => None,
        })
    }
}

/// A blocked server, its subdomains included: its activities are refused and nothing is sent
/// to it.
#[derive(SimpleObject)]
pub struct DomainBlock {
    /// The server's host name (with its port, if any), lowercase.
    pub domain: String,
    /// Why, as the admin gave it.
    pub reason: Option<String>,
    /// When it was blocked.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<domain_block::Model> for DomainBlock {
    fn from(m: domain_block::Model) -> Self {
        DomainBlock { domain: m.domain, reason: m.reason, created_at: m.created_at }
    }
}

pub struct DeliveryQueue {
    pending: i64,
    failed: i64,
    dead_servers: Vec<String>,
    recent_failures: Vec<FailedDelivery>,
}

/// The state of outgoing federation.
#[Object]
impl DeliveryQueue {
    /// Deliveries waiting to be sent or retried.
    async fn pending(&self) -> i64 {
        self.pending
    }
    /// Deliveries given up: after about two days of retries, or refused by the receiving
    /// server (a 4xx answer other than 408 and 429).
    async fn failed(&self) -> i64 {
        self.failed
    }
    /// Servers that failed for two days; skipped until they answer again.
    async fn dead_servers(&self) -> &[String] {
        &self.dead_servers
    }
    /// The latest deliveries that failed or were skipped, newest first, with why.
    #[graphql(complexity = "crate::graphql::limits::list_cost(20, child_complexity)")]
    async fn recent_failures(&self) -> &[FailedDelivery] {
        &self.recent_failures
    }
}

/// A delivery that will not be sent (again).
#[derive(SimpleObject, Clone)]
pub struct FailedDelivery {
    /// The inbox it was for.
    pub inbox_url: String,
    /// FAILED or SKIPPED.
    pub state: String,
    /// Why: the receiving server's answer (`refused by the receiving server: HTTP 403 Forbidden`),
    /// the last error of the retries, or the reason it was skipped.
    pub last_error: Option<String>,
    /// How many times it was tried.
    pub attempts: i32,
    /// When its state last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Changes to a group of this server (its owners and admins). What is left out stays as it is.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    /// Its display name, at most 100 characters.
    pub name: Option<String>,
    /// Markdown, at most 2,000 characters; an empty string removes it.
    pub summary: Option<String>,
    /// Joining needs a moderator's approval (memberships start PENDING).
    pub requires_approval: Option<bool>,
    /// New followers need an owner's or admin's approval.
    pub manually_approves_followers: Option<bool>,
    /// List followers publicly in the ActivityPub followers collection (default: count only).
    pub public_followers: Option<bool>,
    /// A picture from `uploadMedia`, shown across the top of the group (null: none).
    pub banner_id: async_graphql::MaybeUndefined<ID>,
}

#[derive(Default)]
pub struct FederationQuery;

#[Object]
impl FederationQuery {
    /// Pending follow requests of a group (its owners and admins).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn follow_requests(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<FollowRequest>> {
        let id = parse_id("groupId", &group_id)?;
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let rows = follows::pending_requests(ctx.state(), ctx.viewer(), id, page).await?;
        Ok(connection(rows, |f| f.id, FollowRequest))
    }

    /// The outgoing delivery queue (instance admins).
    async fn delivery_queue(&self, ctx: &Context<'_>) -> Result<DeliveryQueue> {
        ctx.viewer().admin()?;
        let s = crate::federation::delivery::status(ctx.state()).await?;
        let recent_failures = s
            .recent_failures
            .into_iter()
            .map(|d| FailedDelivery {
                inbox_url: d.inbox_url,
                state: sea_orm::ActiveEnum::to_value(&d.state),
                last_error: d.last_error,
                attempts: d.attempts,
                updated_at: d.updated_at,
            })
            .collect();
        Ok(DeliveryQueue {
            pending: s.pending as i64,
            failed: s.failed as i64,
            dead_servers: s.dead_servers,
            recent_failures,
        })
    }

    /// Servers this instance refuses (instance admins).
    // Unpaged but short (admins block a handful of servers): priced as one full page.
    #[graphql(complexity = "crate::graphql::limits::list_cost(100, child_complexity)")]
    async fn blocked_domains(&self, ctx: &Context<'_>) -> Result<Vec<DomainBlock>> {
        Ok(moderation::list(ctx.state(), ctx.viewer()).await?.into_iter().map(DomainBlock::from).collect())
    }
}

#[derive(Default)]
pub struct FederationMutation;

async fn target(ctx: &Context<'_>, handle: &str) -> Result<ApActor> {
    let data = ctx.fed();
    Ok(resolve::actor_by_handle(&data, handle, ctx.lookup()).await?.ok_or_else(|| AppError::not_found("actor"))?)
}

#[Object]
impl FederationMutation {
    /// Follows a group or person here or elsewhere, e.g. a partner network
    /// `network@partner.example`. Remote follows are accepted by the other server. With
    /// `asGroup`, a local group (of which you are an owner or admin) follows instead of you.
    async fn follow(&self, ctx: &Context<'_>, handle: String, as_group: Option<ID>) -> Result<Follow> {
        let as_group = as_group.as_ref().map(|g| parse_id("asGroup", g)).transpose()?;
        let follower = follows::follower_for(ctx.state(), ctx.viewer(), as_group).await?;
        let target = target(ctx, &handle).await?;
        let row = follows::follow(ctx.state(), follower, target.clone()).await?;
        Ok(Follow { row, target: target.handle() })
    }

    /// Stops following; answers whether there was a follow.
    async fn unfollow(&self, ctx: &Context<'_>, handle: String, as_group: Option<ID>) -> Result<bool> {
        let as_group = as_group.as_ref().map(|g| parse_id("asGroup", g)).transpose()?;
        let follower = follows::follower_for(ctx.state(), ctx.viewer(), as_group).await?;
        let target = target(ctx, &handle).await?;
        Ok(follows::unfollow(ctx.state(), follower, target).await?)
    }

    /// Accepts a pending follow request (a group's: its owners and admins). A remote follower's
    /// server is told. CONFLICT when it was already answered or withdrawn.
    async fn accept_follow_request(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        Ok(follows::review(ctx.state(), ctx.viewer(), id, true).await?.is_some())
    }

    /// Rejects a pending follow request (a group's: its owners and admins). A remote follower's
    /// server is told. CONFLICT when it was already answered or withdrawn.
    async fn reject_follow_request(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        follows::review(ctx.state(), ctx.viewer(), id, false).await?;
        Ok(true)
    }

    /// Changes a group's profile or policies (its owners and admins); followers are told.
    async fn update_group(&self, ctx: &Context<'_>, group_id: ID, input: UpdateGroupInput) -> Result<Group> {
        let id = parse_id("groupId", &group_id)?;
        let changes = GroupChanges {
            name: input.name,
            summary: input.summary,
            requires_approval: input.requires_approval,
            manually_approves_followers: input.manually_approves_followers,
            public_followers: input.public_followers,
            banner: crate::graphql::media::change("bannerId", input.banner_id)?,
        };
        Ok(Group::from(groups::update(ctx.state(), ctx.viewer(), id, changes).await?))
    }

    /// Blocks a server (instance admins): its activities are refused, nothing is sent to it.
    async fn block_domain(&self, ctx: &Context<'_>, domain: String, reason: Option<String>) -> Result<DomainBlock> {
        Ok(moderation::block(ctx.state(), ctx.viewer(), &domain, reason.as_deref()).await?.into())
    }

    /// Unblocks a server (instance admins); answers whether it was blocked.
    async fn unblock_domain(&self, ctx: &Context<'_>, domain: String) -> Result<bool> {
        Ok(moderation::unblock(ctx.state(), ctx.viewer(), &domain).await?)
    }
}
