//! What the instance says of itself: a description, its rules and a contact address, set by
//! its admins and shown wherever the instance introduces itself (the API's `instance`, the
//! front page, NodeInfo's `metadata`), as Mastodon shows its server rules.
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use crate::db::instance_profile;
use crate::domain::{markdown, validate, viewer::Viewer};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Rules an instance may list, and how long each may be.
pub const MAX_RULES: usize = 30;
pub const MAX_RULE: usize = 500;
pub const MAX_DESCRIPTION: usize = 5000;

/// The instance's self-description; empty until an admin writes one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Markdown, as written.
    pub description: Option<String>,
    pub rules: Vec<String>,
    pub contact_email: Option<String>,
}

impl Profile {
    /// The description as sanitised HTML.
    pub fn description_html(&self) -> Option<String> {
        self.description.as_deref().map(markdown::render)
    }
}

/// Changes to the profile; `None` leaves a part as it is, an empty text clears it.
#[derive(Clone, Debug, Default)]
pub struct ProfileChanges {
    pub description: Option<String>,
    pub rules: Option<Vec<String>>,
    pub contact_email: Option<String>,
}

pub async fn profile<C: sea_orm::ConnectionTrait>(db: &C) -> AppResult<Profile> {
    let Some(row) = instance_profile::Entity::find_by_id(1).one(db).await? else { return Ok(Profile::default()) };
    let rules = row
        .rules
        .as_array()
        .map(|a| a.iter().filter_map(|r| r.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    Ok(Profile { description: row.description, rules, contact_email: row.contact_email })
}

/// Sets the profile (instance admins).
pub async fn update(state: &AppState, viewer: &Viewer, changes: ProfileChanges) -> AppResult<Profile> {
    viewer.admin()?;
    // Read and written under the write lock: two admins' changes never undo each other.
    let txn = crate::db::begin_write(&state.db).await?;
    let mut next = profile(&txn).await?;
    if let Some(d) = changes.description {
        next.description = validate::text("description", Some(&d), MAX_DESCRIPTION)?;
    }
    if let Some(rules) = changes.rules {
        if rules.len() > MAX_RULES {
            return Err(AppError::bad_input("rules", format!("at most {MAX_RULES} rules")));
        }
        let mut kept = Vec::with_capacity(rules.len());
        for rule in &rules {
            match validate::text("rules", Some(rule), MAX_RULE)? {
                Some(r) => kept.push(r),
                None => return Err(AppError::bad_input("rules", "a rule cannot be empty")),
            }
        }
        next.rules = kept;
    }
    if let Some(e) = changes.contact_email {
        next.contact_email = match e.trim() {
            "" => None,
            e => Some(validate::email(e).map_err(|_| AppError::bad_input("contactEmail", "not an email address"))?),
        };
    }
    let row = instance_profile::ActiveModel {
        id: Set(1),
        description: Set(next.description.clone()),
        rules: Set(serde_json::json!(next.rules)),
        contact_email: Set(next.contact_email.clone()),
        updated_at: Set(Utc::now()),
    };
    instance_profile::Entity::insert(row)
        .on_conflict(
            OnConflict::column(instance_profile::Column::Id)
                .update_columns([
                    instance_profile::Column::Description,
                    instance_profile::Column::Rules,
                    instance_profile::Column::ContactEmail,
                    instance_profile::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(next)
}
