//! Actors: a `Person` per member, a `Group` per group, an `Application` for the instance.
//! Local and remote actors live in the same tables; remote ones are upserted by `ap_id`.
use activitypub_federation::protocol::helpers::deserialize_skip_error;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use super::{FedData, FedError};
use crate::db::{group, instance_actor, member};
use crate::domain::markdown;
use crate::domain::viewer::{STATUS_ACTIVE, STATUS_DELETED};
use crate::error::AppError;
use crate::state::{AppState, State};

/// Which table an actor lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorKind {
    Member,
    Group,
    Instance,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Member => "member",
            ActorKind::Group => "group",
            ActorKind::Instance => "instance",
        }
    }
    pub fn parse(s: &str) -> Option<ActorKind> {
        match s {
            "member" => Some(ActorKind::Member),
            "group" => Some(ActorKind::Group),
            "instance" => Some(ActorKind::Instance),
            _ => None,
        }
    }
}

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
    pub source: ActorSource,
}

#[derive(Clone, Debug)]
pub enum ActorSource {
    Member(Box<member::Model>),
    Group(Box<group::Model>),
    Instance,
}

fn parse_url(s: &str) -> Result<Url, FedError> {
    Ok(Url::parse(s)?)
}

impl ApActor {
    pub fn from_member(m: member::Model) -> Result<Self, FedError> {
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
            source: ActorSource::Member(Box::new(m)),
        })
    }

    pub fn from_group(g: group::Model) -> Result<Self, FedError> {
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
            source: ActorSource::Group(Box::new(g)),
        })
    }

    fn from_instance(row: instance_actor::Model, state: &AppState) -> Result<Self, FedError> {
        Ok(ApActor {
            kind: ActorKind::Instance,
            id: parse_url(&row.ap_id)?,
            row_id: Uuid::nil(),
            local: true,
            inbox: parse_url(&format!("{}/inbox", state.base_url()))?,
            shared_inbox: Some(parse_url(&format!("{}/inbox", state.base_url()))?),
            public_key_pem: row.public_key_pem,
            private_key_pem: Some(row.private_key_pem),
            last_refreshed_at: None,
            source: ActorSource::Instance,
        })
    }

    /// Members must be ACTIVE to be followed or shown (not pending, suspended or deleted).
    pub fn is_active(&self) -> bool {
        match &self.source {
            ActorSource::Member(m) => m.status == STATUS_ACTIVE,
            _ => true,
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
    pub async fn by_ap_id(state: &AppState, id: &str) -> Result<Option<ApActor>, FedError> {
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

    /// Loads an actor by kind and row id (outbox signers).
    pub async fn by_row(state: &AppState, kind: ActorKind, id: Uuid) -> Result<Option<ApActor>, FedError> {
        Ok(match kind {
            ActorKind::Member => {
                member::Entity::find_by_id(id).one(&state.db).await?.map(ApActor::from_member).transpose()?
            }
            ActorKind::Group => {
                group::Entity::find_by_id(id).one(&state.db).await?.map(ApActor::from_group).transpose()?
            }
            ActorKind::Instance => Some(instance(state).await?),
        })
    }
}

pub fn instance_actor_id(state: &AppState) -> String {
    format!("{}/actor", state.base_url())
}

/// The instance actor, made (with its keys) on first use.
pub async fn instance(state: &AppState) -> Result<ApActor, FedError> {
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
        .ok_or_else(|| FedError::from(AppError::internal(anyhow::anyhow!("instance actor vanished"))))?;
    ApActor::from_instance(row, state)
}

async fn generate_keys() -> Result<activitypub_federation::http_signatures::Keypair, FedError> {
    tokio::task::spawn_blocking(activitypub_federation::http_signatures::generate_actor_keypair)
        .await
        .map_err(|e| FedError::from(AppError::internal(e)))?
        .map_err(FedError::from)
}

/// Local actors get their RSA keys on first federation use (key generation is slow, and most
/// accounts of a private instance never federate). Safe under concurrency: the first writer wins.
pub async fn ensure_keys(state: &AppState, actor: ApActor) -> Result<ApActor, FedError> {
    if !actor.local || actor.private_key_pem.is_some() || actor.kind == ActorKind::Instance {
        return Ok(actor);
    }
    let keys = generate_keys().await?;
    match actor.kind {
        ActorKind::Member => {
            member::Entity::update_many()
                .col_expr(member::Column::PublicKeyPem, sea_orm::sea_query::Expr::value(keys.public_key))
                .col_expr(member::Column::PrivateKeyPem, sea_orm::sea_query::Expr::value(keys.private_key))
                .filter(member::Column::Id.eq(actor.row_id))
                .filter(member::Column::PrivateKeyPem.is_null())
                .exec(&state.db)
                .await?;
        }
        ActorKind::Group => {
            group::Entity::update_many()
                .col_expr(group::Column::PublicKeyPem, sea_orm::sea_query::Expr::value(keys.public_key))
                .col_expr(group::Column::PrivateKeyPem, sea_orm::sea_query::Expr::value(keys.private_key))
                .filter(group::Column::Id.eq(actor.row_id))
                .filter(group::Column::PrivateKeyPem.is_null())
                .exec(&state.db)
                .await?;
        }
        ActorKind::Instance => {}
    }
    ApActor::by_row(state, actor.kind, actor.row_id).await?.ok_or_else(|| FedError::from(AppError::not_found("actor")))
}

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Image {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub url: Url,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// The wire form of every actor type we publish and accept (Person, Group, Application,
/// Service, Organization), with the fields Mastodon, Mobilizon and Lemmy send.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub outbox: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub followers: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub following: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    /// Mastodon sends a string; some servers an object or a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub icon: Option<Image>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub manually_approves_followers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub discoverable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_skip_error")]
    pub published: Option<DateTime<Utc>>,
}

impl ActorJson {
    fn profile_url(&self) -> Option<String> {
        match &self.url {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Object(o)) => o.get("href").and_then(|h| h.as_str()).map(str::to_string),
            Some(serde_json::Value::Array(a)) => a.iter().find_map(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => o.get("href").and_then(|h| h.as_str()).map(str::to_string),
                _ => None,
            }),
            _ => None,
        }
    }
}

fn limit(s: Option<String>, max: usize) -> Option<String> {
    s.map(|s| s.chars().take(max).collect::<String>()).filter(|s| !s.trim().is_empty())
}

#[async_trait::async_trait]
impl Object for ApActor {
    type DataType = State;
    type Kind = ActorJson;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.last_refreshed_at
    }

    async fn read_from_id(object_id: Url, data: &FedData<State>) -> Result<Option<Self>, FedError> {
        ApActor::by_ap_id(data.app_data(), object_id.as_str()).await
    }

    async fn delete(&self, data: &FedData<State>) -> Result<(), FedError> {
        crate::domain::follows::forget_remote_actor(data.app_data(), self.kind, self.row_id).await?;
        Ok(())
    }

    fn is_deleted(&self) -> bool {
        matches!(&self.source, ActorSource::Member(m) if m.status == STATUS_DELETED)
    }

    async fn into_json(self, data: &FedData<State>) -> Result<ActorJson, FedError> {
        let state = data.app_data();
        ensure_keys(state, self).await?.to_json(state)
    }

    async fn verify(json: &ActorJson, expected_domain: &Url, _data: &FedData<State>) -> Result<(), FedError> {
        verify_domains_match(&json.id, expected_domain)?;
        verify_domains_match(&json.inbox, expected_domain)?;
        if let Some(shared) = json.endpoints.as_ref().and_then(|e| e.shared_inbox.as_ref()) {
            verify_domains_match(shared, expected_domain)?;
        }
        if json.public_key.owner != json.id {
            return Err(FedError::BadRequest("publicKey.owner is not the actor".into()));
        }
        Ok(())
    }

    /// Upserts a remote actor by `ap_id`. Local rows are never touched from the wire.
    async fn from_json(json: ActorJson, data: &FedData<State>) -> Result<Self, FedError> {
        upsert_remote(data.app_data(), &data.domain().to_lowercase(), json).await
    }
}

impl ApActor {
    /// The actor document. Local actors must have their keys (see [`ensure_keys`]).
    pub fn to_json(&self, state: &AppState) -> Result<ActorJson, FedError> {
        let actor = self;
        let public_key = actor.public_key();
        let shared = Some(Endpoints { shared_inbox: Some(parse_url(&format!("{}/inbox", state.base_url()))?) });
        let url = |u: &Option<String>| u.as_deref().and_then(|u| Url::parse(u).ok());
        let icon = |u: &Option<String>| url(u).map(|url| Image { kind: Some("Image".into()), url, media_type: None });
        // (type, preferredUsername, name, summary, outbox, followers, icon, manual, discoverable, published)
        let fields = match &actor.source {
            ActorSource::Member(m) => Some((
                "Person",
                m.username.clone(),
                m.display_name.clone().unwrap_or_else(|| m.username.clone()),
                m.bio_html.clone(),
                url(&m.outbox_url),
                url(&m.followers_url),
                icon(&m.avatar_url),
                m.manually_approves_followers,
                m.discoverable,
                m.created_at,
            )),
            ActorSource::Group(g) => Some((
                "Group",
                g.slug.clone(),
                g.name.clone(),
                g.summary_html.clone(),
                url(&g.outbox_url),
                url(&g.followers_url),
                icon(&g.avatar_url),
                g.manually_approves_followers,
                true,
                g.created_at,
            )),
            ActorSource::Instance => None,
        };
        if let Some((kind, username, name, summary, outbox, followers, icon, manual, discoverable, published)) = fields
        {
            return Ok(ActorJson {
                kind: kind.into(),
                id: actor.id.clone(),
                preferred_username: username,
                name: Some(name),
                summary,
                inbox: actor.inbox.clone(),
                outbox,
                following: Url::parse(&format!("{}/following", actor.id)).ok(),
                followers,
                endpoints: shared,
                public_key,
                url: Some(serde_json::Value::String(actor.id.to_string())),
                icon,
                manually_approves_followers: Some(manual),
                discoverable: Some(discoverable),
                published: Some(published),
            });
        }
        // The instance actor.
        Ok(ActorJson {
            kind: "Application".into(),
            id: actor.id.clone(),
            preferred_username: state.config.domain.clone(),
            name: Some(state.config.instance_name.clone()),
            summary: None,
            inbox: actor.inbox.clone(),
            outbox: None,
            followers: None,
            following: None,
            endpoints: shared,
            public_key,
            url: Some(serde_json::Value::String(state.base_url())),
            icon: None,
            manually_approves_followers: Some(true),
            discoverable: Some(false),
            published: None,
        })
    }
}

/// Upserts a remote actor by `ap_id` (also used for `Update` activities, whose embedded actor
/// was verified against the signer). Local rows are never touched from the wire.
pub async fn upsert_remote(state: &AppState, local_domain: &str, json: ActorJson) -> Result<ApActor, FedError> {
    {
        if super::authority(&json.id) == local_domain {
            return Err(FedError::BadRequest("a remote document claims a local id".into()));
        }
        let authority = super::authority(&json.id);
        let username: String = json.preferred_username.chars().take(100).collect();
        let handle = format!("{}@{}", username.to_lowercase(), authority);
        let now = Utc::now();
        let name = limit(json.name.clone(), 200);
        let summary_html = limit(json.summary.clone().map(|s| markdown::sanitize(&s)), 10_000);
        // A shared inbox elsewhere would point our signed deliveries at someone else's server.
        let shared_inbox = json
            .endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.clone())
            .filter(|u| verify_domains_match(u, &json.id).is_ok())
            .map(|u| u.to_string());
        let username_ok = !json.preferred_username.is_empty()
            && json.preferred_username.chars().count() <= 100
            && json.preferred_username.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !username_ok {
            return Err(FedError::BadRequest("preferredUsername has characters a handle cannot have".into()));
        }
        // An actor keeps its kind: a Person does not become a Group under the same id.
        let other_kind_exists = if json.kind == "Group" {
            member::Entity::find().filter(member::Column::ApId.eq(json.id.as_str())).one(&state.db).await?.is_some()
        } else {
            group::Entity::find().filter(group::Column::ApId.eq(json.id.as_str())).one(&state.db).await?.is_some()
        };
        if other_kind_exists {
            return Err(FedError::BadRequest("an actor cannot change its type".into()));
        }
        let icon = json.icon.as_ref().map(|i| i.url.to_string());
        let profile = json.profile_url();
        if json.kind == "Group" {
            let existing =
                group::Entity::find().filter(group::Column::ApId.eq(json.id.as_str())).one(&state.db).await?;
            if existing.as_ref().is_some_and(|g| g.local) {
                return Err(FedError::BadRequest("a remote document claims a local group".into()));
            }
            let is_new = existing.is_none();
            let mut row: group::ActiveModel = match existing {
                Some(g) => g.into(),
                None => group::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    ap_id: Set(json.id.to_string()),
                    local: Set(false),
                    join_mode: Set(crate::domain::groups::JOIN_OPEN.into()),
                    private_key_pem: Set(None),
                    created_by: Set(None),
                    created_at: Set(now),
                    public_followers: Set(false),
                    ..Default::default()
                },
            };
            row.handle = Set(handle);
            row.slug = Set(username.clone());
            row.domain = Set(Some(authority));
            row.name = Set(name.unwrap_or(username));
            row.summary = Set(summary_html.clone());
            row.summary_html = Set(summary_html);
            row.url = Set(profile);
            row.inbox_url = Set(Some(json.inbox.to_string()));
            row.shared_inbox_url = Set(shared_inbox);
            row.outbox_url = Set(json.outbox.as_ref().map(Url::to_string));
            row.followers_url = Set(json.followers.as_ref().map(Url::to_string));
            row.public_key_pem = Set(Some(json.public_key.public_key_pem.clone()));
            row.avatar_url = Set(icon);
            row.manually_approves_followers = Set(json.manually_approves_followers.unwrap_or(false));
            row.updated_at = Set(now);
            row.last_refreshed_at = Set(Some(now));
            let model = if is_new { row.insert(&state.db).await? } else { row.update(&state.db).await? };
            return ApActor::from_group(model);
        }
        let existing = member::Entity::find().filter(member::Column::ApId.eq(json.id.as_str())).one(&state.db).await?;
        if existing.as_ref().is_some_and(|m| m.local) {
            return Err(FedError::BadRequest("a remote document claims a local member".into()));
        }
        let is_new = existing.is_none();
        let mut row: member::ActiveModel = match existing {
            Some(m) => m.into(),
            None => member::ActiveModel {
                id: Set(Uuid::now_v7()),
                ap_id: Set(json.id.to_string()),
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
                status: Set(STATUS_ACTIVE.into()),
                private_key_pem: Set(None),
                created_at: Set(now),
                ..Default::default()
            },
        };
        row.handle = Set(handle);
        row.username = Set(username);
        row.domain = Set(Some(authority));
        row.display_name = Set(name);
        row.bio = Set(summary_html.clone());
        row.bio_html = Set(summary_html);
        row.url = Set(profile);
        row.inbox_url = Set(Some(json.inbox.to_string()));
        row.shared_inbox_url = Set(shared_inbox);
        row.outbox_url = Set(json.outbox.as_ref().map(Url::to_string));
        row.followers_url = Set(json.followers.as_ref().map(Url::to_string));
        row.public_key_pem = Set(Some(json.public_key.public_key_pem.clone()));
        row.avatar_url = Set(icon);
        row.manually_approves_followers = Set(json.manually_approves_followers.unwrap_or(false));
        row.discoverable = Set(json.discoverable.unwrap_or(false));
        row.updated_at = Set(now);
        row.last_refreshed_at = Set(Some(now));
        let model = if is_new { row.insert(&state.db).await? } else { row.update(&state.db).await? };
        ApActor::from_member(model)
    }
}

impl Actor for ApActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }
    fn private_key_pem(&self) -> Option<String> {
        self.private_key_pem.clone()
    }
    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
    fn shared_inbox(&self) -> Option<Url> {
        self.shared_inbox.clone()
    }
}
