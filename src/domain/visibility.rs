//! Who may be shown, decided once for every front door: the GraphQL look-ups and directory,
//! WebFinger, actor URLs and HTML pages all ask here.
//! - PENDING, SUSPENDED and DELETED members are hidden from everyone but admins (and a pending
//!   member sees themself); so are their outboxes, collections and published activities.
//! - `discoverable: false` keeps a member out of the directory and search, not out of reach by
//!   handle.
//! - Remote actors are listed in the directory only once verified (`verified_at`).
use sea_orm::{ColumnTrait, Condition};

use crate::db::enums::MemberStatus;
use crate::db::{group, member};
use crate::domain::actors::{ActorSource, ApActor};
use crate::domain::viewer::Viewer;

/// Whether `viewer` may see this member at all (by handle, id or URL).
pub fn member_visible(m: &member::Model, viewer: &Viewer) -> bool {
    match m.status {
        MemberStatus::Active => true,
        MemberStatus::Deleted => viewer.is_admin(),
        MemberStatus::Pending | MemberStatus::Suspended => viewer.is_admin() || viewer.is(m.id),
    }
}

/// Whether anyone, signed in or not, may see this member: what federation endpoints and
/// public pages show.
pub fn member_public(m: &member::Model) -> bool {
    member_visible(m, &Viewer::Anonymous)
}

/// Whether anyone may see a local actor: its URL, outbox, followers and following collections
/// and the activities it published. Members as [`member_public`]; groups and the instance
/// always.
pub fn actor_public(a: &ApActor) -> bool {
    match &a.source {
        ActorSource::Member(m) => member_public(m),
        _ => true,
    }
}

/// The members listed in the directory and found by search.
pub fn member_directory() -> Condition {
    Condition::all()
        .add(member::Column::Status.eq(MemberStatus::Active))
        .add(member::Column::Discoverable.eq(true))
        .add(Condition::any().add(member::Column::Local.eq(true)).add(member::Column::VerifiedAt.is_not_null()))
}

/// The groups listed in the directory and found by search.
pub fn group_directory() -> Condition {
    Condition::any().add(group::Column::Local.eq(true)).add(group::Column::VerifiedAt.is_not_null())
}
