//! A member deletes their account: the row stays as a tombstone, everything else goes, and
//! followers elsewhere hear a signed `Delete`.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};

use crate::auth::verify_password;
use crate::db::enums::MemberStatus;
use crate::db::{self, member};
use crate::domain::actors::local_followers;
use crate::domain::actors::{ensure_keys, ApActor};
use crate::domain::viewer::Viewer;
use crate::domain::{follows, groups, search, sessions};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Deletes the signed-in member's account after checking the password. The row stays as a
/// tombstone (its actor URL answers 410 Gone, and it keeps its key to sign the `Delete` that
/// tells followers elsewhere); profile, email, password, sessions, memberships and follows go.
pub async fn delete_account(state: &AppState, viewer: &Viewer, password: &str) -> AppResult<bool> {
    let me = viewer.member()?.clone();
    let hash = me.password_hash.clone().unwrap_or_else(|| state.dummy_hash.clone());
    if !verify_password(password.to_string(), hash).await? {
        return Err(AppError::bad_input("password", "the password is not correct"));
    }
    let actor = ApActor::of_member(&state.db, me.clone()).await?;
    let inboxes = crate::domain::outbox::follower_inboxes(&state.db, me.id).await?;
    let following = crate::domain::outbox::followed_inboxes(&state.db, me.id).await?;
    let federates = !inboxes.is_empty() || !following.is_empty();
    let actor = if federates { ensure_keys(state, actor).await? } else { actor };
    let txn = db::begin_write(&state.db).await?;
    // Owning the last seat of a group would orphan it.
    groups::ensure_not_last_owner_anywhere(&txn, me.id).await?;
    sessions::revoke_all(&txn, me.id).await?;
    follows::delete_all_of(&txn, me.id).await?;
    groups::delete_memberships_of(&txn, me.id).await?;
    // Their seats go to the waitlists.
    let changed_events = crate::domain::events::registrations::withdraw_all(&txn, state, me.id).await?;
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
    row.avatar_id = Set(None);
    row.discoverable = Set(false);
    row.updated_at = Set(Utc::now());
    let erased = row.update(&txn).await?;
    let uploads = crate::domain::media::forget_uploads_of(&txn, me.id).await?;
    // The profile text leaves the search index with the profile.
    search::index_member(&txn, &erased).await?;
    if federates {
        let ap_id = crate::domain::outbox::activity_id(state, "Delete");
        let followers = local_followers(&me.ap_id);
        let followers = Some(followers.as_str());
        let payload = crate::ap::activities::delete_actor(&ap_id, actor.id.as_str(), followers);
        let mut all = inboxes;
        all.extend(following);
        crate::domain::outbox::enqueue(
            &txn,
            state,
            crate::domain::outbox::Outgoing {
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
    for key in uploads {
        state.media.delete(&key).await;
    }
    for id in changed_events {
        state.bus.publish(&state.db, crate::bus::Change::Event { id }).await;
    }
    Ok(true)
}
