//! Who may do what with threads and posts: writers, moderators, and which threads take
//! replies. Who may *see* them is `domain::visibility`'s.
use sea_orm::ConnectionTrait;

use crate::db::enums::Role;
use crate::db::{group, thread};
use crate::domain::groups;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};

/// The members of a group (and instance admins) write in it.
pub(super) async fn check_writer<C: ConnectionTrait>(conn: &C, viewer: &Viewer, g: &group::Model) -> AppResult<()> {
    let me = viewer.active_member()?;
    if me.is_admin {
        return Ok(());
    }
    match groups::membership_of(conn, g.id, me.id).await?.map(|m| m.role) {
        Some(r) if r >= Role::Member => Ok(()),
        _ => Err(AppError::forbidden("only the group's members may write in it")),
    }
}

/// Whether a thread takes replies: locked and hidden ones refuse them (CONFLICT), from here
/// and from elsewhere.
pub fn check_open(t: &thread::Model) -> AppResult<()> {
    if t.locked {
        return Err(AppError::conflict("this thread is locked; it takes no replies"));
    }
    if t.hidden {
        return Err(AppError::conflict("this thread is hidden; it takes no replies"));
    }
    Ok(())
}
