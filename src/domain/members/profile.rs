//! A member's own profile: the fields they change, and the `Update` their followers elsewhere
//! hear.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::db::{self, member};
use crate::domain::actors::ApActor;
use crate::domain::viewer::Viewer;
use crate::domain::{markdown, profile_updates, search, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

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
    /// A picture uploaded by the member (`Some(None)`: none).
    pub avatar: Option<Option<uuid::Uuid>>,
}

/// A profile list (interests, links) as stored: its strings, in order.
pub fn listed(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub const SECTORS: &[&str] = &["FUNDER", "RESEARCHER", "PRACTITIONER", "POLICYMAKER", "EDUCATOR", "COMMUNITY", "OTHER"];

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
    if let Some(picture) = crate::domain::media::attach(&state.db, me.id, "avatarId", changes.avatar).await? {
        row.avatar_url = Set(picture.as_ref().map(|m| crate::domain::media::url(state, m)));
        row.avatar_id = Set(picture.map(|m| m.id));
    }
    row.updated_at = Set(Utc::now());
    // Followers elsewhere hear of the change, in the same transaction (keys made first).
    let federates = profile_updates::prepare(state, ApActor::of_member(&state.db, me.clone()).await?).await?;
    let txn = db::begin_write(&state.db).await?;
    let updated = row.update(&txn).await?;
    search::index_member(&txn, &updated).await?;
    if federates {
        profile_updates::publish(&txn, state, updated.id).await?;
    }
    txn.commit().await?;
    Ok(updated)
}
