//! The `Member` object, its enums, and what signing in returns.
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use uuid::Uuid;

use crate::db::enums::MemberStatus;
use crate::db::member;
use crate::domain;
use crate::graphql::types::{connection, loaded, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

/// A member by id through the request's loader, when the viewer may see them.
pub async fn visible_member(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Member>> {
    let Some(id) = id else { return Ok(None) };
    let m = loaded(ctx.loaders().members.load_one(id).await)?;
    Ok(m.filter(|m| domain::visibility::member_visible(m, ctx.viewer())).map(Member))
}

/// The sector a member works in, as they give it on their profile.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Sector {
    /// Those who fund the work: foundations, donors and other grant-makers.
    Funder,
    /// Those who study it.
    Researcher,
    /// Those who do the work itself.
    Practitioner,
    /// Those who make or shape policy.
    Policymaker,
    /// Those who teach or train.
    Educator,
    /// Members of the communities the work is with and for.
    Community,
    /// Any other sector.
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

/// An account's standing on this instance.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AccountStatus {
    /// In good standing: the member may sign in, and others see them.
    Active,
    /// Awaiting approval by an instance admin.
    Pending,
    /// Suspended by an instance admin: the account cannot sign in and is hidden from others.
    Suspended,
    /// Deleted by its owner; the handle stays reserved.
    Deleted,
}

/// Shared (`Arc`) with the request's loaders and the shared rows: a list hands out the same
/// few organisers and authors many times.
pub struct Member(pub std::sync::Arc<member::Model>);

impl From<member::Model> for Member {
    fn from(m: member::Model) -> Self {
        Member(std::sync::Arc::new(m))
    }
}

/// A person: an account here, or one on another server that this server knows.
#[Object]
impl Member {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
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
    /// The name the member goes by; null when they gave none.
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
    /// Null when they gave none.
    async fn sector(&self) -> Option<Sector> {
        self.0.sector.as_deref().and_then(Sector::parse)
    }
    /// Where they work, as they give it.
    async fn organization(&self) -> Option<&str> {
        self.0.organization.as_deref()
    }
    /// As they give it: free text, not a code.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// As they give them, e.g. `she/her`.
    async fn pronouns(&self) -> Option<&str> {
        self.0.pronouns.as_deref()
    }
    /// Short labels of what they work on, in their order.
    async fn interests(&self) -> Vec<String> {
        domain::members::listed(&self.0.interests)
    }
    /// Their http(s) links, in their order.
    async fn links(&self) -> Vec<String> {
        domain::members::listed(&self.0.links)
    }
    /// The avatar's address (`avatar { url }`), kept for older clients.
    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }
    /// The member's picture: uploaded here, or their server's.
    async fn avatar(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::media::Media>> {
        crate::graphql::media::picture(ctx, self.0.avatar_id).await
    }
    /// Whether the member is listed in the directory and search.
    async fn discoverable(&self) -> bool {
        self.0.discoverable
    }
    /// The secret address of this member's calendar of the events they are GOING to; only for
    /// the member themself.
    async fn calendar_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            if !domain::visibility::member_private_visible(&self.0, ctx.viewer()) {
                return Ok(None);
            }
            let token = domain::events::calendar::token(ctx.state(), ctx.viewer()).await?;
            Ok(Some(domain::events::calendar::url(ctx.state(), &token)))
        })
        .await
    }
    /// Whether the account is on this server.
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its ActivityPub id, which is also its profile page.
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
    /// Accepted followers, here and on other servers.
    async fn followers_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let n = loaded(ctx.loaders().followers.load_one(self.0.id).await)?.unwrap_or(0);
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    /// Whether the member is an admin of this instance.
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
    /// Their registrations, latest made first: for the member themself and instance admins
    /// (null for everyone else). `upcoming`: only events that have not ended (true) or only
    /// past ones (false).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        upcoming: Option<bool>,
        status: Option<crate::graphql::events::RegistrationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<Conn<crate::graphql::events::Registration>>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let page = domain::pagination::PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
            let rows = domain::events::registrations::of_member(
                ctx.state(),
                ctx.viewer(),
                &self.0,
                upcoming,
                status.map(Into::into),
                page,
            )
            .await?;
            Ok(rows.map(|rows| connection(rows, |r| r.id, crate::graphql::events::Registration)))
        })
        .await
    }
    /// Their memberships (join requests included), in the order made: for the member themself
    /// and instance admins (null for everyone else).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<Conn<crate::graphql::groups::Membership>>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let page = domain::pagination::PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
            let rows = domain::groups::memberships_of(ctx.state(), ctx.viewer(), &self.0, page).await?;
            Ok(rows.map(|rows| connection(rows, |m| m.id, crate::graphql::groups::Membership)))
        })
        .await
    }
    /// Their open invitations to groups, newest first: for the member themself and instance
    /// admins (null for everyone else).
    #[graphql(complexity = "crate::domain::groups::MAX_OPEN_INVITATIONS as usize * child_complexity")]
    async fn invitations(&self, ctx: &Context<'_>) -> Result<Option<Vec<crate::graphql::groups::GroupInvitation>>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let rows = domain::groups::open_invitations(&ctx.state().db, ctx.viewer(), &self.0).await?;
            Ok(rows.map(|rows| rows.into_iter().map(crate::graphql::groups::GroupInvitation).collect()))
        })
        .await
    }
    /// When the account was made (for a remote member: when this server first learned of it).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// What `register`, `login` and `refreshToken` answer: a new pair of tokens and the member
/// they sign in.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// A JWT for `Authorization: Bearer …`, valid 15 minutes.
    pub access_token: String,
    /// Opaque; exchange it with `refreshToken` for a new pair. Single use.
    pub refresh_token: String,
    /// The signed-in member.
    pub member: Member,
}

impl From<domain::sessions::Session> for AuthPayload {
    fn from(s: domain::sessions::Session) -> Self {
        AuthPayload { access_token: s.access_token, refresh_token: s.refresh_token, member: Member::from(s.member) }
    }
}
