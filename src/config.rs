//! Settings from `WEAVE_*` environment variables, an optional `weave.toml`, and defaults.
//!
//! Nothing here is global: every running instance owns its [`Config`], so tests (and the
//! federation tests) start several instances in one process.
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

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

/// `Debug` (logs, panics) redacts the JWT secret and the database password.
#[derive(Clone)]
pub struct Config {
    /// host:port to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// Public host[:port] used in every ActivityPub id and link. Defaults to `bind`.
    pub domain: String,
    pub database_url: String,
    /// Database connections kept open (`None`: 8 on SQLite, 32 on PostgreSQL).
    pub database_pool: Option<u32>,
    pub data_dir: PathBuf,
    pub jwt_secret: String,
    /// Allows http and loopback peers for federation. Tests only; never in production.
    pub federation_debug: bool,
    pub instance_name: String,
    pub registration_mode: RegistrationMode,
    pub group_creation: GroupCreation,
    /// Take the client address from `X-Forwarded-For` (behind a reverse proxy); see
    /// `web::ratelimit::client_addr`.
    pub trust_proxy: bool,
    /// With `trust_proxy`: how many proxies of ours stand in front, so the client address is the
    /// `X-Forwarded-For` entry this many places from the right (the one our outermost proxy
    /// appended; entries left of it are the client's to write). At least 1.
    pub trusted_proxy_hops: usize,
    pub log_format: LogFormat,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Login attempts that may fail per account (and, ×4, per IP) in the rate-limit window.
    pub login_max_failures: u64,
    pub login_window_secs: i64,
    /// Background delivery workers (0: none, deliveries wait for `delivery::run_once`).
    pub delivery_workers: usize,
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
    /// unchanged (see `graphql::cache`).
    pub response_cache: bool,
    /// Seats of one event that people from one other server may take at once: the larger of
    /// this count and [`Config::remote_domain_seat_percent`] of its capacity. Past it, their
    /// registrations wait for the hosts (REQUESTED).
    pub remote_domain_seats: u32,
    pub remote_domain_seat_percent: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The optional file, with the same keys as the variables less the `WEAVE_` prefix, lowercased.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    domain: Option<String>,
    database_url: Option<String>,
    database_pool: Option<u32>,
    data_dir: Option<PathBuf>,
    jwt_secret: Option<String>,
    federation_debug: Option<bool>,
    instance_name: Option<String>,
    registration_mode: Option<RegistrationMode>,
    group_creation: Option<GroupCreation>,
    trust_proxy: Option<bool>,
    trusted_proxy_hops: Option<usize>,
    log_format: Option<LogFormat>,
    max_body_bytes: Option<usize>,
    login_max_failures: Option<u64>,
    login_window_secs: Option<i64>,
    delivery_workers: Option<usize>,
    rate_limit_graphql_per_minute: Option<u32>,
    rate_limit_auth_per_minute: Option<u32>,
    rate_limit_inbox_per_minute: Option<u32>,
    inbox_concurrency: Option<usize>,
    rate_limit_exempt_loopback: Option<bool>,
    response_cache: Option<bool>,
    remote_domain_seats: Option<u32>,
    remote_domain_seat_percent: Option<u32>,
}

impl Config {
    /// Reads `weave.toml` (or the file named by `WEAVE_CONFIG`) and then `WEAVE_*` variables,
    /// which win over the file. Creates the data directory and the JWT secret when missing.
    pub fn load() -> anyhow::Result<Config> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let file_path = env("WEAVE_CONFIG").map(PathBuf::from);
        let file = match &file_path {
            Some(p) => read_file(p)?,
            None if Path::new("weave.toml").exists() => read_file(Path::new("weave.toml"))?,
            None => FileConfig::default(),
        };
        let parse_bool = |k: &str, v: Option<bool>| -> anyhow::Result<Option<bool>> {
            match env(k) {
                Some(s) => match s.to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => Ok(Some(true)),
                    "0" | "false" | "no" | "off" => Ok(Some(false)),
                    _ => anyhow::bail!("{k} must be true or false, not {s:?}"),
                },
                None => Ok(v),
            }
        };
        fn parse_enum<T: for<'de> Deserialize<'de>>(k: &str, v: Option<String>) -> anyhow::Result<Option<T>> {
            v.map(|s| {
                serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase()))
                    .with_context(|| format!("{k} has an unknown value {s:?}"))
            })
            .transpose()
        }
        fn parse_num<T: std::str::FromStr>(k: &str, v: Option<String>) -> anyhow::Result<Option<T>> {
            v.map(|s| s.parse::<T>().map_err(|_| anyhow::anyhow!("{k} must be a number, not {s:?}"))).transpose()
        }

        let data_dir =
            env("WEAVE_DATA_DIR").map(PathBuf::from).or(file.data_dir).unwrap_or_else(|| PathBuf::from("data"));
        let bind = env("WEAVE_BIND").or(file.bind).unwrap_or_else(|| "127.0.0.1:8080".into());
        let domain = env("WEAVE_DOMAIN").or(file.domain).unwrap_or_else(|| bind.clone());
        let database_url = env("WEAVE_DATABASE_URL").or(file.database_url);
        let jwt_secret = env("WEAVE_JWT_SECRET").or(file.jwt_secret);
        let mut config = Config {
            bind,
            domain,
            database_url: String::new(),
            data_dir,
            jwt_secret: String::new(),
            federation_debug: parse_bool("WEAVE_FEDERATION_DEBUG", file.federation_debug)?.unwrap_or(false),
            instance_name: env("WEAVE_INSTANCE_NAME").or(file.instance_name).unwrap_or_else(|| "Weave".into()),
            registration_mode: parse_enum("WEAVE_REGISTRATION_MODE", env("WEAVE_REGISTRATION_MODE"))?
                .or(file.registration_mode)
                .unwrap_or(RegistrationMode::Open),
            group_creation: parse_enum("WEAVE_GROUP_CREATION", env("WEAVE_GROUP_CREATION"))?
                .or(file.group_creation)
                .unwrap_or(GroupCreation::Members),
            trust_proxy: parse_bool("WEAVE_TRUST_PROXY", file.trust_proxy)?.unwrap_or(false),
            trusted_proxy_hops: match parse_num("WEAVE_TRUSTED_PROXY_HOPS", env("WEAVE_TRUSTED_PROXY_HOPS"))?
                .or(file.trusted_proxy_hops)
            {
                Some(0) => anyhow::bail!("WEAVE_TRUSTED_PROXY_HOPS (trusted_proxy_hops) must be at least 1"),
                n => n.unwrap_or(1),
            },
            log_format: parse_enum("WEAVE_LOG_FORMAT", env("WEAVE_LOG_FORMAT"))?
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            max_body_bytes: parse_num("WEAVE_MAX_BODY_BYTES", env("WEAVE_MAX_BODY_BYTES"))?
                .or(file.max_body_bytes)
                .unwrap_or(1024 * 1024),
            login_max_failures: parse_num("WEAVE_LOGIN_MAX_FAILURES", env("WEAVE_LOGIN_MAX_FAILURES"))?
                .or(file.login_max_failures)
                .unwrap_or(5),
            login_window_secs: parse_num("WEAVE_LOGIN_WINDOW_SECS", env("WEAVE_LOGIN_WINDOW_SECS"))?
                .or(file.login_window_secs)
                .unwrap_or(15 * 60),
            database_pool: match parse_num("WEAVE_DATABASE_POOL", env("WEAVE_DATABASE_POOL"))?.or(file.database_pool) {
                Some(0) => anyhow::bail!("WEAVE_DATABASE_POOL (database_pool) must be at least 1"),
                n => n,
            },
            delivery_workers: parse_num("WEAVE_DELIVERY_WORKERS", env("WEAVE_DELIVERY_WORKERS"))?
                .or(file.delivery_workers)
                .unwrap_or(2),
            rate_limit_graphql_per_minute: parse_num(
                "WEAVE_RATE_LIMIT_GRAPHQL_PER_MINUTE",
                env("WEAVE_RATE_LIMIT_GRAPHQL_PER_MINUTE"),
            )?
            .or(file.rate_limit_graphql_per_minute)
            .unwrap_or(600),
            rate_limit_auth_per_minute: parse_num(
                "WEAVE_RATE_LIMIT_AUTH_PER_MINUTE",
                env("WEAVE_RATE_LIMIT_AUTH_PER_MINUTE"),
            )?
            .or(file.rate_limit_auth_per_minute)
            .unwrap_or(20),
            rate_limit_inbox_per_minute: parse_num(
                "WEAVE_RATE_LIMIT_INBOX_PER_MINUTE",
                env("WEAVE_RATE_LIMIT_INBOX_PER_MINUTE"),
            )?
            .or(file.rate_limit_inbox_per_minute)
            .unwrap_or(600),
            inbox_concurrency: parse_num("WEAVE_INBOX_CONCURRENCY", env("WEAVE_INBOX_CONCURRENCY"))?
                .or(file.inbox_concurrency)
                .unwrap_or(16),
            rate_limit_exempt_loopback: parse_bool(
                "WEAVE_RATE_LIMIT_EXEMPT_LOOPBACK",
                file.rate_limit_exempt_loopback,
            )?
            .unwrap_or(true),
            response_cache: parse_bool("WEAVE_RESPONSE_CACHE", file.response_cache)?.unwrap_or(true),
            remote_domain_seats: parse_num("WEAVE_REMOTE_DOMAIN_SEATS", env("WEAVE_REMOTE_DOMAIN_SEATS"))?
                .or(file.remote_domain_seats)
                .unwrap_or(10),
            remote_domain_seat_percent: match parse_num(
                "WEAVE_REMOTE_DOMAIN_SEAT_PERCENT",
                env("WEAVE_REMOTE_DOMAIN_SEAT_PERCENT"),
            )?
            .or(file.remote_domain_seat_percent)
            {
                Some(p) if p > 100 => anyhow::bail!("WEAVE_REMOTE_DOMAIN_SEAT_PERCENT must be at most 100"),
                p => p.unwrap_or(20),
            },
        };
        config.database_url = match database_url {
            Some(url) => url,
            None => {
                std::fs::create_dir_all(&config.data_dir)
                    .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
                sqlite_url(&config.data_dir.join("weave.db"))
            }
        };
        config.jwt_secret = match jwt_secret {
            Some(s) => {
                check_jwt_secret(&s)?;
                s
            }
            None => load_or_create_secret(&config.data_dir)?,
        };
        Ok(config)
    }

    /// A configuration for tests and embedding: everything explicit, nothing read from the environment.
    pub fn for_database(database_url: &str, data_dir: &Path) -> Config {
        Config {
            bind: "127.0.0.1:0".into(),
            domain: String::new(),
            database_url: database_url.into(),
            data_dir: data_dir.to_path_buf(),
            jwt_secret: crate::auth::random_token(32),
            federation_debug: true,
            instance_name: "Weave".into(),
            registration_mode: RegistrationMode::Open,
            group_creation: GroupCreation::Members,
            trust_proxy: false,
            trusted_proxy_hops: 1,
            log_format: LogFormat::Text,
            max_body_bytes: 1024 * 1024,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            database_pool: None,
            delivery_workers: 0,
            // High enough that no test trips them by accident; tests of the limits lower them.
            rate_limit_graphql_per_minute: 100_000,
            rate_limit_auth_per_minute: 10_000,
            rate_limit_inbox_per_minute: 100_000,
            inbox_concurrency: 16,
            // Tests talk from loopback and exercise the limits.
            rate_limit_exempt_loopback: false,
            response_cache: true,
            remote_domain_seats: 10,
            remote_domain_seat_percent: 20,
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

/// Refuses a configured JWT secret shorter than [`MIN_JWT_SECRET_BYTES`].
pub fn check_jwt_secret(secret: &str) -> anyhow::Result<()> {
    let len = secret.trim().len();
    if len < MIN_JWT_SECRET_BYTES {
        anyhow::bail!(
            "WEAVE_JWT_SECRET (or jwt_secret in the config file) is {len} bytes long; it must be at least \
             {MIN_JWT_SECRET_BYTES} (e.g. `openssl rand -base64 48`), or unset to have one generated in the data directory"
        );
    }
    Ok(())
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "[unparsable]".to_string(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("domain", &self.domain)
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("jwt_secret", &"[redacted]")
            .field("federation_debug", &self.federation_debug)
            .field("instance_name", &self.instance_name)
            .field("registration_mode", &self.registration_mode)
            .field("group_creation", &self.group_creation)
            .field("trust_proxy", &self.trust_proxy)
            .field("trusted_proxy_hops", &self.trusted_proxy_hops)
            .field("log_format", &self.log_format)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("login_max_failures", &self.login_max_failures)
            .field("login_window_secs", &self.login_window_secs)
            .field("database_pool", &self.database_pool)
            .field("delivery_workers", &self.delivery_workers)
            .field("rate_limit_graphql_per_minute", &self.rate_limit_graphql_per_minute)
            .field("rate_limit_auth_per_minute", &self.rate_limit_auth_per_minute)
            .field("rate_limit_inbox_per_minute", &self.rate_limit_inbox_per_minute)
            .field("inbox_concurrency", &self.inbox_concurrency)
            .field("rate_limit_exempt_loopback", &self.rate_limit_exempt_loopback)
            .field("response_cache", &self.response_cache)
            .field("remote_domain_seats", &self.remote_domain_seats)
            .field("remote_domain_seat_percent", &self.remote_domain_seat_percent)
            .finish()
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// The JWT secret lives in `<data_dir>/jwt_secret` (mode 0600) so that tokens survive restarts.
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("jwt_secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if s.len() >= 32 {
            return Ok(s);
        }
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating data dir {}", data_dir.display()))?;
    let secret = crate::auth::random_token(48);
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    Ok(secret)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents.as_bytes())
}
