//! Learning records: thin resolvers over `domain::learning`.
//!
//! - `types`: `LearningQuestion`, `Reflection`, `Notification`, and the enums;
//! - `harvests`: `Harvest` (with its themes and actions) and `ReportLink`;
//! - `inputs`: what the mutations and lists take;
//! - `query`, `mutation`, `subscription`: the root fields.
mod harvests;
mod inputs;
mod mutation;
mod query;
mod subscription;
mod types;

pub use harvests::{Harvest, HarvestAction, ReportLink};
pub use mutation::LearningMutation;
pub use query::LearningQuery;
pub use subscription::LearningSubscription;
pub use types::{LearningQuestion, Notification, Reflection};
