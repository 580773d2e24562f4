//! Local accounts: registration (open, approval, invite-only), demo accounts and
//! `weave create-admin`, all written by one insert.
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::profile::SECTORS;
use super::store::find_by_handle;
use crate::auth::{hash_password, hash_token};
use crate::config::RegistrationMode;
use crate::db::enums::{ActorKind, MemberStatus};
use crate::db::{self, group, invite, member};
use crate::domain::sessions::{self, Session};
use crate::domain::{actors, groups, handles, markdown, search, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    pub invite_code: Option<String>,
}

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
    let actor =
        actors::insert_local(conn, state, ActorKind::Member, state.member_url(username), username, false).await?;
    let row = member::ActiveModel {
        id: Set(actor.id),
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
        ap_id: Set(actor.ap_id),
        avatar_url: Set(None),
        avatar_id: Set(None),
        discoverable: Set(true),
        created_at: Set(actor.created_at),
        updated_at: Set(actor.created_at),
        calendar_token: Set(None),
        mail_off: Set(String::new()),
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
