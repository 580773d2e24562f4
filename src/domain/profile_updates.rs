//! Publishing a local actor's changed profile (a member's or a group's) to its followers
//! elsewhere, as an `Update` in the transaction that makes the change.
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::ap::activities;
use crate::domain::actors::{ensure_keys, ApActor};
use crate::domain::outbox::{self, Outgoing};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Before changing a local actor's profile: whether the change must federate (it has remote
/// followers), making its keys if so. Runs outside the transaction that makes the change, so a
/// SQLite write lock is never waited on from within.
pub async fn prepare(state: &AppState, actor: ApActor) -> AppResult<bool> {
    let federates = !outbox::follower_inboxes(&state.db, actor.row_id).await?.is_empty();
    if federates {
        ensure_keys(state, actor).await?;
    }
    Ok(federates)
}

/// Publishes an actor's new profile to its followers, in the caller's transaction, from the
/// row as that transaction sees it.
pub async fn publish<C: ConnectionTrait>(conn: &C, state: &AppState, id: Uuid) -> AppResult<()> {
    let Some(actor) = ApActor::by_id(conn, id).await? else { return Ok(()) };
    let inboxes = outbox::follower_inboxes(conn, actor.row_id).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let json = actor.document(state).await?;
    let ap_id = outbox::activity_id(state, "Update");
    let payload = activities::update_actor(&ap_id, &json).map_err(AppError::internal)?;
    outbox::enqueue(
        conn,
        state,
        Outgoing { actor_id: actor.row_id, ap_id, kind: "Update", payload, public: true, inboxes },
    )
    .await?;
    Ok(())
}
