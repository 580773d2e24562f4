//! Actors, local and remote, in the shape federation needs them: a member, a group or the
//! instance with its URLs and keys. The domain owns every actor row: local keys (made on first
//! federation use), the instance actor, and remote actors, which are upserted by `ap_id` from
//! documents the vocabulary layer has checked.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use url::Url;
use uuid::Uuid;

use crate::ap::actor::{self as wire, ActorJson, RemoteActor, RemoteKind};
use crate::db::enums::{JoinMode, MemberStatus};
use crate::db::{self, group, instance_actor, member};
use crate::domain::{follows, markdown};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use crate::db::enums::ActorKind;

/// A row of any actor table, with its parsed URLs.
#[derive(Clone, Debug)]
pub struct ApActor {
    pub kind: ActorKind,
    pub id: Url,
    pub row_id: Uuid,
    pub local: bool,
    pub inbox: Url,
    pub shared_inbox: Option<Url>,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// Local, or remote and verified (see `verified_at`).
    pub verified: bool,
    pub source: ActorSource,
}

#[derive(Clone, Debug)]
pub enum ActorSource {
    Member(Box<member::Model>),
    Group(Box<group::Model>),
    Instance,
}

fn parse_url(s: &str) -> AppResult<Url> {
    Url::parse(s).map_err(|e| AppError::internal(anyhow::anyhow!("stored actor URL {s:?}: {e}")))
}

impl ApActor {
    pub fn from_member(m: member::Model) -> AppResult<Self> {
        Ok(ApActor {
            kind: ActorKind::Member,
            id: parse_url(&m.ap_id)?,
            row_id: m.id,
            local: m.local,
            inbox: parse_url(m.inbox_url.as_deref().unwrap_or(&m.ap_id))?,
            shared_inbox: m.shared_inbox_url.as_deref().and_then(|u| Url::parse(u).ok()),
            public_key_pem: m.public_key_pem.clone().unwrap_or_default(),
            private_key_pem: m.private_key_pem.clone(),
            last_refreshed_at: if m.local { None } else { Some(m.last_refreshed_at.unwrap_or(m.updated_at)) },
            verified: m.local || m.verified_at.is_some(),
            source: ActorSource::Member(Box::new(m)),
        })
    }

    pub fn from_group(g: group::Model) -> AppResult<Self> {
        Ok(ApActor {
            kind: ActorKind::Group,
            id: parse_url(&g.ap_id)?,
            row_id: g.id,
            local: g.local,
            inbox: parse_url(g.inbox_url.as_deref().unwrap_or(&g.ap_id))?,
            shared_inbox: g.shared_inbox_url.as_deref().and_then(|u| Url::parse(u).ok()),
            public_key_pem: g.public_key_pem.clone().unwrap_or_default(),
            private_key_pem: g.private_key_pem.clone(),
            last_refreshed_at: if g.local { None } else { Some(g.last_refreshed_at.unwrap_or(g.updated_at)) },
            verified: g.local || g.verified_at.is_some(),
            source: ActorSource::Group(Box::new(g)),
        })
    }

    fn from_instance(row: instance_actor::Model, state: &AppState) -> AppResult<Self> {
        let inbox = parse_url(&format!("{}/inbox", state.base_url()))?;
        Ok(ApActor {
            kind: ActorKind::Instance,
            id: parse_url(&row.ap_id)?,
            row_id: Uuid::nil(),
            local: true,
            shared_inbox: Some(inbox.clone()),
            inbox,
            public_key_pem: row.public_key_pem,
            private_key_pem: Some(row.private_key_pem),
            last_refreshed_at: None,
            verified: true,
            source: ActorSource::Instance,
        })
    }

    /// Members must be ACTIVE to be followed or shown (not pending, suspended or deleted).
    pub fn is_active(&self) -> bool {
        match &self.source {
            ActorSource::Member(m) => m.status == MemberStatus::Active,
            _ => true,
        }
    }

    /// A deleted member's tombstone.
    pub fn is_deleted(&self) -> bool {
        matches!(&self.source, ActorSource::Member(m) if m.status == MemberStatus::Deleted)
    }

    /// Whether follow requests wait for a decision (the instance actor never accepts any).
    pub fn manually_approves_followers(&self) -> bool {
        match &self.source {
            ActorSource::Member(m) => m.manually_approves_followers,
            ActorSource::Group(g) => g.manually_approves_followers,
            ActorSource::Instance => true,
        }
    }

    /// Where to deliver to this actor: its server's shared inbox when it has one.
    pub fn delivery_inbox(&self) -> Url {
        self.shared_inbox.clone().unwrap_or_else(|| self.inbox.clone())
    }

    pub fn handle(&self) -> String {
        match &self.source {
            ActorSource::Member(m) => m.handle.clone(),
            ActorSource::Group(g) => g.handle.clone(),
            ActorSource::Instance => String::new(),
        }
    }

    /// Loads any actor row by its ActivityPub id.
    pub async fn by_ap_id(state: &AppState, id: &str) -> AppResult<Option<ApActor>> {
        if let Some(m) = member::Entity::find().filter(member::Column::ApId.eq(id)).one(&state.db).await? {
            return Ok(Some(ApActor::from_member(m)?));
        }
        if let Some(g) = group::Entity::find().filter(group::Column::ApId.eq(id)).one(&state.db).await? {
            return Ok(Some(ApActor::from_group(g)?));
        }
        if id == instance_actor_id(state) {
            return Ok(Some(instance(state).await?));
        }
        Ok(None)
    }

    /// Loads an actor by kind and row id (outbox signers, follow rows).
    pub async fn by_row<C: ConnectionTrait>(
        conn: &C,
        state: &AppState,
        kind: ActorKind,
        id: Uuid,
    ) -> AppResult<Option<ApActor>> {
        Ok(match kind {
            ActorKind::Member => {
                member::Entity::find_by_id(id).one(conn).await?.map(ApActor::from_member).transpose()?
            }
            ActorKind::Group => group::Entity::find_by_id(id).one(conn).await?.map(ApActor::from_group).transpose()?,
            ActorKind::Instance => Some(instance(state).await?),
        })
    }

    /// The actor document of a local actor. Local members and groups must have their keys
    /// (see [`ensure_keys`]).
    pub fn document(&self, state: &AppState) -> AppResult<ActorJson> {
        let url = |u: &Option<String>| u.as_deref().and_then(|u| Url::parse(u).ok());
        let shared_inbox = parse_url(&format!("{}/inbox", state.base_url()))?;
        let following = Url::parse(&format!("{}/following", self.id)).ok();
        let doc = match &self.source {
            ActorSource::Member(m) => wire::LocalActor {
                kind: "Person",
                preferred_username: m.username.clone(),
                name: m.display_name.clone().unwrap_or_else(|| m.username.clone()),
                summary_html: m.bio_html.clone(),
                outbox: url(&m.outbox_url),
                followers: url(&m.followers_url),
                following,
                icon: url(&m.avatar_url),
                manually_approves_followers: m.manually_approves_followers,
                discoverable: m.discoverable,
                published: Some(m.created_at),
                url: self.id.to_string(),
                id: self.id.clone(),
                inbox: self.inbox.clone(),
                shared_inbox,
                public_key_pem: self.public_key_pem.clone(),
            },
            ActorSource::Group(g) => wire::LocalActor {
                kind: "Group",
                preferred_username: g.slug.clone(),
                name: g.name.clone(),
                summary_html: g.summary_html.clone(),
                outbox: url(&g.outbox_url),
                followers: url(&g.followers_url),
                following,
                icon: url(&g.avatar_url),
                manually_approves_followers: g.manually_approves_followers,
                discoverable: true,
                published: Some(g.created_at),
                url: self.id.to_string(),
                id: self.id.clone(),
                inbox: self.inbox.clone(),
                shared_inbox,
                public_key_pem: self.public_key_pem.clone(),
            },
            ActorSource::Instance => wire::LocalActor {
                kind: "Application",
                preferred_username: state.config.domain.clone(),
                name: state.config.instance_name.clone(),
                summary_html: None,
                outbox: None,
                followers: None,
                following: None,
                icon: None,
                manually_approves_followers: true,
                discoverable: false,
                published: None,
                url: state.base_url(),
                id: self.id.clone(),
                inbox: self.inbox.clone(),
                shared_inbox,
                public_key_pem: self.public_key_pem.clone(),
            },
        };
        Ok(wire::document(doc))
    }
}

pub fn instance_actor_id(state: &AppState) -> String {
    format!("{}/actor", state.base_url())
}

/// The instance actor, made (with its keys) on first use.
pub async fn instance(state: &AppState) -> AppResult<ApActor> {
    if let Some(row) = instance_actor::Entity::find_by_id(1).one(&state.db).await? {
        return ApActor::from_instance(row, state);
    }
    let keys = generate_keys().await?;
    let row = instance_actor::ActiveModel {
        id: Set(1),
        ap_id: Set(instance_actor_id(state)),
        public_key_pem: Set(keys.public_key),
        private_key_pem: Set(keys.private_key),
        created_at: Set(Utc::now()),
    };
    // Two racing first uses: one insert wins, the other does nothing, both read the winner.
    instance_actor::Entity::insert(row)
        .on_conflict(OnConflict::column(instance_actor::Column::Id).do_nothing().to_owned())
        .exec_without_returning(&state.db)
        .await?;
    let row = instance_actor::Entity::find_by_id(1)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("instance actor vanished")))?;
    ApActor::from_instance(row, state)
}

async fn generate_keys() -> AppResult<activitypub_federation::http_signatures::Keypair> {
    tokio::task::spawn_blocking(activitypub_federation::http_signatures::generate_actor_keypair)
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// Local actors get their RSA keys on first federation use (key generation is slow, and most
/// accounts of a private instance never federate). Safe under concurrency: the first writer
/// wins. Call it outside a write transaction (on SQLite it writes on its own).
pub async fn ensure_keys(state: &AppState, actor: ApActor) -> AppResult<ApActor> {
    if !actor.local || actor.private_key_pem.is_some() || actor.kind == ActorKind::Instance {
        return Ok(actor);
    }
    let keys = generate_keys().await?;
    match actor.kind {
        ActorKind::Member => {
            member::Entity::update_many()
                .col_expr(member::Column::PublicKeyPem, Expr::value(keys.public_key))
                .col_expr(member::Column::PrivateKeyPem, Expr::value(keys.private_key))
                .filter(member::Column::Id.eq(actor.row_id))
                .filter(member::Column::PrivateKeyPem.is_null())
                .exec(&state.db)
                .await?;
        }
        ActorKind::Group => {
            group::Entity::update_many()
                .col_expr(group::Column::PublicKeyPem, Expr::value(keys.public_key))
                .col_expr(group::Column::PrivateKeyPem, Expr::value(keys.private_key))
                .filter(group::Column::Id.eq(actor.row_id))
                .filter(group::Column::PrivateKeyPem.is_null())
                .exec(&state.db)
                .await?;
        }
        ActorKind::Instance => {}
    }
    ApActor::by_row(&state.db, state, actor.kind, actor.row_id).await?.ok_or_else(|| AppError::not_found("actor"))
}

fn limit(s: Option<String>, max: usize) -> Option<String> {
    s.map(|s| s.chars().take(max).collect::<String>()).filter(|s| !s.trim().is_empty())
}

/// Stores a remote actor document that passed the vocabulary layer's checks: one
/// `INSERT … ON CONFLICT (ap_id) DO UPDATE`, so that two first deliveries from a new actor
/// arriving at once both succeed. Local rows are never touched from the wire, and an actor
/// keeps its type (a Person does not become a Group under the same id).
pub async fn upsert_remote(state: &AppState, remote: RemoteActor) -> AppResult<ApActor> {
    let refuse = |why: &str| AppError::bad_input("actor", why);
    let ap_id = remote.ap_id.to_string();
    let other_kind_exists = match remote.kind {
        RemoteKind::Group => {
            member::Entity::find().filter(member::Column::ApId.eq(&ap_id)).one(&state.db).await?.is_some()
        }
        RemoteKind::Person => {
            group::Entity::find().filter(group::Column::ApId.eq(&ap_id)).one(&state.db).await?.is_some()
        }
    };
    if other_kind_exists {
        return Err(refuse("an actor cannot change its type"));
    }
    let now = Utc::now();
    let username: String = remote.username.chars().take(100).collect();
    let name = limit(remote.name, 200);
    let summary_html = limit(remote.summary.map(|s| markdown::sanitize(&s)), 10_000);
    let url_string = |u: &Option<Url>| u.as_ref().map(Url::to_string);
    let txn = db::begin_write(&state.db).await?;
    match remote.kind {
        RemoteKind::Group => {
            let row = group::ActiveModel {
                id: Set(Uuid::now_v7()),
                ap_id: Set(ap_id.clone()),
                local: Set(false),
                join_mode: Set(JoinMode::Open),
                private_key_pem: Set(None),
                created_by: Set(None),
                created_at: Set(now),
                public_followers: Set(false),
                verified_at: Set(None),
                handle: Set(remote.handle),
                name: Set(name.unwrap_or_else(|| username.clone())),
                slug: Set(username),
                domain: Set(Some(remote.domain)),
                summary: Set(summary_html.clone()),
                summary_html: Set(summary_html),
                url: Set(remote.profile_url),
                inbox_url: Set(Some(remote.inbox.to_string())),
                shared_inbox_url: Set(url_string(&remote.shared_inbox)),
                outbox_url: Set(url_string(&remote.outbox)),
                followers_url: Set(url_string(&remote.followers)),
                public_key_pem: Set(Some(remote.public_key_pem)),
                avatar_url: Set(url_string(&remote.icon)),
                manually_approves_followers: Set(remote.manually_approves_followers),
                updated_at: Set(now),
                last_refreshed_at: Set(Some(now)),
            };
            use group::Column as C;
            group::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(C::ApId)
                        .update_columns([
                            C::Handle,
                            C::Slug,
                            C::Domain,
                            C::Name,
                            C::Summary,
                            C::SummaryHtml,
                            C::Url,
                            C::InboxUrl,
                            C::SharedInboxUrl,
                            C::OutboxUrl,
                            C::FollowersUrl,
                            C::PublicKeyPem,
                            C::AvatarUrl,
                            C::ManuallyApprovesFollowers,
                            C::UpdatedAt,
                            C::LastRefreshedAt,
                        ])
                        .action_and_where(Expr::col((group::Entity, C::Local)).eq(false))
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        RemoteKind::Person => {
            let row = member::ActiveModel {
                id: Set(Uuid::now_v7()),
                ap_id: Set(ap_id.clone()),
                local: Set(false),
                email: Set(None),
                password_hash: Set(None),
                sector: Set(None),
                organization: Set(None),
                country: Set(None),
                pronouns: Set(None),
                interests: Set(serde_json::json!([])),
                links: Set(serde_json::json!([])),
                is_admin: Set(false),
                status: Set(MemberStatus::Active),
                private_key_pem: Set(None),
                created_at: Set(now),
                verified_at: Set(None),
                calendar_token: Set(None),
                handle: Set(remote.handle),
                username: Set(username),
                domain: Set(Some(remote.domain)),
                display_name: Set(name),
                bio: Set(summary_html.clone()),
                bio_html: Set(summary_html),
                url: Set(remote.profile_url),
                inbox_url: Set(Some(remote.inbox.to_string())),
                shared_inbox_url: Set(url_string(&remote.shared_inbox)),
                outbox_url: Set(url_string(&remote.outbox)),
                followers_url: Set(url_string(&remote.followers)),
                public_key_pem: Set(Some(remote.public_key_pem)),
                avatar_url: Set(url_string(&remote.icon)),
                manually_approves_followers: Set(remote.manually_approves_followers),
                discoverable: Set(remote.discoverable),
                updated_at: Set(now),
                last_refreshed_at: Set(Some(now)),
            };
            use member::Column as C;
            member::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(C::ApId)
                        .update_columns([
                            C::Handle,
                            C::Username,
                            C::Domain,
                            C::DisplayName,
                            C::Bio,
                            C::BioHtml,
                            C::Url,
                            C::InboxUrl,
                            C::SharedInboxUrl,
                            C::OutboxUrl,
                            C::FollowersUrl,
                            C::PublicKeyPem,
                            C::AvatarUrl,
                            C::ManuallyApprovesFollowers,
                            C::Discoverable,
                            C::UpdatedAt,
                            C::LastRefreshedAt,
                        ])
                        // Local rows are never written from the wire, and a tombstone of a
                        // deleted remote account is not revived by an old document.
                        .action_and_where(
                            Expr::col((member::Entity, C::Local))
                                .eq(false)
                                .and(Expr::col((member::Entity, C::Status)).ne(MemberStatus::Deleted)),
                        )
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
    }
    let actor = match remote.kind {
        RemoteKind::Group => {
            group::Entity::find().filter(group::Column::ApId.eq(&ap_id)).one(&txn).await?.map(ApActor::from_group)
        }
        RemoteKind::Person => {
            member::Entity::find().filter(member::Column::ApId.eq(&ap_id)).one(&txn).await?.map(ApActor::from_member)
        }
    }
    .transpose()?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("an upserted actor vanished")))?;
    if actor.local {
        return Err(refuse("a remote document claims a local actor"));
    }
    match &actor.source {
        ActorSource::Member(m) => crate::domain::search::index_member(&txn, m).await?,
        ActorSource::Group(g) => crate::domain::search::index_group(&txn, g).await?,
        _ => {}
    }
    txn.commit().await?;
    Ok(actor)
}

/// A remote actor proved who it is: one of its signatures verified, or a member looked it up
/// on its own server. From then on it may be listed in the directory.
pub async fn mark_verified(state: &AppState, actor: &ApActor) -> AppResult<()> {
    if actor.verified {
        return Ok(());
    }
    let now = Utc::now();
    match actor.kind {
        ActorKind::Member => {
            member::Entity::update_many()
                .col_expr(member::Column::VerifiedAt, Expr::value(now))
                .filter(member::Column::Id.eq(actor.row_id))
                .filter(member::Column::VerifiedAt.is_null())
                .exec(&state.db)
                .await?;
        }
        ActorKind::Group => {
            group::Entity::update_many()
                .col_expr(group::Column::VerifiedAt, Expr::value(now))
                .filter(group::Column::Id.eq(actor.row_id))
                .filter(group::Column::VerifiedAt.is_null())
                .exec(&state.db)
                .await?;
        }
        ActorKind::Instance => {}
    }
    Ok(())
}

/// A remote actor is gone: its follows (both ways) and its row go too.
pub async fn forget_remote(state: &AppState, kind: ActorKind, id: Uuid) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let is_local = match kind {
        ActorKind::Member => member::Entity::find_by_id(id).one(&txn).await?.is_some_and(|m| m.local),
        ActorKind::Group => group::Entity::find_by_id(id).one(&txn).await?.is_some_and(|g| g.local),
        ActorKind::Instance => true,
    };
    if is_local {
        return Err(AppError::forbidden("local actors cannot be deleted from the wire"));
    }
    follows::delete_all_of(&txn, kind, id).await?;
    match kind {
        ActorKind::Member => {
            // Their seats go back (and the waitlists move up) before their registrations go
            // with the row.
            crate::domain::events::registrations::withdraw_all(&txn, id).await?;
            member::Entity::delete_by_id(id).exec(&txn).await?;
            crate::domain::search::remove(&txn, crate::domain::search::Kind::Member, id).await?;
        }
        ActorKind::Group => {
            group::Entity::delete_by_id(id).exec(&txn).await?;
            crate::domain::search::remove(&txn, crate::domain::search::Kind::Group, id).await?;
        }
        ActorKind::Instance => {}
    }
    txn.commit().await?;
    Ok(())
}
