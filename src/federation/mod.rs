//! ActivityPub federation on activitypub_federation: actors, activities, inbox, outbox
//! delivery, collections, WebFinger and NodeInfo. Handlers here translate between the wire and
//! `crate::domain`, which does the work for both front doors.
pub mod activities;
pub mod actors;
pub mod collections;
pub mod delivery;
mod fetched;
pub mod inbox;
pub mod resolve;
pub mod wellknown;

use std::time::Duration;

use activitypub_federation::config::{FederationConfig, UrlVerifier};
use activitypub_federation::error::Error as ApError;
use url::Url;

use crate::error::AppError;
use crate::state::State;

pub use activitypub_federation::config::Data as FedData;

/// The library's configuration for this instance, and what deliveries are sent with (the same
/// HTTP client, and the signing keys once parsed).
#[derive(Clone)]
pub struct Federation {
    config: FederationConfig<State>,
    outbound: std::sync::Arc<delivery::Outbound>,
}

impl std::ops::Deref for Federation {
    type Target = FederationConfig<State>;
    fn deref(&self) -> &Self::Target {
        &self.config
    }
}

impl Federation {
    pub fn config(&self) -> &FederationConfig<State> {
        &self.config
    }
    pub(crate) fn outbound(&self) -> &delivery::Outbound {
        &self.outbound
    }
}

/// The body of a refusal (`{"error": "…"}`).
#[derive(serde::Serialize)]
pub(crate) struct ErrorBody<'a> {
    pub error: &'a str,
}

/// Content types that ask for ActivityPub JSON.
pub fn wants_activity_json(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        let a = a.to_ascii_lowercase();
        a.contains("application/activity+json") || a.contains("application/ld+json")
    })
}

/// Errors of the federation layer. Unlike `AppError` these are `Display`, as
/// activitypub_federation requires; they convert into `AppError` at the domain boundary.
#[derive(Debug, thiserror::Error)]
pub enum FedError {
    #[error(transparent)]
    Federation(#[from] ApError),
    #[error("{0}")]
    App(#[source] AppErrorBox),
    #[error("duplicate activity")]
    Duplicate,
    #[error("activity ignored: {0}")]
    Ignored(String),
    #[error("domain is blocked")]
    Blocked,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("url: {0}")]
    Url(#[from] url::ParseError),
}

/// Carries an `AppError` through the `Display` world.
#[derive(Debug)]
pub struct AppErrorBox(pub AppError);

/// For logs only: federation errors are never shown to clients as they are.
impl std::fmt::Display for AppErrorBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
impl std::error::Error for AppErrorBox {}

impl From<AppError> for FedError {
    fn from(e: AppError) -> Self {
        FedError::App(AppErrorBox(e))
    }
}

impl From<sea_orm::DbErr> for FedError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::from(e).into()
    }
}

impl From<FedError> for AppError {
    fn from(e: FedError) -> Self {
        match e {
            FedError::App(AppErrorBox(app)) => app,
            FedError::Blocked => AppError::forbidden("that server is blocked by this instance"),
            FedError::Federation(ApError::NotFound) | FedError::Federation(ApError::ObjectDeleted(_)) => {
                AppError::not_found("remote actor")
            }
            FedError::Federation(ApError::WebfingerResolveFailed(_)) => AppError::not_found("remote actor"),
            FedError::Federation(
                ApError::UrlVerificationError(_) | ApError::DomainResolveError(_) | ApError::ResolveInternalIpError(..),
            ) => AppError::bad_input("handle", "that server's address is not allowed"),
            FedError::BadRequest(m) => AppError::bad_input("handle", m),
            other => AppError::internal(anyhow::anyhow!("federation: {other}")),
        }
    }
}

/// The verifier's errors. The library carries a verifier's refusal only as
/// `Error::Other(String)`, so these constants are how the inbox tells them apart (by equality).
pub const DOMAIN_BLOCKED: &str = "domain is blocked";
/// The database could not answer (a temporary failure, not a block).
pub const BLOCKLIST_UNAVAILABLE: &str = "could not check the domain block list";

/// Refuses URLs on blocked domains, for every fetch and delivery the library makes.
#[derive(Clone)]
struct BlocklistVerifier {
    db: sea_orm::DatabaseConnection,
}

#[async_trait::async_trait]
impl UrlVerifier for BlocklistVerifier {
    async fn verify(&self, url: &Url) -> Result<(), ApError> {
        match crate::domain::moderation::is_blocked(&self.db, url).await {
            Ok(false) => Ok(()),
            Ok(true) => Err(ApError::Other(DOMAIN_BLOCKED.into())),
            Err(_) => Err(ApError::Other(BLOCKLIST_UNAVAILABLE.into())),
        }
    }
}

/// The library's configuration for one instance. Debug mode (tests only) allows http and
/// loopback peers; otherwise https only, no explicit ports, no private addresses.
pub async fn build(state: State) -> anyhow::Result<Federation> {
    let debug = state.config.federation_debug;
    // No proxy from the environment: a proxy would resolve the remote names itself, past the
    // resolver below that refuses private addresses.
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(format!("Weave/{} (+{})", env!("CARGO_PKG_VERSION"), state.base_url()))
        .dns_resolver(std::sync::Arc::new(activitypub_federation::resolver::ValidatingDnsResolver::new(vec![], !debug)))
        .build()?;
    // Every fetch is signed by the instance actor, so servers in "authorized fetch" mode
    // (Mastodon's secure mode, GoToSocial) answer us.
    let instance =
        crate::domain::actors::instance(&state).await.map_err(|e| anyhow::anyhow!("instance actor: {e:?}"))?;
    // Fetched documents lose NUL and control characters before anything parses them.
    let client = reqwest_middleware::ClientBuilder::new(client).with(fetched::CleanFetched).build();
    let timeout = Duration::from_secs(10);
    let config = FederationConfig::builder()
        .domain(state.config.domain.clone())
        .signed_fetch_actor(&instance)
        .app_data(state.clone())
        .client(client.clone())
        .debug(debug)
        .allow_http_urls(debug)
        .http_signature_compat(true)
        .request_timeout(timeout)
        .http_fetch_limit(50)
        .url_verifier(Box::new(BlocklistVerifier { db: state.db.clone() }))
        .build()
        .await?;
    Ok(Federation { config, outbound: std::sync::Arc::new(delivery::Outbound::new(client, timeout)) })
}
