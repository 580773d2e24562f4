//! A group itself: made (the default group at start-up, others by members), and its profile
//! and policies changed by its owners and admins.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use super::rules::{acting_role, administers};
use super::store::{find_local, get, insert_membership};
use super::DEFAULT_GROUP;
use crate::config::GroupCreation;
use crate::db::enums::{JoinMode, Role};
use crate::db::{self, group, membership};
use crate::domain::actors::{self, ActorKind, ApActor};
use crate::domain::viewer::Viewer;
use crate::domain::{markdown, members, profile_updates, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub struct NewGroup {
    pub slug: String,
    pub name: String,
    pub summary: Option<String>,
    pub requires_approval: bool,
    pub manually_approves_followers: bool,
}

/// Creates the default group at start-up when it is missing (no owner until `create-admin`).
pub async fn ensure_default_group(state: &AppState) -> AppResult<()> {
    if find_local(&state.db, DEFAULT_GROUP).await?.is_some() {
        return Ok(());
    }
    let txn = db::begin_write(&state.db).await?;
    if find_local(&txn, DEFAULT_GROUP).await?.is_none() {
        insert_local(
            &txn,
            state,
            DEFAULT_GROUP,
            "Community",
            Some("Everyone on this instance: introductions, announcements and open conversation.".into()),
            JoinMode::Open,
            false,
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_local<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    slug: &str,
    name: &str,
    summary: Option<String>,
    join_mode: JoinMode,
    manually_approves_followers: bool,
    created_by: Option<Uuid>,
) -> AppResult<group::Model> {
    let actor =
        actors::insert_local(conn, state, ActorKind::Group, state.group_url(slug), slug, manually_approves_followers)
            .await?;
    let created = group::ActiveModel {
        id: Set(actor.id),
        handle: Set(slug.to_string()),
        slug: Set(slug.to_string()),
        domain: Set(None),
        name: Set(name.to_string()),
        summary_html: Set(summary.as_deref().map(markdown::render)),
        summary: Set(summary),
        join_mode: Set(join_mode),
        local: Set(true),
        ap_id: Set(actor.ap_id),
        avatar_url: Set(None),
        banner_id: Set(None),
        created_by: Set(created_by),
        created_at: Set(actor.created_at),
        updated_at: Set(actor.created_at),
        public_followers: Set(false),
    }
    .insert(conn)
    .await?;
    crate::domain::search::index_group(conn, &created).await?;
    Ok(created)
}

pub async fn create(
    state: &AppState,
    viewer: &Viewer,
    input: NewGroup,
) -> AppResult<(group::Model, membership::Model)> {
    let me = viewer.active_member()?;
    if state.config.group_creation == GroupCreation::Admins && !me.is_admin {
        return Err(AppError::forbidden("only instance admins may create groups here"));
    }
    let slug = input.slug.trim().to_string();
    validate::local_name("slug", &slug)?;
    let name = validate::required_text("name", &input.name, 100)?;
    let summary = validate::text("summary", input.summary.as_deref(), 2000)?;
    let join_mode = if input.requires_approval { JoinMode::Approval } else { JoinMode::Open };

    let txn = db::begin_write(&state.db).await?;
    members::ensure_name_free(&txn, &slug).await?;
    let g = insert_local(&txn, state, &slug, &name, summary, join_mode, input.manually_approves_followers, Some(me.id))
        .await?;
    let m = insert_membership(&txn, g.id, me.id, Role::Owner).await?;
    txn.commit().await?;
    Ok((g, m))
}

/// Changes to a group's profile and policies; `None` leaves a field as it is.
#[derive(Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub requires_approval: Option<bool>,
    pub manually_approves_followers: Option<bool>,
    pub public_followers: Option<bool>,
    /// A picture uploaded by the one making the change (`Some(None)`: none).
    pub banner: Option<Option<Uuid>>,
}

/// Updates a local group (its owners and admins); followers elsewhere receive an `Update`.
pub async fn update(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    changes: GroupChanges,
) -> AppResult<group::Model> {
    let g = get(&state.db, group_id).await?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "this group lives on another server"));
    }
    if !administers(acting_role(&state.db, viewer, g.id).await?) {
        return Err(AppError::forbidden("only the group's owners and admins may change it"));
    }
    let mut row: group::ActiveModel = g.clone().into();
    if let Some(name) = changes.name {
        row.name = Set(validate::required_text("name", &name, 100)?);
    }
    if let Some(summary) = changes.summary {
        let summary = validate::text("summary", Some(&summary), 2000)?;
        row.summary_html = Set(summary.as_deref().map(markdown::render));
        row.summary = Set(summary);
    }
    if let Some(approval) = changes.requires_approval {
        row.join_mode = Set(if approval { JoinMode::Approval } else { JoinMode::Open });
    }
    if let Some(public) = changes.public_followers {
        row.public_followers = Set(public);
    }
    if let Some(picture) =
        crate::domain::media::attach(&state.db, viewer.member()?.id, "bannerId", changes.banner).await?
    {
        row.banner_id = Set(picture.map(|m| m.id));
    }
    row.updated_at = Set(Utc::now());
    let federates = profile_updates::prepare(state, ApActor::of_group(&state.db, g).await?).await?;
    let txn = db::begin_write(&state.db).await?;
    let updated = row.update(&txn).await?;
    if let Some(manual) = changes.manually_approves_followers {
        actors::set_manually_approves_followers(&txn, updated.id, manual).await?;
    }
    crate::domain::search::index_group(&txn, &updated).await?;
    if federates {
        profile_updates::publish(&txn, state, updated.id).await?;
    }
    txn.commit().await?;
    Ok(updated)
}
