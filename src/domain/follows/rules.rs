//! Who may follow in whose name, and who reviews an actor's followers.
use uuid::Uuid;

use crate::domain::actors::{ActorKind, ApActor};
use crate::domain::groups;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Who follows: the signed-in member, or a local group they own or administer (a partner
/// network following another network).
pub async fn follower_for(state: &AppState, viewer: &Viewer, as_group: Option<Uuid>) -> AppResult<ApActor> {
    let me = viewer.active_member()?;
    match as_group {
        None => ApActor::of_member(&state.db, me.clone()).await,
        Some(group_id) => {
            let g = groups::get(&state.db, group_id).await?;
            if !g.local {
                return Err(AppError::bad_input("asGroup", "only local groups can follow from here"));
            }
            let actor = ApActor::of_group(&state.db, g).await?;
            may_review(state, viewer, &actor).await?;
            Ok(actor)
        }
    }
}

/// May the viewer decide on follow requests to (or follow in the name of) this actor? The
/// member themselves, or a group's owners and admins (and instance admins).
pub(super) async fn may_review(state: &AppState, viewer: &Viewer, target: &ApActor) -> AppResult<()> {
    let me = viewer.active_member()?;
    if !target.local {
        return Err(AppError::forbidden("only local actors' followers can be reviewed here"));
    }
    let allowed = match target.kind {
        ActorKind::Member => target.row_id == me.id,
        ActorKind::Group => groups::administers(groups::acting_role(&state.db, viewer, target.row_id).await?),
        ActorKind::Instance => false,
    };
    if !allowed {
        return Err(AppError::forbidden("only the group's owners and admins may review its followers"));
    }
    Ok(())
}
