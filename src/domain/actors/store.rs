//! Loading actors: by ActivityPub id, by kind and row, and the instance actor (made, with its
//! keys, on first use).
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::actor::{ActorKind, ApActor};
use super::keys::generate_keys;
use crate::db::{group, instance_actor, member};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

impl ApActor {
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
