//! Discussion threads and their posts: thin resolvers over `domain::threads`. A thread's
//! opening text is its first post.
//!
//! - `types`: the `Thread` and `Post` objects, their kind and connections;
//! - `inputs`: what mutations and the list take;
//! - `query`, `mutation`, `subscription`: the root fields.
mod inputs;
mod mutation;
mod query;
mod subscription;
mod types;

pub use mutation::ThreadMutation;
pub use query::ThreadQuery;
pub use subscription::ThreadSubscription;
pub use types::{visible_thread, Post, Thread};
