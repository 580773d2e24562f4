//! Settings from `WEAVE_*` environment variables, an optional TOML file, and defaults.
//!
//! One struct, [`Config`], with its defaults in one place (its `Default`), read by `figment`:
//! the defaults, then the file (`weave.toml`, or the one `WEAVE_CONFIG` names; the same keys as
//! the variables, lowercase, without the prefix; unknown keys refused), then the variables
//! (`WEAVE_` and a field's name; blank ones ignored). A variable is text until the field's type
//! asks for a number or a flag, so `WEAVE_INSTANCE_NAME=2024` is a name and a secret of digits
//! stays exact (figment's own `Env` provider would read both as numbers). The JWT secret and
//! the database URL (it may hold the password) are `secrecy` secrets: `Debug` never prints them.
//!
//! Nothing here is global: every running instance owns its [`Config`], so tests (and the
//! federation tests) start several instances in one process.
//!
//! `sources.rs` hands the variables to figment as text and explains its errors; `secrets.rs`
//! holds the JWT secret's check and file, and the database URL.
mod secrets;
mod sources;

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Format, Toml};
use figment::Figment;
pub use secrecy::{ExposeSecret, SecretString};
use secrets::load_or_create_secret;
pub use secrets::{check_jwt_secret, DatabaseUrl};
use serde::{Deserialize, Deserializer};
use sources::{explain, Variables};

/// Who may create an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone may register (the default).
    Open,
    /// Accounts start PENDING until an instance admin approves them.
    Approval,
    /// A single-use invite code made by an admin is required.
    Invite,
    /// Nobody may register; admins are made with `weave create-admin`.
    Closed,
}

/// Who may create groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "lowercase")]
pub enum GroupCreation {
    /// Any signed-in, active member (the default).
    Members,
    /// Only instance admins.
    Admins,
}

/// Shortest accepted JWT secret, in bytes: HS256 keys shorter than its 32-byte output are
/// weaker than the algorithm.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// `Debug` (logs, panics) redacts the JWT secret and the database password. The file's keys and
/// the variables' names (less `WEAVE_`) are the field names.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// host:port to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// Public host[:port] used in every ActivityPub id and link. Defaults to `bind`.
    pub domain: String,
    /// Defaults to SQLite in `data_dir`.
    pub database_url: DatabaseUrl,
    /// Database connections kept open (`None`: 8 on SQLite, 32 on PostgreSQL).
    pub database_pool: Option<u32>,
    pub data_dir: PathBuf,
    /// Defaults to the one kept in `data_dir` (made at first start).
    pub jwt_secret: SecretString,
    /// Allows http and loopback peers for federation. Tests only; never in production.
    pub federation_debug: bool,
    pub instance_name: String,
    #[serde(deserialize_with = "any_case")]
    pub registration_mode: RegistrationMode,
    #[serde(deserialize_with = "any_case")]
    pub group_creation: GroupCreation,
    /// Take the client address from `X-Forwarded-For` (behind a reverse proxy); see
    /// `web::ratelimit::client_addr`.
    pub trust_proxy: bool,
    /// With `trust_proxy`: how many proxies of ours stand in front, so the client address is the
    /// `X-Forwarded-For` entry this many places from the right (the one our outermost proxy
    /// appended; entries left of it are the client's to write). At least 1.
    pub trusted_proxy_hops: usize,
    #[serde(deserialize_with = "any_case")]
    pub log_format: LogFormat,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Login attempts that may fail per account (and, ×4, per IP) in the rate-limit window.
    pub login_max_failures: u64,
    pub login_window_secs: i64,
    /// Background delivery workers (0: none, deliveries wait for `delivery::run_once`).
    pub delivery_workers: usize,
    /// Seconds between prompting rounds (reflection prompts, reviews due; 0: none, prompts
    /// wait for `learning::prompt_once`).
    pub prompt_interval_secs: u64,
    /// Requests a minute per client address on `/graphql` (0: unlimited).
    pub rate_limit_graphql_per_minute: u32,
    /// `register`, `login` and `refreshToken` calls a minute per client address (0: unlimited).
    pub rate_limit_auth_per_minute: u32,
    /// Inbox POSTs a minute per client address (0: unlimited).
    pub rate_limit_inbox_per_minute: u32,
    /// Inbox POSTs processed at once (each may fetch the sender's actor); more wait.
    pub inbox_concurrency: usize,
    /// Requests from loopback addresses (this machine: the operator, a benchmark, a reverse
    /// proxy without `trust_proxy`) are not rate-limited.
    pub rate_limit_exempt_loopback: bool,
    /// Anonymous GraphQL queries are answered from memory while the data they read is
    /// unchanged (see `graphql::cache`), and queries share rows any viewer reads alike
    /// (`domain::shared_rows`); both need the data version, which `false` leaves unread.
    pub response_cache: bool,
    /// Seats of one event that people from one other server may take at once: the larger of
    /// this count and [`Config::remote_domain_seat_percent`] of its capacity. Past it, their
    /// registrations wait for the hosts (REQUESTED).
    pub remote_domain_seats: u32,
    pub remote_domain_seat_percent: u32,
    /// Where uploaded pictures are kept: empty for `<data_dir>/media`, `file:///path`, or
    /// `s3://bucket/prefix` (credentials and endpoint from the usual `AWS_*` variables).
    pub media_url: String,
    /// Serves `GET /metrics` on the main port to requests bearing this token (at least 16
    /// bytes); unset: not on the main port.
    pub metrics_token: Option<SecretString>,
    /// Serves `GET /metrics` on a listener of its own at this `host:port` (a private address:
    /// it asks for the token only when one is set); empty: none.
    pub metrics_bind: String,
    /// Where GraphiQL's scripts come from: empty for Weave itself (embedded), or a CDN base
    /// such as `https://unpkg.com` (see `graphql::graphiql`).
    pub graphiql_cdn: String,
    /// Sends mail to members through this SMTP server (`smtp://`, `smtps://`, with the user and
    /// password in it); unset: no mail is queued or sent.
    pub smtp_url: Option<SecretString>,
    /// The `From` of every mail; empty: the instance's name at `noreply@` its host.
    pub mail_from: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The defaults, in one place. `domain`, `database_url` and `jwt_secret` are empty here:
/// [`Config::load`] derives them from `bind` and `data_dir`.
impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            domain: String::new(),
            database_url: DatabaseUrl::default(),
            database_pool: None,
            data_dir: PathBuf::from("data"),
            jwt_secret: SecretString::default(),
            federation_debug: false,
            instance_name: "Weave".into(),
            registration_mode: RegistrationMode::Open,
            group_creation: GroupCreation::Members,
            trust_proxy: false,
            trusted_proxy_hops: 1,
            log_format: LogFormat::Text,
            max_body_bytes: 1024 * 1024,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            delivery_workers: 2,
            prompt_interval_secs: 60,
            rate_limit_graphql_per_minute: 600,
            rate_limit_auth_per_minute: 20,
            rate_limit_inbox_per_minute: 600,
            inbox_concurrency: 16,
            rate_limit_exempt_loopback: true,
            response_cache: true,
            remote_domain_seats: 10,
            remote_domain_seat_percent: 20,
            media_url: String::new(),
            metrics_token: None,
            metrics_bind: String::new(),
            graphiql_cdn: String::new(),
            smtp_url: None,
            mail_from: String::new(),
        }
    }
}

impl Config {
    /// Reads `weave.toml` (or the file named by `WEAVE_CONFIG`) and then `WEAVE_*` variables,
    /// which win over the file. Creates the data directory and the JWT secret when missing.
    pub fn load() -> anyhow::Result<Config> {
        let vars: Vec<(String, String)> =
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
        let file = vars
            .iter()
            .find(|(k, v)| k == "WEAVE_CONFIG" && !v.trim().is_empty())
            .map(|(_, v)| PathBuf::from(v))
            .or_else(|| Some(PathBuf::from("weave.toml")).filter(|p| p.exists()));
        let mut config = Config::read(file.as_deref(), vars)?;
        if config.domain.is_empty() {
            config.domain = config.bind.clone();
        }
        if config.database_url.expose_secret().is_empty() {
            std::fs::create_dir_all(&config.data_dir)
                .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
            config.database_url = sqlite_url(&config.data_dir.join("weave.db")).into();
        }
        config.jwt_secret = if config.jwt_secret.expose_secret().is_empty() {
            load_or_create_secret(&config.data_dir)?.into()
        } else {
            check_jwt_secret(config.jwt_secret.expose_secret())?;
            config.jwt_secret
        };
        Ok(config)
    }

    /// The defaults, then `file`, then the settings among `vars`; checked. Nothing derived yet.
    fn read(file: Option<&Path>, vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Config> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
            figment = figment.merge(Toml::file_exact(path));
        }
        // Lossy: a text value is read as a number or a flag where the field is one (`600`,
        // `true`, `yes`, `on`, `1`); text fields take the text as it is.
        let config: Config = figment.merge(Variables::from(vars)).extract_lossy().map_err(explain)?;
        config.check()?;
        Ok(config)
    }

    /// The rules past the types.
    fn check(&self) -> anyhow::Result<()> {
        if self.trusted_proxy_hops == 0 {
            anyhow::bail!("WEAVE_TRUSTED_PROXY_HOPS (trusted_proxy_hops) must be at least 1");
        }
        if self.database_pool == Some(0) {
            anyhow::bail!("WEAVE_DATABASE_POOL (database_pool) must be at least 1");
        }
        if self.remote_domain_seat_percent > 100 {
            anyhow::bail!("WEAVE_REMOTE_DOMAIN_SEAT_PERCENT (remote_domain_seat_percent) must be at most 100");
        }
        let cdn_ok = self.graphiql_cdn.is_empty()
            || (url::Url::parse(&self.graphiql_cdn)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
                && !self.graphiql_cdn.contains(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '\'' | '"')));
        if !cdn_ok {
            anyhow::bail!(
                "WEAVE_GRAPHIQL_CDN (graphiql_cdn) must be an http(s) URL such as https://unpkg.com, or empty"
            );
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.expose_secret().trim().len() < 16) {
            anyhow::bail!(
                "WEAVE_METRICS_TOKEN (metrics_token) must be at least 16 bytes long (e.g. `openssl rand -hex 24`)"
            );
        }
        Ok(())
    }

    /// Whether `/metrics` is served anywhere (and metrics recorded).
    pub fn metrics_enabled(&self) -> bool {
        self.metrics_token.is_some() || !self.metrics_bind.is_empty()
    }

    /// A configuration for tests and embedding: everything explicit, nothing read from the environment.
    pub fn for_database(database_url: &str, data_dir: &Path) -> Config {
        Config {
            bind: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            data_dir: data_dir.to_path_buf(),
            jwt_secret: crate::auth::random_token(32).into(),
            federation_debug: true,
            delivery_workers: 0,
            prompt_interval_secs: 0,
            // High enough that no test trips them by accident; tests of the limits lower them.
            rate_limit_graphql_per_minute: 100_000,
            rate_limit_auth_per_minute: 10_000,
            rate_limit_inbox_per_minute: 100_000,
            // Tests talk from loopback and exercise the limits.
            rate_limit_exempt_loopback: false,
            ..Config::default()
        }
    }

    /// `http` only in federation debug mode (loopback tests); `https` otherwise.
    pub fn scheme(&self) -> &'static str {
        if self.federation_debug {
            "http"
        } else {
            "https"
        }
    }

    /// The public base URL, e.g. `https://weave.example`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.domain)
    }
}

/// A named choice, in any case (`Approval`, `approval`).
fn any_case<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<T, D::Error> {
    let s = String::deserialize(d)?;
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&s.to_ascii_lowercase()))
        .map_err(|_| serde::de::Error::custom(format!("unknown value {s:?}")))
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

#[cfg(test)]
mod tests;
