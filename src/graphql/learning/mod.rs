//! Learning records: thin resolvers over `domain::learning`.
//!
//! - `types`: `LearningQuestion`, `Reflection`, `Harvest` (with its themes and actions),
//!   `Notification`, and their enums;
//! - `inputs`: what the mutations and lists take;
//! - `query`, `mutation`, `subscription`: the root fields.
mod inputs;
mod mutation;
mod query;
mod subscription;
mod types;

pub use mutation::LearningMutation;
pub use query::LearningQuery;
pub use subscription::LearningSubscription;
pub use types::{LearningQuestion, Reflection};
