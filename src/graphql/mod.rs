//! The GraphQL API: thin resolvers over `crate::domain`. Names follow the API contract in
//! `schema/schema.graphql`, which `weave export-schema` regenerates.
/// A GraphQL enum that mirrors a database enum variant for variant, with conversions both ways.
/// (Defined before the modules so that each of them can use it.)
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $db:ty { $($(#[$vmeta:meta])* $v:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name { $($(#[$vmeta])* $v),* }
        impl From<$db> for $name {
            fn from(v: $db) -> Self { match v { $(<$db>::$v => $name::$v),* } }
        }
        impl From<$name> for $db {
            fn from(v: $name) -> Self { match v { $($name::$v => <$db>::$v),* } }
        }
    };
}

pub mod cache;
mod documents;
mod events;
mod federation;
mod feed;
mod graphiql;
mod groups;
pub mod http;
mod in_place;
mod instance;
mod learning;
pub mod limits;
mod loaders;
mod mail;
mod media;
mod members;
mod node;
pub(crate) mod reports;
mod resources;
mod search;
mod socket;
mod text;
mod threads;
mod types;
mod upload;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::domain::viewer::Viewer;
use crate::federation::resolve::{Lookup, RemoteBudget};
use crate::federation::{FedData, Federation};
use crate::state::{AppState, State};

pub use loaders::Loaders;

/// What may be read: members, groups, events, the library, threads, learning records, search.
#[derive(MergedObject, Default)]
pub struct Query(
    members::MemberQuery,
    groups::GroupQuery,
    events::EventQuery,
    resources::ResourceQuery,
    threads::ThreadQuery,
    federation::FederationQuery,
    search::SearchQuery,
    instance::InstanceQuery,
    learning::LearningQuery,
    node::NodeQuery,
    feed::FeedQuery,
    reports::ReportQuery,
    mail::MailQuery,
);

/// What may be changed, each as the signed-in member (see each field for who may).
#[derive(MergedObject, Default)]
pub struct Mutation(
    members::MemberMutation,
    groups::GroupMutation,
    events::EventMutation,
    resources::ResourceMutation,
    threads::ThreadMutation,
    federation::FederationMutation,
    learning::LearningMutation,
    groups::InvitationMutation,
    media::MediaMutation,
    instance::InstanceMutation,
    reports::ReportMutation,
    mail::MailMutation,
);

/// What a client may hear of as it happens (over `graphql-transport-ws` on `/graphql`).
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    events::EventSubscription,
    threads::ThreadSubscription,
    learning::LearningSubscription,
    feed::FeedSubscription,
);

pub type WeaveSchema = Schema<Query, Mutation, Subscription>;

pub use limits::{MAX_COMPLEXITY, MAX_DEPTH};

/// Runs a request: the request checks ([`limits::admit`]), then the engine. Every transport
/// (HTTP, WebSocket) comes in here.
pub async fn execute(schema: &WeaveSchema, mut request: async_graphql::Request) -> async_graphql::Response {
    if let Err(refused) = limits::admit(&mut request) {
        return async_graphql::Response::from_errors(vec![refused]);
    }
    let mut response = schema.execute(request).await;
    reword(&mut response);
    response
}

/// [`execute`] for a subscription (or any operation sent over a socket): a stream of answers.
pub fn execute_stream(
    schema: &WeaveSchema,
    mut request: async_graphql::Request,
    session: std::sync::Arc<async_graphql::Data>,
) -> futures_util::stream::BoxStream<'static, async_graphql::Response> {
    use futures_util::StreamExt as _;
    if let Err(refused) = limits::admit(&mut request) {
        return futures_util::stream::once(std::future::ready(async_graphql::Response::from_errors(vec![refused])))
            .boxed();
    }
    schema
        .execute_stream_with_session_data(request, session)
        .map(|mut response| {
            reword(&mut response);
            response
        })
        .boxed()
}

/// Errors raised by the engine itself (syntax, validation, limits, input coercion) carry no
/// code: every error a client sees gets one, and the engine's limit refusals are put in our
/// words (with the limit).
fn reword(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        if let Some(ours) = limits::reworded(&error.message) {
            error.message = ours;
        }
        let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if !has_code {
            error.extensions.get_or_insert_with(Default::default).set("code", "BAD_USER_INPUT");
        }
    }
}

pub fn build_schema(state: Option<State>, federation: Option<Federation>) -> WeaveSchema {
    schema_builder(state, federation).finish()
}

/// The schema `web::server` serves: [`build_schema`]'s, with the per-address limits that
/// `register`, `login` and `refreshToken` count against.
pub fn served_schema(
    state: State,
    federation: Federation,
    limits: std::sync::Arc<crate::web::ratelimit::RateLimits>,
) -> WeaveSchema {
    schema_builder(Some(state), Some(federation)).data(limits).finish()
}

/// The `DateTime` scalar, as clients see it.
const DATE_TIME: &str = "An instant, as an RFC 3339 date-time with its offset (`2030-09-19T09:00:00Z`, \
    `2030-09-19T10:00:00+01:00`). Answers are in UTC; inputs in any offset.";
const UPLOAD: &str = "A file sent with the request, as the GraphQL multipart request specification describes \
    (`multipart/form-data`: an `operations` part, a `map` part, then the files).";

fn schema_builder(
    state: Option<State>,
    federation: Option<Federation>,
) -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription::default())
        // No extension: the request checks run before the engine (`limits::admit`), because
        // the engine runs every field of an answer through each extension's `resolve` hook.
        // The cost budget and the introspection depth are the engine's to count.
        .limit_complexity(limits::MAX_COMPLEXITY)
        .limit_depth(limits::MAX_INTROSPECTION_DEPTH)
        .limit_recursive_depth(32)
        .limit_directives(20)
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(DATE_TIME)
        .override_input_type_description::<chrono::DateTime<chrono::Utc>>(DATE_TIME)
        .override_input_type_description::<async_graphql::Upload>(UPLOAD);
    if let Some(state) = state {
        builder = builder.data(state);
    }
    if let Some(federation) = federation {
        builder = builder.data(federation);
    }
    builder
}

/// The SDL that `schema/schema.graphql` must equal.
pub fn sdl() -> String {
    build_schema(None, None).sdl()
}

/// What every resolver reaches for.
pub(crate) trait ContextExt {
    fn state(&self) -> &AppState;
    fn viewer(&self) -> &Viewer;
    fn loaders(&self) -> &Loaders;
    /// A federation context for fetching.
    fn fed(&self) -> FedData<State>;
    /// Whether this request may look actors up on other servers: signed-in callers may, a few
    /// times per request; anonymous ones see what is cached.
    fn lookup(&self) -> Lookup<'_>;
}

impl ContextExt for async_graphql::Context<'_> {
    fn state(&self) -> &AppState {
        // Inserted by `build_schema` for every served schema.
        self.data_unchecked::<State>()
    }
    fn viewer(&self) -> &Viewer {
        // Inserted per request (HTTP) or per connection (WebSocket) by `http`.
        self.data_unchecked::<Viewer>()
    }
    fn loaders(&self) -> &Loaders {
        self.data_unchecked::<Loaders>()
    }
    fn fed(&self) -> FedData<State> {
        // Inserted by `build_schema` for every served schema.
        self.data_unchecked::<Federation>().to_request_data()
    }
    fn lookup(&self) -> Lookup<'_> {
        match (self.viewer().optional(), self.data_opt::<RemoteBudget>()) {
            (Ok(Some(_)), Some(budget)) => Lookup::Network(budget),
            _ => Lookup::CacheOnly,
        }
    }
}
