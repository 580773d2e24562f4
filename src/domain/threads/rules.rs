//! Who may do what with threads and posts: writers, moderators, and which threads take
//! replies. Who may *see* them is `domain::visibility`'s.
use sea_orm::ConnectionTrait;

use crate::db::enums::Role;
use crate::db::{group, member, post, thread};
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

/// Who may change a thread's title and kind: its author or the group's moderators (`role` is
/// the viewer's, as `groups::role_in` answers it). A thread from another server changes there.
pub fn may_edit_thread(me: Option<&member::Model>, t: &thread::Model, role: Option<Role>) -> bool {
    me.is_some_and(|m| t.author_id == Some(m.id)) || groups::moderates(role)
}

/// Who may lock, pin and hide a thread: the group's moderators.
pub fn may_manage_thread(role: Option<Role>) -> bool {
    groups::moderates(role)
}

/// Who may change a post's text: its author, on this server, while it stands.
pub fn may_edit_post(me: Option<&member::Model>, p: &post::Model) -> bool {
    p.local && !p.deleted && me.is_some_and(|m| p.author_id == Some(m.id))
}
