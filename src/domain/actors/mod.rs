//! Actors, local and remote, in the shape federation needs them: a member, a group or the
//! instance with its URLs and keys. The domain owns every actor row: local keys (made on first
//! federation use), the instance actor, and remote actors, which are upserted by `ap_id` from
//! documents the vocabulary layer has checked.
//!
//! - `actor`: the [`ApActor`] type and what it answers without the database;
//! - `document`: a local actor's ActivityPub document;
//! - `store`: loading actors, and the instance actor;
//! - `keys`: key pairs for local actors;
//! - `remote`: storing, verifying and forgetting remote actors.
mod actor;
mod document;
mod keys;
mod remote;
mod store;

pub use actor::{ActorKind, ActorSource, ApActor};
pub use keys::ensure_keys;
pub use remote::{forget_remote, mark_verified, upsert_remote};
pub use store::{
    actor_row, insert_local, instance, instance_actor_id, load_many, local_followers, profile_urls,
    set_manually_approves_followers,
};
