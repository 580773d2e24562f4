//! The actor type: a member, a group or the instance, with its parsed URLs and keys, and what
//! can be asked of it without the database.
use chrono::{DateTime, Utc};
use url::Url;
use uuid::Uuid;

use crate::db::enums::MemberStatus;
use crate::db::{group, instance_actor, member};
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

pub(super) fn parse_url(s: &str) -> AppResult<Url> {
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

    pub(super) fn from_instance(row: instance_actor::Model, state: &AppState) -> AppResult<Self> {
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
}
