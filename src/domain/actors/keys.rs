//! Key pairs: made for local actors on first federation use.
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::actor::ApActor;
use crate::db::actor;
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
    if !actor.local || actor.private_key_pem.is_some() {
        return Ok(actor);
    }
    let keys = generate_keys().await?;
    actor::Entity::update_many()
        .col_expr(actor::Column::PublicKeyPem, Expr::value(keys.public_key))
        .col_expr(actor::Column::PrivateKeyPem, Expr::value(keys.private_key))
        .filter(actor::Column::Id.eq(actor.row_id))
        .filter(actor::Column::PrivateKeyPem.is_null())
        .exec(&state.db)
        .await?;
    let row = super::store::actor_row(&state.db, actor.row_id).await?;
    ApActor::new(row, actor.source)
}
