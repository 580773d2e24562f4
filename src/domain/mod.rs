//! The domain: every behaviour lives here once, and both front doors (GraphQL and ActivityPub)
//! call it. Services check permissions and invariants and write in transactions.
pub mod follows;
pub mod groups;
pub mod markdown;
pub mod members;
pub mod moderation;
pub mod outbox;
pub mod pagination;
pub mod sessions;
pub mod validate;
pub mod viewer;
