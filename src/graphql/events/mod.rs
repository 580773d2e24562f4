//! Events and registration: thin resolvers over `domain::events` and
//! `domain::events::registrations`. Lists resolve their rows' groups, organisers, hosts and the
//! viewer's registrations through the request's DataLoaders.
//!
//! - `types`: the objects (`Event`, `Registration`, their parts) and enums;
//! - `inputs`: what mutations and the list take, mapped onto the domain's fields;
//! - `query`, `mutation`, `subscription`: the root fields.
mod inputs;
mod mutation;
mod query;
mod subscription;
mod types;

pub use inputs::EventFilter;
pub use mutation::EventMutation;
pub use query::{list_events, EventQuery};
pub use subscription::EventSubscription;
pub use types::{visible_event, Event, Registration, RegistrationStatus};
