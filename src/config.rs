//! Settings from `WEAVE_*` environment variables, an optional `weave.toml`, and defaults.
//!
//! One struct, [`Config`], read by `figment`: its defaults (`Default`), then the file, then the
//! variables (`WEAVE_` and the field's name, any case; blank ones are ignored). The JWT secret
//! and the database URL (it may hold the password) are `secrecy` secrets: `Debug` never prints
//! them. Nothing here is global: every running instance owns its [`Config`], so tests (and the
//! federation tests) start several instances in one process.
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Env, Format, Toml};
use figment::Figment;
pub use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

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

/// `Debug` (logs, panics) redacts the JWT secret and the database URL (`secrecy`). The file's
/// keys and the variables' names (less `WEAVE_`) are the field names; unknown keys in the file
/// are refused.
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
    #[serde(deserialize_with = "flag")]
    pub federation_debug: bool,
    pub instance_name: String,
    #[serde(deserialize_with = "any_case")]
    pub registration_mode: RegistrationMode,
    #[serde(deserialize_with = "any_case")]
    pub group_creation: GroupCreation,
    /// Take the client address from `X-Forwarded-For` (behind a reverse proxy); see
    /// `web::ratelimit::client_addr`.
    #[serde(deserialize_with = "flag")]
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
    #[serde(deserialize_with = "flag")]
    pub rate_limit_exempt_loopback: bool,
    /// Anonymous GraphQL queries are answered from memory while the data they read is
    /// unchanged (see `graphql::cache`).
    #[serde(deserialize_with = "flag")]
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

/// The defaults, in one place. `domain`, `database_url` and `jwt_secret` are left empty here:
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
            rate_limit_graphql_per_minute: 600,
            rate_limit_auth_per_minute: 20,
            rate_limit_inbox_per_minute: 600,
            inbox_concurrency: 16,
            rate_limit_exempt_loopback: true,
            response_cache: true,
            remote_domain_seats: 10,
            remote_domain_seat_percent: 20,
        }
    }
}

impl Config {
    /// Reads `weave.toml` (or the file named by `WEAVE_CONFIG`) and then `WEAVE_*` variables,
    /// which win over the file. Creates the data directory and the JWT secret when missing.
    pub fn load() -> anyhow::Result<Config> {
        let set = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mut figment = Figment::new();
        match set("WEAVE_CONFIG").map(PathBuf::from) {
            Some(path) => {
                std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?;
                figment = figment.merge(Toml::file_exact(path));
            }
            None if Path::new("weave.toml").exists() => figment = figment.merge(Toml::file_exact("weave.toml")),
            None => {}
        }
        let fields = field_names::<Config>();
        let env = Env::prefixed("WEAVE_").filter(move |k| {
            fields.iter().any(|f| k.as_str().eq_ignore_ascii_case(f)) && set(&format!("WEAVE_{k}")).is_some()
        });
        let mut config: Config = figment.merge(env).extract().map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        config.check()?;
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

    /// The rules past the types.
    fn check(&self) -> anyhow::Result<()> {
        if self.trusted_proxy_hops == 0 {
            anyhow::bail!("WEAVE_TRUSTED_PROXY_HOPS (trusted_proxy_hops) must be at least 1");
        }
        if self.database_pool == Some(0) {
            anyhow::bail!("WEAVE_DATABASE_POOL (database_pool) must be at least 1");
        }
        if self.remote_domain_seat_percent > 100 {
            anyhow::bail!("WEAVE_REMOTE_DOMAIN_SEAT_PERCENT must be at most 100");
        }
        Ok(())
    }

    /// A configuration for tests and embedding: everything explicit, nothing read from the environment.
    pub fn for_database(database_url: &str, data_dir: &Path) -> Config {
        Config {
            bind: "127.0.0.1:0".into(),
            domain: String::new(),
            database_url: database_url.into(),
            data_dir: data_dir.to_path_buf(),
            jwt_secret: crate::auth::random_token(32).into(),
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

/// The database URL, a secret because it may hold the password. `Debug` shows it with the
/// password replaced (`postgres://weave:[redacted]@db/weave`).
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(SecretString);

impl ExposeSecret<str> for DatabaseUrl {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(url.into())
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> Self {
        DatabaseUrl(url.into())
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MARK: &str = "PASSWORD-REDACTED";
        let shown = match url::Url::parse(self.expose_secret()) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some(MARK));
                u.to_string().replace(MARK, "[redacted]")
            }
            Ok(u) => u.to_string(),
            Err(_) => "[unparsable]".to_string(),
        };
        write!(f, "{shown:?}")
    }
}

/// A true-or-false setting: `true`/`false`, or from a variable also `1`/`0`, `yes`/`no`, `on`/`off`.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Number(i64),
        Text(String),
    }
    match Flag::deserialize(d)? {
        Flag::Bool(b) => Ok(b),
        Flag::Number(1) => Ok(true),
        Flag::Number(0) => Ok(false),
        Flag::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(serde::de::Error::custom(format!("must be true or false, not {s:?}"))),
        },
        Flag::Number(n) => Err(serde::de::Error::custom(format!("must be true or false, not {n}"))),
    }
}

/// A named choice, in any case (`Approval`, `approval`).
fn any_case<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<T, D::Error> {
    let s = String::deserialize(d)?;
    serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase()))
        .map_err(|_| serde::de::Error::custom(format!("unknown value {s:?}")))
}

/// The field names of a struct deriving `Deserialize` (serde hands them to the deserializer):
/// the variables `load` reads, so that other `WEAVE_*` variables (`WEAVE_CONFIG`,
/// `WEAVE_ADMIN_PASSWORD`) are not taken for unknown settings.
fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    struct Names(Option<&'static [&'static str]>);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names read")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    impl<'de> Deserializer<'de> for &mut Names {
        type Error = Stop;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = Some(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut names = Names(None);
    let _ = T::deserialize(&mut names);
    names.0.unwrap_or(&[])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_neither_the_jwt_secret_nor_the_database_password() {
        let mut config = Config::for_database("postgres://weave:hunter2-password@db/weave", Path::new("data"));
        config.jwt_secret = "a-very-secret-jwt-key-of-enough-length".into();
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("a-very-secret"), "{printed}");
        assert!(printed.contains("rate_limit_graphql_per_minute"));
    }

    #[test]
    fn the_variables_read_are_the_fields() {
        let fields = field_names::<Config>();
        assert_eq!(fields.len(), 25);
        assert!(fields.contains(&"database_pool") && fields.contains(&"jwt_secret"));
        assert!(!fields.contains(&"config") && !fields.contains(&"admin_password"));
    }
}
