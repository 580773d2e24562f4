//! The domain: every behaviour lives here once, and both front doors (GraphQL and ActivityPub)
//! call it. Services check permissions and invariants and write in transactions. It calls
//! down only (the `ap` vocabulary, `db`, `auth`, the `bus`); it never names an adapter (the
//! federation, GraphQL or web modules), and `tests/api/layering.rs` keeps it so.
pub mod actors;
pub mod events;
pub mod feed;
pub mod follows;
pub mod groups;
pub mod handles;
pub mod instance;
pub mod learning;
pub mod mail;
pub mod markdown;
pub mod media;
pub mod members;
pub mod mentions;
pub mod moderation;
pub mod outbox;
pub mod pagination;
pub mod profile_updates;
pub mod published;
pub mod publishing;
pub mod received;
pub mod reports;
pub mod resources;
pub mod search;
pub mod sessions;
pub mod shared_rows;
pub mod tags;
pub mod threads;
pub mod validate;
pub mod viewer;
pub mod visibility;
