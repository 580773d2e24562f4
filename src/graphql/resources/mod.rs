//! Shared resources (a group's library): thin resolvers over `domain::resources`.
//!
//! - `types`: the `Resource` object and its kind;
//! - `inputs`: what mutations and the list take;
//! - `query`, `mutation`: the root fields.
mod inputs;
mod mutation;
mod query;
mod types;

pub use mutation::ResourceMutation;
pub use query::ResourceQuery;
pub use types::Resource;
