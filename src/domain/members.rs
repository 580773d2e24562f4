//! Accounts and profiles: registration (open, approval, invite-only), sign-in with rate
//! limiting, profile updates, look-ups and search.
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::auth::{hash_password, hash_token, verify_password};
use crate::config::RegistrationMode;
use crate::db::enums::MemberStatus;
use crate::db::{self, group, invite, login_failure, member};
use crate::domain::actors::{ensure_keys, ActorKind, ApActor};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::sessions::{self, Session};
use crate::domain::viewer::Viewer;
use crate::domain::{follows, groups, handles, markdown, profile_updates, search, validate, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    pub invite_code: Option<String>,
}

/// Profile fields to change; `None` leaves a field as it is, an empty string clears it.
#[derive(Default)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub sector: Option<Option<String>>,
    pub organization: Option<String>,
    pub country: Option<String>,
    pub pronouns: Option<String>,
    pub interests: Option<Vec<String>>,
    pub links: Option<Vec<String>>,
    pub discoverable: Option<bool>,
}

pub const SECTORS: &[&str] = &["FUNDER", "RESEARCHER", "PRACTITIONER", "POLICYMAKER", "EDUCATOR", "COMMUNITY", "OTHER"];

/// A local account about to be written.
struct LocalAccount<'a> {
    username: &'a str,
    email: &'a str,
    password_hash: String,
    display_name: Option<String>,
    status: MemberStatus,
    is_admin: bool,
}

/// Creates a local account row (no commit): shared by `register` and `weave create-admin`.
async fn insert_local<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    account: LocalAccount<'_>,
) -> AppResult<member::Model> {
    let LocalAccount { username, email, password_hash, display_name, status, is_admin } = account;
    ensure_name_free(conn, username).await?;
    if member::Entity::find().filter(member::Column::Email.eq(email)).one(conn).await?.is_some() {
        return Err(AppError::conflict("an account with this email already exists"));
    }
    let now = Utc::now();
    let urls = state.local_actor_urls(state.member_url(username));
    let row = member::ActiveModel {
        id: Set(Uuid::now_v7()),
        handle: Set(username.to_string()),
        username: Set(username.to_string()),
        domain: Set(None),
        email: Set(Some(email.to_string())),
        password_hash: Set(Some(password_hash)),
        display_name: Set(display_name),
        bio: Set(None),
        bio_html: Set(None),
        sector: Set(None),
        organization: Set(None),
        country: Set(None),
        pronouns: Set(None),
        interests: Set(serde_json::json!([])),
        links: Set(serde_json::json!([])),
        is_admin: Set(is_admin),
        status: Set(status),
        local: Set(true),
        url: Set(Some(urls.ap_id.clone())),
        inbox_url: Set(Some(urls.inbox)),
        shared_inbox_url: Set(Some(urls.shared_inbox)),
        outbox_url: Set(Some(urls.outbox)),
        followers_url: Set(Some(urls.followers)),
        ap_id: Set(urls.ap_id),
        public_key_pem: Set(None),
        private_key_pem: Set(None),
        avatar_url: Set(None),
        manually_approves_followers: Set(false),
        discoverable: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        last_refreshed_at: Set(None),
        verified_at: Set(None),
        calendar_token: Set(None),
    };
    let created = row.insert(conn).await?;
    search::index_member(conn, &created).await?;
    Ok(created)
}

/// Usernames and group slugs share the `@name@domain` namespace, so each is checked against both.
pub async fn ensure_name_free<C: ConnectionTrait>(conn: &C, name: &str) -> AppResult<()> {
    let taken_by_member = member::Entity::find().filter(member::Column::Handle.eq(name)).count(conn).await? > 0;
    let taken_by_group = group::Entity::find().filter(group::Column::Handle.eq(name)).count(conn).await? > 0;
    if taken_by_member || taken_by_group {
        return Err(AppError::conflict(format!("the name {name:?} is already taken")));
    }
    Ok(())
}

pub async fn register(state: &AppState, input: NewAccount) -> AppResult<Session> {
    let username = input.username.trim().to_string();
    validate::local_name("username", &username)?;
    let email = validate::email(&input.email)?;
    validate::password(&input.password)?;
    let display_name = validate::text("displayName", input.display_name.as_deref(), 100)?;
    let status = match state.config.registration_mode {
        RegistrationMode::Closed => return Err(AppError::forbidden("registration is closed on this instance")),
        RegistrationMode::Invite if input.invite_code.as_deref().map(str::trim).unwrap_or("").is_empty() => {
            return Err(AppError::bad_input("inviteCode", "registration on this instance needs an invite code"))
        }
        RegistrationMode::Approval => MemberStatus::Pending,
        _ => MemberStatus::Active,
    };
    let password_hash = hash_password(input.password).await?;

    let txn = db::begin_write(&state.db).await?;
    let created = insert_local(
        &txn,
        state,
        LocalAccount { username: &username, email: &email, password_hash, display_name, status, is_admin: false },
    )
    .await?;
    if state.config.registration_mode == RegistrationMode::Invite {
        let code = input.invite_code.as_deref().map(str::trim).unwrap_or_default();
        let used = invite::Entity::update_many()
            .col_expr(invite::Column::UsedBy, Expr::value(created.id))
            .col_expr(invite::Column::UsedAt, Expr::value(Utc::now()))
            .filter(invite::Column::CodeHash.eq(hash_token(code)))
            .filter(invite::Column::UsedBy.is_null())
            .filter(
                Condition::any().add(invite::Column::ExpiresAt.is_null()).add(invite::Column::ExpiresAt.gt(Utc::now())),
            )
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(AppError::bad_input("inviteCode", "this invite code is unknown, used or expired"));
        }
    }
    if status == MemberStatus::Active {
        groups::join_default_group(&txn, created.id).await?;
    }
    let session = sessions::issue(&txn, state, created, None).await?;
    txn.commit().await?;
    Ok(session)
}

/// A demo account (`weave serve --demo`), with its profile filled in. The password hash is
/// made once by the caller and shared by all demo accounts.
pub struct DemoAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub organization: Option<&'a str>,
    pub country: Option<&'a str>,
    pub sector: Option<&'a str>,
    pub bio: Option<&'a str>,
    pub password_hash: String,
    pub is_admin: bool,
}

pub async fn create_demo_member(state: &AppState, a: DemoAccount<'_>) -> AppResult<member::Model> {
    validate::local_name("username", a.username)?;
    if let Some(s) = a.sector.filter(|s| !SECTORS.contains(s)) {
        return Err(AppError::bad_input("sector", format!("unknown sector {s}")));
    }
    let email = format!("{}@demo.invalid", a.username);
    let txn = db::begin_write(&state.db).await?;
    let created = insert_local(
        &txn,
        state,
        LocalAccount {
            username: a.username,
            email: &email,
            password_hash: a.password_hash,
            display_name: Some(a.display_name.to_string()),
            status: MemberStatus::Active,
            is_admin: a.is_admin,
        },
    )
    .await?;
    let mut row: member::ActiveModel = created.into();
    row.organization = Set(a.organization.map(str::to_string));
    row.country = Set(a.country.map(str::to_string));
    row.sector = Set(a.sector.map(str::to_string));
    row.bio_html = Set(a.bio.map(markdown::render));
    row.bio = Set(a.bio.map(str::to_string));
    let created = row.update(&txn).await?;
    search::index_member(&txn, &created).await?;
    groups::join_default_group(&txn, created.id).await?;
    txn.commit().await?;
    Ok(created)
}

/// Signs in by username or email. Failures are counted per account and per client address;
/// past the limit the answer is RATE_LIMITED until the window passes.
pub async fn login(state: &AppState, username_or_email: &str, password: &str, ip: &str) -> AppResult<Session> {
    let key = username_or_email.trim().to_lowercase();
    let window_start = Utc::now() - Duration::seconds(state.config.login_window_secs);
    let max = state.config.login_max_failures;
    let account_failures = login_failure::Entity::find()
        .filter(login_failure::Column::AccountKey.eq(&key))
        .filter(login_failure::Column::CreatedAt.gt(window_start))
        .count(&state.db)
        .await?;
    let ip_failures = login_failure::Entity::find()
        .filter(login_failure::Column::Ip.eq(ip))
        .filter(login_failure::Column::CreatedAt.gt(window_start))
        .count(&state.db)
        .await?;
    if account_failures >= max || ip_failures >= max.saturating_mul(4) {
        return Err(AppError::RateLimited("too many failed sign-in attempts; try again later".into()));
    }

    let column = if key.contains('@') { member::Column::Email } else { member::Column::Handle };
    let found =
        member::Entity::find().filter(column.eq(&key)).filter(member::Column::Local.eq(true)).one(&state.db).await?;
    let hash = found.as_ref().and_then(|m| m.password_hash.clone()).unwrap_or_else(|| state.dummy_hash.clone());
    let ok = verify_password(password.to_string(), hash).await? && found.is_some();
    let Some(found) = found.filter(|_| ok) else {
        login_failure::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_key: Set(key),
            ip: Set(ip.to_string()),
            created_at: Set(Utc::now()),
        }
        .insert(&state.db)
        .await?;
        // Keep the table small: forget failures older than the window.
        login_failure::Entity::delete_many()
            .filter(login_failure::Column::CreatedAt.lt(window_start))
            .exec(&state.db)
            .await?;
        return Err(AppError::Unauthenticated("wrong username, email or password".into()));
    };
    if !visibility::may_sign_in(&found) {
        return Err(AppError::forbidden("this account is suspended"));
    }
    let txn = db::begin_write(&state.db).await?;
    login_failure::Entity::delete_many().filter(login_failure::Column::AccountKey.eq(&key)).exec(&txn).await?;
    let session = sessions::issue(&txn, state, found, None).await?;
    txn.commit().await?;
    Ok(session)
}

pub async fn update_profile(state: &AppState, viewer: &Viewer, changes: ProfileChanges) -> AppResult<member::Model> {
    let me = viewer.member()?;
    let mut row: member::ActiveModel =
        member::Entity::find_by_id(me.id).one(&state.db).await?.ok_or_else(|| AppError::not_found("member"))?.into();
    if let Some(v) = changes.display_name {
        row.display_name = Set(validate::text("displayName", Some(&v), 100)?);
    }
    if let Some(v) = changes.bio {
        let bio = validate::text("bio", Some(&v), 5000)?;
        row.bio_html = Set(bio.as_deref().map(markdown::render));
        row.bio = Set(bio);
    }
    if let Some(v) = changes.sector {
        row.sector = Set(v);
    }
    if let Some(v) = changes.organization {
        row.organization = Set(validate::text("organization", Some(&v), 200)?);
    }
    if let Some(v) = changes.country {
        row.country = Set(validate::text("country", Some(&v), 64)?);
    }
    if let Some(v) = changes.pronouns {
        row.pronouns = Set(validate::text("pronouns", Some(&v), 40)?);
    }
    if let Some(v) = changes.interests {
        row.interests = Set(serde_json::json!(validate::labels("interests", &v, 30, 60)?));
    }
    if let Some(v) = changes.links {
        if v.len() > 10 {
            return Err(AppError::bad_input("links", "links may have at most 10 items"));
        }
        let links = v.iter().map(|l| validate::http_url("links", l)).collect::<AppResult<Vec<_>>>()?;
        row.links = Set(serde_json::json!(links));
    }
    if let Some(v) = changes.discoverable {
        row.discoverable = Set(v);
    }
    row.updated_at = Set(Utc::now());
    // Followers elsewhere hear of the change, in the same transaction (keys made first).
    let federates = profile_updates::prepare(state, ApActor::from_member(me.clone())?).await?;
    let txn = db::begin_write(&state.db).await?;
    let updated = row.update(&txn).await?;
    search::index_member(&txn, &updated).await?;
    if federates {
        profile_updates::publish(&txn, state, ActorKind::Member, updated.id).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// A member by the handle the database stores (see [`handles::Handle::key`]): `alice` (local)
/// or `alice@other.example` (remote, when known).
pub async fn find_by_handle<C: ConnectionTrait>(conn: &C, key: &str) -> AppResult<Option<member::Model>> {
    Ok(member::Entity::find().filter(member::Column::Handle.eq(key)).one(conn).await?)
}

/// A member by a handle as someone wrote it (see [`handles::parse`]); `None` when it is
/// malformed or unknown.
pub async fn find_named(state: &AppState, input: &str) -> AppResult<Option<member::Model>> {
    match handles::parse(input, &state.config.domain) {
        Ok(h) => find_by_handle(&state.db, &h.key()).await,
        Err(_) => Ok(None),
    }
}

pub async fn find_by_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<member::Model>> {
    Ok(member::Entity::find_by_id(id).one(conn).await?)
}

/// Members in the directory (see [`visibility::member_directory`]), optionally filtered by a
/// full-text search (see `domain::search`), in sign-up order.
pub async fn list(state: &AppState, search: Option<&str>, page: PageRequest) -> AppResult<Page<member::Model>> {
    let mut filter = visibility::member_directory();
    if let Some(q) = search.map(str::trim).filter(|q| !q.is_empty()) {
        let ids = search::matching(&state.db, search::Kind::Member, q, search::MAX_MATCHES).await?;
        filter = filter.add(member::Column::Id.is_in(ids));
    }
    keyset(&state.db, member::Entity::find().filter(filter), member::Column::Id, page).await
}

/// LIKE patterns treat `%` and `_` as wildcards; a search for them means the characters.
/// Without an ESCAPE clause the portable choice is to drop them.
pub(crate) fn escape_like(s: &str) -> String {
    s.chars().filter(|c| *c != '%' && *c != '_' && *c != '\\').collect()
}

/// Accounts awaiting approval, for admins.
pub async fn pending(state: &AppState, viewer: &Viewer, page: PageRequest) -> AppResult<Page<member::Model>> {
    viewer.admin()?;
    let filter = member::Column::Status.eq(MemberStatus::Pending);
    keyset(&state.db, member::Entity::find().filter(filter), member::Column::Id, page).await
}

/// Approves (ACTIVE) or suspends an account; admins only.
pub async fn set_status(state: &AppState, viewer: &Viewer, member_id: Uuid, approve: bool) -> AppResult<member::Model> {
    let admin = viewer.admin()?;
    if admin.id == member_id {
        return Err(AppError::bad_input("memberId", "admins cannot change their own account status"));
    }
    let txn = db::begin_write(&state.db).await?;
    let target = member::Entity::find_by_id(member_id)
        .one(&txn)
        .await?
        .filter(|m| m.local)
        .ok_or_else(|| AppError::not_found("member"))?;
    if target.status == MemberStatus::Deleted {
        return Err(AppError::conflict("a deleted account cannot be approved or suspended"));
    }
    let was_pending = target.status == MemberStatus::Pending;
    let mut row: member::ActiveModel = target.into();
    row.status = Set(if approve { MemberStatus::Active } else { MemberStatus::Suspended });
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    if approve && was_pending {
        groups::join_default_group(&txn, updated.id).await?;
    }
    if !approve {
        sessions::revoke_all(&txn, updated.id).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Makes a single-use invite code; admins only. Only its hash is stored.
pub async fn create_invite(state: &AppState, viewer: &Viewer, valid_days: Option<i32>) -> AppResult<String> {
    let admin = viewer.admin()?;
    let days = valid_days.unwrap_or(14);
    if !(1..=365).contains(&days) {
        return Err(AppError::bad_input("validDays", "validDays must be between 1 and 365"));
    }
    let code = crate::auth::random_token(18);
    let now = Utc::now();
    invite::ActiveModel {
        id: Set(Uuid::now_v7()),
        code_hash: Set(hash_token(&code)),
        created_by: Set(Some(admin.id)),
        used_by: Set(None),
        used_at: Set(None),
        expires_at: Set(Some(now + Duration::days(i64::from(days)))),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(code)
}

/// `weave create-admin`: makes an active admin account (or promotes an existing local one)
/// and gives it ownership of the default group.
pub async fn create_admin(state: &AppState, username: &str, email: &str, password: &str) -> AppResult<member::Model> {
    let username = username.trim();
    let email = validate::email(email)?;
    validate::password(password)?;
    let txn = db::begin_write(&state.db).await?;
    let existing = match handles::parse(username, &state.config.domain) {
        Ok(h) if !h.is_remote() => find_by_handle(&txn, &h.key()).await?.filter(|m| m.local),
        _ => None,
    };
    let admin = match existing {
        Some(m) if m.status == MemberStatus::Deleted => {
            return Err(AppError::conflict("that username belonged to a deleted account; choose another"));
        }
        Some(m) => {
            let mut row: member::ActiveModel = m.into();
            row.is_admin = Set(true);
            row.status = Set(MemberStatus::Active);
            row.updated_at = Set(Utc::now());
            row.update(&txn).await?
        }
        None => {
            validate::local_name("username", username)?;
            let hash = hash_password(password.to_string()).await?;
            insert_local(
                &txn,
                state,
                LocalAccount {
                    username,
                    email: &email,
                    password_hash: hash,
                    display_name: None,
                    status: MemberStatus::Active,
                    is_admin: true,
                },
            )
            .await?
        }
    };
    groups::make_default_group_owner(&txn, admin.id).await?;
    txn.commit().await?;
    Ok(admin)
}

pub async fn count_local<C: ConnectionTrait>(conn: &C) -> AppResult<u64> {
    Ok(member::Entity::find()
        .filter(member::Column::Local.eq(true))
        .filter(member::Column::Status.eq(MemberStatus::Active))
        .count(conn)
        .await?)
}

/// Used by the GraphQL layer to load a member by id without N+1 (one `IN` query).
pub async fn load_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<member::Model>> {
    Ok(member::Entity::find().filter(member::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

/// Deletes the signed-in member's account after checking the password. The row stays as a
/// tombstone (its actor URL answers 410 Gone, and it keeps its key to sign the `Delete` that
/// tells followers elsewhere); profile, email, password, sessions, memberships and follows go.
pub async fn delete_account(state: &AppState, viewer: &Viewer, password: &str) -> AppResult<bool> {
    let me = viewer.member()?.clone();
    let hash = me.password_hash.clone().unwrap_or_else(|| state.dummy_hash.clone());
    if !verify_password(password.to_string(), hash).await? {
        return Err(AppError::bad_input("password", "the password is not correct"));
    }
    let actor = ApActor::from_member(me.clone())?;
    let inboxes = crate::domain::outbox::follower_inboxes(&state.db, ActorKind::Member, me.id).await?;
    let following = crate::domain::outbox::followed_inboxes(&state.db, ActorKind::Member, me.id).await?;
    let federates = !inboxes.is_empty() || !following.is_empty();
    let actor = if federates { ensure_keys(state, actor).await? } else { actor };
    let txn = db::begin_write(&state.db).await?;
    // Owning the last seat of a group would orphan it.
    groups::ensure_not_last_owner_anywhere(&txn, me.id).await?;
    sessions::revoke_all(&txn, me.id).await?;
    follows::delete_all_of(&txn, ActorKind::Member, me.id).await?;
    groups::delete_memberships_of(&txn, me.id).await?;
    // Their seats go to the waitlists.
    let changed_events = crate::domain::events::registrations::withdraw_all(&txn, me.id).await?;
    let mut row: member::ActiveModel = me.clone().into();
    row.status = Set(MemberStatus::Deleted);
    row.email = Set(None);
    row.password_hash = Set(None);
    row.display_name = Set(None);
    row.bio = Set(None);
    row.bio_html = Set(None);
    row.sector = Set(None);
    row.organization = Set(None);
    row.country = Set(None);
    row.pronouns = Set(None);
    row.interests = Set(serde_json::json!([]));
    row.links = Set(serde_json::json!([]));
    row.avatar_url = Set(None);
    row.discoverable = Set(false);
    row.updated_at = Set(Utc::now());
    let erased = row.update(&txn).await?;
    // The profile text leaves the search index with the profile.
    search::index_member(&txn, &erased).await?;
    if federates {
        let ap_id = crate::domain::outbox::activity_id(state, "Delete");
        let followers = me.followers_url.as_deref();
        let payload = crate::ap::activities::delete_actor(&ap_id, actor.id.as_str(), followers);
        let mut all = inboxes;
        all.extend(following);
        crate::domain::outbox::enqueue(
            &txn,
            state,
            crate::domain::outbox::Outgoing {
                actor_kind: ActorKind::Member,
                actor_id: me.id,
                ap_id,
                kind: "Delete",
                payload,
                public: true,
                inboxes: all,
            },
        )
        .await?;
    }
    txn.commit().await?;
    for id in changed_events {
        state.bus.publish(&state.db, crate::bus::Change::Event { id }).await;
    }
    Ok(true)
}
