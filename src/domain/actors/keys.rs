//! Key pairs: made for local actors on first federation use.
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::actor::{ActorKind, ApActor};
use crate::db::{group, member};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub(super) async fn generate_keys() -> AppResult<activitypub_federation::http_signatures::Keypair> {
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
    // Read back by kind: the instance actor never gets here, and its row is another table.
    let reloaded = match actor.kind {
        ActorKind::Member => {
            member::Entity::update_many()
                .col_expr(member::Column::PublicKeyPem, Expr::value(keys.public_key))
                .col_expr(member::Column::PrivateKeyPem, Expr::value(keys.private_key))
                .filter(member::Column::Id.eq(actor.row_id))
                .filter(member::Column::PrivateKeyPem.is_null())
                .exec(&state.db)
                .await?;
            member::Entity::find_by_id(actor.row_id).one(&state.db).await?.map(ApActor::from_member).transpose()?
        }
        ActorKind::Group => {
            group::Entity::update_many()
                .col_expr(group::Column::PublicKeyPem, Expr::value(keys.public_key))
                .col_expr(group::Column::PrivateKeyPem, Expr::value(keys.private_key))
                .filter(group::Column::Id.eq(actor.row_id))
                .filter(group::Column::PrivateKeyPem.is_null())
                .exec(&state.db)
                .await?;
            group::Entity::find_by_id(actor.row_id).one(&state.db).await?.map(ApActor::from_group).transpose()?
        }
        ActorKind::Instance => return Ok(actor),
    };
    reloaded.ok_or_else(|| AppError::not_found("actor"))
}
