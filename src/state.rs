//! What every request handler and worker shares: the database, the settings, the keys.
//!
//! The domain is handed this state, so it holds only what the domain needs; what only an
//! adapter uses (the per-address request limits: `web::ratelimit`) is the adapter's own.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::JwtKeys;
use crate::config::Config;

pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Config,
    pub jwt: JwtKeys,
    /// An argon2 hash of a random password, verified against when a login names no account so
    /// that response times do not reveal which accounts exist.
    pub dummy_hash: String,
    /// Remote look-ups (WebFinger and actor fetches for API requests) in flight at once.
    pub remote_lookups: tokio::sync::Semaphore,
    /// Committed changes, for subscriptions (across replicas on PostgreSQL).
    pub bus: crate::bus::Bus,
    /// Statements run on `db`.
    pub statements: crate::db::StatementCounter,
    /// The committed data's version, for the response cache (`None`: no cache).
    pub data_version: Option<crate::db::version::DataVersion>,
    /// Uploaded pictures.
    pub media: crate::media_store::MediaStore,
}

pub type State = Arc<AppState>;

impl AppState {
    pub fn base_url(&self) -> String {
        self.config.base_url()
    }
    pub fn member_url(&self, username: &str) -> String {
        format!("{}/members/{}", self.base_url(), username)
    }
    pub fn group_url(&self, slug: &str) -> String {
        format!("{}/groups/{}", self.base_url(), slug)
    }
}
