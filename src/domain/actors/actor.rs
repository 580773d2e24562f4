//! The actor type: a member, a group or the instance, with its parsed URLs and keys, and what
//! can be asked of it without the database.
use chrono::{DateTime, Utc};
use url::Url;
use uuid::Uuid;

use crate::db::enums::MemberStatus;
use crate::db::{actor, group, member};
use crate::error::{AppError, AppResult};

pub use crate::db::enums::ActorKind;

/// An actor row with its parsed URLs, and the member or group it is.
#[derive(Clone, Debug)]
pub struct ApActor {
    pub kind: ActorKind,
    pub id: Url,
    /// `actor.id`, which is also the member's or group's id.
    pub row_id: Uuid,
    pub local: bool,
    pub inbox: Url,
    pub shared_inbox: Option<Url>,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// Local, or remote and verified (see `verified_at`).
    pub verified: bool,
    pub row: actor::Model,
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
    /// The actor of `row`, which is `source` (the member or group with the same id).
    pub fn new(row: actor::Model, source: ActorSource) -> AppResult<Self> {
        let id = parse_url(&row.ap_id)?;
        let inbox = match (&row.inbox_url, row.kind) {
            (Some(inbox), _) => parse_url(inbox)?,
            // The instance's inbox is the server's shared inbox.
            (None, ActorKind::Instance) => id.join("/inbox").map_err(AppError::internal)?,
            (None, _) => id.clone(),
        };
        let shared_inbox = match (&row.shared_inbox_url, row.kind) {
            (Some(shared), _) => Url::parse(shared).ok(),
            (None, ActorKind::Instance) => Some(inbox.clone()),
            (None, _) => None,
        };
        Ok(ApActor {
            kind: row.kind,
            id,
            row_id: row.id,
            local: row.local,
            inbox,
            shared_inbox,
            public_key_pem: row.public_key_pem.clone().unwrap_or_default(),
            private_key_pem: row.private_key_pem.clone(),
            last_refreshed_at: if row.local { None } else { Some(row.last_refreshed_at.unwrap_or(row.updated_at)) },
            verified: row.local || row.verified_at.is_some(),
            row,
            source,
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
        self.kind == ActorKind::Instance || self.row.manually_approves_followers
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
