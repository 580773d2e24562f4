//! Accounts, sessions and profiles: the `Member` object and its enums in `types`, the root
//! fields here.
mod types;

pub use types::{visible_member, AuthPayload, Member, Sector};

use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};

use super::types::{connection, load_failed, parse_id, wants_total, Conn, Result};
use super::ContextExt as _;
use crate::domain::members::{self, NewAccount, ProfileChanges};
use crate::domain::pagination::PageRequest;
use crate::domain::sessions;
use crate::error::AppError;
use crate::federation::resolve;
use crate::web::ratelimit::ClientAddr;

/// A new account on this server.
#[derive(InputObject)]
pub struct RegisterInput {
    /// 3 to 30 lowercase letters a-z, digits and `_`: the handle here. Usernames and group slugs
    /// share one namespace.
    pub username: String,
    /// Where the account is reached; one account per address.
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    /// At most 100 characters.
    pub display_name: Option<String>,
    /// Required when the instance is invite-only.
    pub invite_code: Option<String>,
}

/// A local account's credentials.
#[derive(InputObject)]
pub struct LoginInput {
    /// The username or the email address (with an `@`), in any case.
    pub username_or_email: String,
    /// The account's password.
    pub password: String,
}

/// Omitted fields stay as they are; an empty string (or `null` for `sector`) clears a field.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// At most 100 characters.
    pub display_name: Option<String>,
    /// Markdown, at most 5,000 characters.
    pub bio: Option<String>,
    /// The sector the member works in.
    pub sector: MaybeUndefined<Sector>,
    /// At most 200 characters.
    pub organization: Option<String>,
    /// Free text, at most 64 characters.
    pub country: Option<String>,
    /// At most 40 characters.
    pub pronouns: Option<String>,
    /// Replaces the list: at most 30 labels of at most 60 characters; repeats are dropped.
    pub interests: Option<Vec<String>>,
    /// Replaces the list: at most 10 absolute http(s) URLs.
    pub links: Option<Vec<String>>,
    /// Listed in the directory and found by search (true by default). Anyone may still reach
    /// the member by handle.
    pub discoverable: Option<bool>,
    /// A picture from `uploadMedia` (null: none).
    pub avatar_id: MaybeUndefined<ID>,
}

#[derive(Default)]
pub struct MemberQuery;

#[Object]
impl MemberQuery {
    /// The signed-in member; null when not signed in.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        let Some(me) = ctx.viewer().optional()? else { return Ok(None) };
        // Re-read: the token's snapshot may predate a profile change.
        Ok(members::find_by_id(&ctx.state().db, me.id).await?.map(Member::from))
    }

    /// `alice` (local) or `alice@other.example` (remote).
    async fn member(&self, ctx: &Context<'_>, handle: String) -> Result<Option<Member>> {
        Ok(resolve::member_by_handle(&ctx.fed(), &handle, ctx.lookup(), ctx.viewer()).await?.map(Member::from))
    }

    /// The member directory, optionally searched by name, handle or organization.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Member>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        // The page's ids, then their rows through the loader (kept between requests while the
        // member table is unchanged: `domain::shared_rows`).
        let ids = members::list_ids(ctx.state(), search.as_deref(), page).await?;
        let rows = ctx.loaders().members.load_many(ids.items.iter().copied()).await.map_err(load_failed)?;
        Ok(connection(ids.fill(rows, |id| *id).map(|(_, m)| m), |m| m.id, Member))
    }

    /// Accounts awaiting approval (instance admins).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn pending_members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Member>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let rows = members::pending(ctx.state(), ctx.viewer(), page).await?;
        Ok(connection(rows, |m| m.id, Member::from))
    }
}

#[derive(Default)]
pub struct MemberMutation;

/// `register`, `login` and `refreshToken` calls per client address
/// (`WEAVE_RATE_LIMIT_AUTH_PER_MINUTE`), before any password is hashed.
fn auth_limit(ctx: &Context<'_>) -> std::result::Result<(), AppError> {
    let client = ctx.data_opt::<ClientAddr>().cloned().unwrap_or_else(ClientAddr::unknown);
    // Every schema that serves requests holds the limits (`served_schema`); one without them is
    // a wiring defect, refused rather than left unlimited. (The demo's in-process schema never
    // signs anyone in.)
    let Some(limits) = ctx.data_opt::<std::sync::Arc<crate::web::ratelimit::RateLimits>>() else {
        tracing::error!("a schema without rate limits was asked to sign someone in");
        return Err(AppError::internal(anyhow::anyhow!("sign-in limits are not configured")));
    };
    limits.auth.check(&client).map_err(|wait| {
        AppError::RateLimited(format!(
            "too many sign-ins from your address; retry in {} s",
            crate::web::ratelimit::retry_after_secs(wait)
        ))
    })
}

#[Object]
impl MemberMutation {
    /// Creates an account and signs it in. How depends on the instance's `registrationMode`: an
    /// invite code may be needed, and with approval the account starts PENDING.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        auth_limit(ctx)?;
        let account = NewAccount {
            username: input.username,
            email: input.email,
            password: input.password,
            display_name: input.display_name,
            invite_code: input.invite_code,
        };
        Ok(members::register(ctx.state(), account).await?.into())
    }

    /// Signs a local account in. After repeated failures for an account or an address, attempts
    /// are refused for a while (RATE_LIMITED); suspended and deleted accounts are FORBIDDEN.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        auth_limit(ctx)?;
        let ip = ctx.data_opt::<ClientAddr>().map(|c| c.ip.as_str()).unwrap_or("unknown");
        Ok(members::login(ctx.state(), &input.username_or_email, &input.password, ip).await?.into())
    }

    /// Rotates: the presented token stops working. Presenting it again revokes the sign-in.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        auth_limit(ctx)?;
        Ok(sessions::refresh(ctx.state(), &refresh_token).await?.into())
    }

    /// Ends the sign-in the refresh token belongs to.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        Ok(sessions::logout(ctx.state(), &refresh_token).await?)
    }

    /// Changes the signed-in member's profile; followers on other servers are told.
    async fn update_profile(&self, ctx: &Context<'_>, input: UpdateProfileInput) -> Result<Member> {
        let changes = ProfileChanges {
            display_name: input.display_name,
            bio: input.bio,
            sector: match input.sector {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(s) => Some(Some(s.as_str().to_string())),
            },
            organization: input.organization,
            country: input.country,
            pronouns: input.pronouns,
            interests: input.interests,
            links: input.links,
            discoverable: input.discoverable,
            avatar: crate::graphql::media::change("avatarId", input.avatar_id)?,
        };
        Ok(Member::from(members::update_profile(ctx.state(), ctx.viewer(), changes).await?))
    }

    /// Approves an account awaiting approval (instance admins).
    async fn approve_member(&self, ctx: &Context<'_>, member_id: ID) -> Result<Member> {
        let id = parse_id("memberId", &member_id)?;
        Ok(Member::from(members::set_status(ctx.state(), ctx.viewer(), id, true).await?))
    }

    /// Suspends an account and ends its sessions (instance admins).
    async fn suspend_member(&self, ctx: &Context<'_>, member_id: ID) -> Result<Member> {
        let id = parse_id("memberId", &member_id)?;
        Ok(Member::from(members::set_status(ctx.state(), ctx.viewer(), id, false).await?))
    }

    /// Deletes the signed-in member's account (the password confirms). Followers on other
    /// servers receive a `Delete`; the handle stays reserved.
    async fn delete_account(&self, ctx: &Context<'_>, password: String) -> Result<bool> {
        Ok(members::delete_account(ctx.state(), ctx.viewer(), &password).await?)
    }

    /// Changes the signed-in member's password (the current one confirms). Every sign-in of the
    /// account ends: refresh tokens stop working, this one's too.
    async fn change_password(&self, ctx: &Context<'_>, current_password: String, new_password: String) -> Result<bool> {
        auth_limit(ctx)?;
        Ok(members::change_password(ctx.state(), ctx.viewer(), &current_password, &new_password).await?)
    }

    /// Asks for a reset link by email. Always true: nobody learns whether an address has an
    /// account. Links are sent once the instance sends email; until then admins make them.
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        auth_limit(ctx)?;
        Ok(members::request_reset(ctx.state(), &email).await?)
    }

    /// Sets a new password with the token of a reset link (once, within a day). Every
    /// sign-in of the account ends.
    async fn reset_password(&self, ctx: &Context<'_>, token: String, new_password: String) -> Result<bool> {
        auth_limit(ctx)?;
        Ok(members::reset_password(ctx.state(), &token, &new_password).await?)
    }

    /// A password reset link for a member (instance admins), valid for a day, shown once; the
    /// member's earlier links stop working.
    async fn create_password_reset_link(&self, ctx: &Context<'_>, member_id: ID) -> Result<String> {
        let id = parse_id("memberId", &member_id)?;
        Ok(members::create_reset_link(ctx.state(), ctx.viewer(), id).await?)
    }

    /// A single-use invite code for invite-only registration (instance admins). Shown once.
    async fn create_invite(&self, ctx: &Context<'_>, valid_days: Option<i32>) -> Result<String> {
        Ok(members::create_invite(ctx.state(), ctx.viewer(), valid_days).await?)
    }
}
