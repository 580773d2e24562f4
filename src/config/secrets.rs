//! The settings that are secrets: the JWT secret (checked, or generated and kept in the data
//! directory) and the database URL, which may hold a password.
use std::path::Path;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::MIN_JWT_SECRET_BYTES;

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

/// The JWT secret lives in `<data_dir>/jwt_secret` (mode 0600) so that tokens survive restarts.
pub(super) fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<String> {
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
