//! GraphQL object types. They wrap domain rows; their names and fields are the API contract.
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, ErrorExtensions as _, Object, SimpleObject, ID};
use uuid::Uuid;

use super::loaders::LoadError;
use super::ContextExt as _;
use crate::db::enums::{JoinMode, MemberStatus};
use crate::db::{group, member, membership};
use crate::domain;
use crate::domain::actors::ActorKind;
use crate::domain::groups::Role;
use crate::domain::pagination::{encode_cursor, Page};
use crate::error::AppError;

pub type Result<T> = async_graphql::Result<T>;

/// Parses an opaque ID argument.
pub fn parse_id(field: &str, id: &ID) -> std::result::Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str()).map_err(|_| AppError::bad_input(field, format!("{field} is not a valid id")))
}

/// An optional opaque ID argument.
pub fn optional_id(field: &str, id: Option<&ID>) -> Result<Option<Uuid>> {
    Ok(id.map(|i| parse_id(field, i)).transpose()?)
}

/// A failed load as an INTERNAL error (the cause was logged where it happened).
pub(crate) fn load_failed(e: LoadError) -> async_graphql::Error {
    async_graphql::Error::new(e.to_string()).extend_with(|_, ext| ext.set("code", "INTERNAL"))
}

pub(crate) fn loaded<T>(r: std::result::Result<Option<T>, LoadError>) -> Result<Option<T>> {
    r.map_err(load_failed)
}
/// A member by id through the request's loader, when the viewer may see them.
pub(crate) async fn visible_member(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Member>> {
    let Some(id) = id else { return Ok(None) };
    let m = loaded(ctx.loaders().members.load_one(id).await)?;
    Ok(m.filter(|m| domain::visibility::member_visible(m, ctx.viewer())).map(Member))
}

/// A group by id through the request's loader (NOT_FOUND when it is gone).
pub(crate) async fn group_by_id(ctx: &Context<'_>, id: Uuid) -> Result<Group> {
    loaded(ctx.loaders().groups.load_one(id).await)?.map(Group).ok_or_else(|| AppError::not_found("group").into())
}

/// Loads the members of a page (its authors) in one batch before the fields resolve.
pub(crate) async fn prime_members(ctx: &Context<'_>, ids: impl Iterator<Item = Uuid>) -> Result<()> {
    let ids: Vec<Uuid> = ids.collect();
    if !ids.is_empty() {
        ctx.loaders().members.load_many(ids).await.map_err(load_failed)?;
    }
    Ok(())
}

/// Extra fields every connection carries.
#[derive(SimpleObject)]
pub struct ConnectionTotal {
    /// How many items match, across all pages.
    pub total_count: i64,
}

pub type Conn<T> = Connection<String, T, ConnectionTotal, EmptyFields>;

/// Whether the connection being resolved selects `totalCount` (else no `COUNT(*)` runs).
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Turns a domain page into a Relay connection; `id` gives each row's cursor.
pub fn connection<R, T>(page: Page<R>, id: impl Fn(&R) -> Uuid, wrap: impl Fn(R) -> T) -> Conn<T>
where
    T: async_graphql::OutputType,
{
    let mut conn =
        Connection::with_additional_fields(false, page.has_next, ConnectionTotal { total_count: page.total as i64 });
    conn.edges.extend(page.items.into_iter().map(|r| Edge::new(encode_cursor(id(&r)), wrap(r))));
    conn
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Sector {
    Funder,
    Researcher,
    Practitioner,
    Policymaker,
    Educator,
    Community,
    Other,
}

impl Sector {
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Funder => "FUNDER",
            Sector::Researcher => "RESEARCHER",
            Sector::Practitioner => "PRACTITIONER",
            Sector::Policymaker => "POLICYMAKER",
            Sector::Educator => "EDUCATOR",
            Sector::Community => "COMMUNITY",
            Sector::Other => "OTHER",
        }
    }
    fn parse(s: &str) -> Option<Sector> {
        [
            Sector::Funder,
            Sector::Researcher,
            Sector::Practitioner,
            Sector::Policymaker,
            Sector::Educator,
            Sector::Community,
            Sector::Other,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MembershipRole {
    Owner,
    Admin,
    Moderator,
    Member,
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

/// An account's standing on this instance.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AccountStatus {
    Active,
    /// Awaiting approval by an instance admin.
    Pending,
    Suspended,
    /// Deleted by its owner; the handle stays reserved.
    Deleted,
}

pub struct Member(pub member::Model);

fn json_strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

#[Object]
impl Member {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The local part of the handle (ActivityPub `preferredUsername` for remote members).
    async fn username(&self) -> &str {
        &self.0.username
    }
    /// `alice` for local members, `alice@other.example` for remote ones.
    async fn handle(&self) -> &str {
        &self.0.handle
    }
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    /// Markdown as written.
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }
    /// The bio rendered and sanitised.
    async fn bio_html(&self) -> Option<&str> {
        self.0.bio_html.as_deref()
    }
    async fn sector(&self) -> Option<Sector> {
        self.0.sector.as_deref().and_then(Sector::parse)
    }
    async fn organization(&self) -> Option<&str> {
        self.0.organization.as_deref()
    }
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    async fn pronouns(&self) -> Option<&str> {
        self.0.pronouns.as_deref()
    }
    async fn interests(&self) -> Vec<String> {
        json_strings(&self.0.interests)
    }
    async fn links(&self) -> Vec<String> {
        json_strings(&self.0.links)
    }
    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }
    /// Whether the member is listed in the directory and search.
    async fn discoverable(&self) -> bool {
        self.0.discoverable
    }
    /// The secret address of this member's calendar of the events they are GOING to; only for
    /// the member themself.
    async fn calendar_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        if !domain::visibility::member_private_visible(&self.0, ctx.viewer()) {
            return Ok(None);
        }
        let token = domain::events::calendar::token(ctx.state(), ctx.viewer()).await?;
        Ok(Some(domain::events::calendar::url(ctx.state(), &token)))
    }
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its ActivityPub id, which is also its profile page.
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
    /// Accepted followers, here and on other servers.
    async fn followers_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let n = loaded(ctx.loaders().followers.load_one((ActorKind::Member, self.0.id)).await)?.unwrap_or(0);
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    async fn is_admin(&self) -> bool {
        self.0.is_admin
    }
    /// Shown to the member and to instance admins only.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let shown = domain::visibility::member_account_visible(&self.0, ctx.viewer())?;
        Ok(if shown { self.0.email.as_deref() } else { None })
    }
    /// Shown to the member and to instance admins only.
    async fn account_status(&self, ctx: &Context<'_>) -> Result<Option<AccountStatus>> {
        if !domain::visibility::member_account_visible(&self.0, ctx.viewer())? {
            return Ok(None);
        }
        Ok(Some(match self.0.status {
            MemberStatus::Active => AccountStatus::Active,
            MemberStatus::Pending => AccountStatus::Pending,
            MemberStatus::Suspended => AccountStatus::Suspended,
            MemberStatus::Deleted => AccountStatus::Deleted,
        }))
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

pub struct Group(pub group::Model);

#[Object]
impl Group {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `community` for local groups, `network@partner.example` for remote ones.
    async fn handle(&self) -> &str {
        &self.0.handle
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    async fn summary_html(&self) -> Option<&str> {
        self.0.summary_html.as_deref()
    }
    async fn local(&self) -> bool {
        self.0.local
    }
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
    /// Whether joining needs a moderator's approval.
    async fn requires_approval(&self) -> bool {
        self.0.join_mode == JoinMode::Approval
    }
    /// Whether new followers need approval.
    async fn manually_approves_followers(&self) -> bool {
        self.0.manually_approves_followers
    }
    /// Whether the followers collection lists who follows (otherwise only how many).
    async fn public_followers(&self) -> bool {
        self.0.public_followers
    }
    /// Accepted followers, here and on other servers.
    async fn followers_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let n = loaded(ctx.loaders().followers.load_one((ActorKind::Group, self.0.id)).await)?.unwrap_or(0);
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    /// Members and their roles; join requests (PENDING) only for the group's moderators.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn members(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Conn<Membership>> {
        let page = domain::pagination::PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let rows = domain::groups::memberships(ctx.state(), ctx.viewer(), self.0.id, page).await?;
        Ok(connection(rows, |m| m.id, Membership))
    }
    /// Events this group hosts or co-hosts, by start time.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<super::events::Event>> {
        let filter = super::events::EventFilter {
            group_handle: Some(self.0.handle.clone()),
            include_remote: Some(true),
            ..Default::default()
        };
        super::events::list_events(ctx, filter, first, after).await
    }
    /// Events of other groups this group is invited to co-host and has not answered, soonest
    /// first (at most 50): for the group's admins; empty for everyone else. Answer with
    /// `answerCoHostInvitation`.
    #[graphql(complexity = "50 * child_complexity")]
    async fn co_host_invitations(&self, ctx: &Context<'_>) -> Result<Vec<super::events::Event>> {
        let rows = domain::events::cohost_invitations(ctx.state(), ctx.viewer(), self.0.id, 50).await?;
        Ok(rows.into_iter().map(super::events::Event).collect())
    }
    /// The viewer's own membership, if any.
    async fn my_membership(&self, ctx: &Context<'_>) -> Result<Option<Membership>> {
        let Some(me) = ctx.viewer().optional()? else { return Ok(None) };
        Ok(domain::groups::membership_of(&ctx.state().db, self.0.id, me.id).await?.map(Membership))
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

pub struct Membership(pub membership::Model);

#[Object]
impl Membership {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn member(&self, ctx: &Context<'_>) -> Result<Member> {
        loaded(ctx.loaders().members.load_one(self.0.member_id).await)?
            .map(Member)
            .ok_or_else(|| AppError::not_found("member").into())
    }
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        loaded(ctx.loaders().groups.load_one(self.0.group_id).await)?
            .map(Group)
            .ok_or_else(|| AppError::not_found("group").into())
    }
    async fn role(&self) -> MembershipRole {
        self.0.role.into()
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// A JWT for `Authorization: Bearer …`, valid 15 minutes.
    pub access_token: String,
    /// Opaque; exchange it with `refreshToken` for a new pair. Single use.
    pub refresh_token: String,
    pub member: Member,
}

impl From<domain::sessions::Session> for AuthPayload {
    fn from(s: domain::sessions::Session) -> Self {
        AuthPayload { access_token: s.access_token, refresh_token: s.refresh_token, member: Member(s.member) }
    }
}
