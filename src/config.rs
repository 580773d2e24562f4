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
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
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

/// The variables' prefix.
const PREFIX: &str = "WEAVE_";

/// What figment calls the variables in its errors.
const VARIABLES: &str = "WEAVE_* environment variables";

/// The `WEAVE_*` variables that name a setting, as text: a provider of figment's in place of
/// its `Env`, which reads values that look like numbers, flags or lists as such.
struct Variables(BTreeMap<String, String>);

impl Variables {
    /// From `vars` (the process's environment, or a test's): the non-blank `WEAVE_<field>`
    /// ones, in any case. Others (`WEAVE_CONFIG`, `WEAVE_ADMIN_PASSWORD`) are not settings.
    fn from(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let fields = field_names::<Config>();
        let settings = vars
            .into_iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .filter_map(|(name, value)| {
                let key = name
                    .get(..PREFIX.len())
                    .filter(|p| p.eq_ignore_ascii_case(PREFIX))
                    .map(|_| &name[PREFIX.len()..])?;
                let field = fields.iter().find(|f| f.eq_ignore_ascii_case(key))?;
                Some((field.to_string(), value))
            })
            .collect();
        Variables(settings)
    }
}

impl Provider for Variables {
    fn metadata(&self) -> Metadata {
        Metadata::named(VARIABLES)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = self.0.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect();
        Ok(Profile::Default.collect(dict))
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
        Ok(())
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

/// The database URL: a secret, since it may hold the password. `Debug` shows it with the
/// password replaced (`postgres://weave:[redacted]@db/weave`).
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    /// Whether it names a SQLite database.
    pub fn is_sqlite(&self) -> bool {
        self.expose_secret().starts_with("sqlite:")
    }
}

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
        let shown = match url::Url::parse(self.expose_secret()) {
            Ok(mut u) if u.password().is_some() => {
                // `Url` would percent-encode brackets in a password: mark, then replace.
                let _ = u.set_password(Some("REDACTED"));
                u.to_string().replacen(":REDACTED@", ":[redacted]@", 1)
            }
            Ok(u) => u.to_string(),
            Err(_) => "[unparsable]".to_string(),
        };
        write!(f, "{shown:?}")
    }
}

/// figment's errors, each naming the variable or the file key it is about.
fn explain(errors: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = errors
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let from_variables = e.metadata.as_ref().is_some_and(|m| m.name == VARIABLES);
            let place = match (&e.metadata, key.is_empty()) {
                (_, true) => "configuration".to_string(),
                _ if from_variables => format!("{PREFIX}{}", key.to_ascii_uppercase()),
                (Some(m), false) => match &m.source {
                    Some(source) => format!("{key} in {source} ({PREFIX}{})", key.to_ascii_uppercase()),
                    None => format!("{key} ({PREFIX}{})", key.to_ascii_uppercase()),
                },
                (None, false) => format!("{PREFIX}{} ({key})", key.to_ascii_uppercase()),
            };
            format!("{place}: {}", e.kind)
        })
        .collect();
    anyhow::anyhow!("configuration: {}", lines.join("; "))
}

/// A named choice, in any case (`Approval`, `approval`).
fn any_case<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<T, D::Error> {
    let s = String::deserialize(d)?;
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&s.to_ascii_lowercase()))
        .map_err(|_| serde::de::Error::custom(format!("unknown value {s:?}")))
}

/// The field names of a struct that derives `Deserialize`, as serde hands them to a
/// deserializer: the settings a variable may name.
fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    /// A deserializer that only notes the fields it is asked for, then stops.
    struct Fields(Option<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("only the field names are read"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(serde::de::Error::custom("only the field names are read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields = Fields(None);
    let _ = T::deserialize(&mut fields);
    fields.0.unwrap_or(&[])
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

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn read(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        Config::read(None, vars(pairs))
    }

    #[test]
    fn text_settings_stay_text_however_they_look() {
        let digits = "123456789012345678901234567890";
        let config = read(&[
            ("WEAVE_INSTANCE_NAME", "2024"),
            ("WEAVE_JWT_SECRET", digits),
            ("WEAVE_DOMAIN", "123456789012345678901234567890.50"),
            ("WEAVE_BIND", "true"),
        ])
        .unwrap_or_else(|e| unreachable!("{e:#}"));
        assert_eq!(config.instance_name, "2024");
        assert_eq!(config.jwt_secret.expose_secret(), digits);
        assert_eq!(config.domain, "123456789012345678901234567890.50");
        assert_eq!(config.bind, "true");
        let config = read(&[("WEAVE_DATABASE_URL", "12345678901234567890123456789012345")])
            .unwrap_or_else(|e| unreachable!("{e:#}"));
        assert_eq!(config.database_url.expose_secret(), "12345678901234567890123456789012345");
    }

    #[test]
    fn numbers_and_flags_are_read_from_text() {
        let config = read(&[
            ("WEAVE_MAX_BODY_BYTES", "2048"),
            ("WEAVE_DATABASE_POOL", "3"),
            ("WEAVE_LOGIN_WINDOW_SECS", "-1"),
            ("WEAVE_TRUST_PROXY", "yes"),
            ("WEAVE_RESPONSE_CACHE", "off"),
            ("WEAVE_FEDERATION_DEBUG", "1"),
            ("WEAVE_RATE_LIMIT_EXEMPT_LOOPBACK", "FALSE"),
            ("WEAVE_REGISTRATION_MODE", "Approval"),
            ("WEAVE_LOG_FORMAT", "JSON"),
        ])
        .unwrap_or_else(|e| unreachable!("{e:#}"));
        assert_eq!(config.max_body_bytes, 2048);
        assert_eq!(config.database_pool, Some(3));
        assert_eq!(config.login_window_secs, -1);
        assert!(config.trust_proxy && config.federation_debug);
        assert!(!config.response_cache && !config.rate_limit_exempt_loopback);
        assert_eq!(config.registration_mode, RegistrationMode::Approval);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (name, value) in [
            ("WEAVE_MAX_BODY_BYTES", "lots"),
            ("WEAVE_RATE_LIMIT_AUTH_PER_MINUTE", "-5"),
            ("WEAVE_DATABASE_POOL", "eight"),
            ("WEAVE_TRUST_PROXY", "maybe"),
            ("WEAVE_GROUP_CREATION", "everyone"),
        ] {
            let err = read(&[(name, value)]).err().map(|e| format!("{e:#}")).unwrap_or_default();
            assert!(err.contains(name), "{name}={value}: {err}");
        }
        let err = read(&[("WEAVE_TRUSTED_PROXY_HOPS", "0")]).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains("WEAVE_TRUSTED_PROXY_HOPS") && err.contains("at least 1"), "{err}");
        let err =
            read(&[("WEAVE_REMOTE_DOMAIN_SEAT_PERCENT", "101")]).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains("at most 100"), "{err}");
    }

    #[test]
    fn defaults_are_the_defaults_and_other_variables_are_no_settings() {
        let config = read(&[
            ("WEAVE_ADMIN_PASSWORD", "not a setting"),
            ("WEAVE_CONFIG", "/nowhere"),
            ("WEAVE_TEST_DATABASE_URL", "postgres://x"),
            ("WEAVE_INSTANCE_NAME", "  "),
            ("PATH", "/bin"),
        ])
        .unwrap_or_else(|e| unreachable!("{e:#}"));
        let defaults = Config::default();
        assert_eq!(format!("{config:?}"), format!("{defaults:?}"));
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert_eq!(config.instance_name, "Weave", "a blank variable is ignored");
        assert_eq!(
            (config.rate_limit_graphql_per_minute, config.rate_limit_auth_per_minute, config.max_body_bytes),
            (600, 20, 1024 * 1024)
        );
        assert_eq!(field_names::<Config>().len(), 25);
    }

    #[test]
    fn variables_win_over_the_file_and_the_file_over_the_defaults() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("weave.toml");
        let toml = "instance_name = \"From the file\"\nmax_body_bytes = 10\ntrust_proxy = true\n\
                    registration_mode = \"invite\"\n";
        std::fs::write(&path, toml).unwrap_or_else(|e| unreachable!("{e}"));
        let config = Config::read(Some(&path), vars(&[("WEAVE_MAX_BODY_BYTES", "20")]))
            .unwrap_or_else(|e| unreachable!("{e:#}"));
        assert_eq!(config.instance_name, "From the file");
        assert_eq!(config.max_body_bytes, 20);
        assert!(config.trust_proxy);
        assert_eq!(config.registration_mode, RegistrationMode::Invite);
        assert_eq!(config.inbox_concurrency, 16);

        std::fs::write(&path, "instance_nam = \"typo\"\n").unwrap_or_else(|e| unreachable!("{e}"));
        let err = Config::read(Some(&path), vars(&[])).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains("instance_nam"), "an unknown key in the file is refused: {err}");
        std::fs::write(&path, "max_body_bytes = \"lots\"\n").unwrap_or_else(|e| unreachable!("{e}"));
        let err = Config::read(Some(&path), vars(&[])).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains("max_body_bytes") && err.contains("weave.toml"), "{err}");
        let missing = dir.path().join("missing.toml");
        assert!(Config::read(Some(&missing), vars(&[])).is_err(), "a named file that is missing is an error");
    }

    #[test]
    fn debug_prints_neither_the_jwt_secret_nor_the_database_password() {
        let config = read(&[
            ("WEAVE_DATABASE_URL", "postgres://weave:hunter2-password@db.example/weave"),
            ("WEAVE_JWT_SECRET", "a-very-secret-jwt-key-of-enough-length"),
        ])
        .unwrap_or_else(|e| unreachable!("{e:#}"));
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("a-very-secret"), "{printed}");
        assert!(printed.contains("postgres://weave:[redacted]@db.example/weave"), "{printed}");
        assert!(printed.contains("rate_limit_graphql_per_minute"), "{printed}");
        assert!(DatabaseUrl::from("sqlite://data/weave.db?mode=rwc").is_sqlite());
    }
}
