//! Accounts and profiles: registration (open, approval, invite-only), sign-in with rate
//! limiting, profile updates, look-ups and search.
//!
//! - `accounts`: registering, demo accounts and `weave create-admin`;
//! - `signin`: signing in;
//! - `profile`: a member's own profile;
//! - `store`: look-ups, the directory and counts;
//! - `admin`: pending accounts, approval and suspension, invite codes;
//! - `deletion`: deleting one's account;
//! - `password`: changing and resetting passwords.
//!
//! Who may see a member, their account details and private fields, and who may sign in, is
//! [`visibility`](crate::domain::visibility)'s.
mod accounts;
mod admin;
mod deletion;
mod export;
mod password;
mod profile;
mod signin;
mod store;

pub use accounts::{create_admin, create_demo_member, ensure_name_free, register, DemoAccount, NewAccount};
pub use admin::{create_invite, pending, set_status};
pub use deletion::delete_account;
pub use export::{export, following_csv};
pub use password::{change_password, create_reset_link, request_reset, reset_password};
pub use profile::{listed, update_profile, ProfileChanges, SECTORS};
pub use signin::login;
pub(crate) use store::escape_like;
pub use store::{by_ids, count_local, find_by_handle, find_by_id, find_named, list_ids, load_many};
