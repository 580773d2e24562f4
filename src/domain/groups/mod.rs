//! Groups and memberships: creation, joining (open or by approval), leaving, roles.
//!
//! - `rules`: the role one acts with, who administers a group, who may change whose role;
//! - `store`: look-ups, the directory, counts and membership rows;
//! - `profile`: making a group and changing its profile and policies;
//! - `memberships`: joining, leaving, roles and removals.
//!
//! Who may see a group is [`visibility`](crate::domain::visibility)'s.
mod invitations;
mod memberships;
mod profile;
mod rules;
mod store;

/// The group every fresh instance has; Mastodon users follow it as `@community@DOMAIN`.
pub const DEFAULT_GROUP: &str = "community";

pub use crate::db::enums::Role;

pub use invitations::{
    answer as answer_invitation, get_invitation, invite, open_for as open_invitations, MAX_OPEN as MAX_OPEN_INVITATIONS,
};
pub use memberships::{
    join, join_default_group, join_requests, leave, make_default_group_owner, memberships, of_member as memberships_of,
    remove_member, set_role,
};
pub use profile::{create, ensure_default_group, update, GroupChanges, NewGroup};
pub use rules::{acting_role, administers, ensure_not_last_owner_anywhere, moderates, role_in};
pub use store::{
    count_local, delete_memberships_of, find_by_handle, find_by_id, find_local, find_named, get, is_member, list,
    list_local_public, load_many, membership_of, memberships_of_members,
};
