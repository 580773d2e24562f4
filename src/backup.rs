//! `weave backup` and `weave restore`: a consistent copy of a live SQLite database, taken while
//! the server runs (`VACUUM INTO`, one read transaction, so no write is half in it), and its
//! way back into an empty data directory. PostgreSQL has its own tools, and the commands say
//! which. Uploaded pictures live apart (`<data_dir>/media`, or the S3 store): their files never
//! change under their names, so copying the directory after the database is enough.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::config::{Config, ExposeSecret as _};

const POSTGRES_BACKUP: &str = "this instance runs on PostgreSQL: back it up with \
    `pg_dump --format=custom --file weave.dump \"$WEAVE_DATABASE_URL\"` (consistent while the server runs) \
    and restore into an empty database with `pg_restore --no-owner --dbname \"$WEAVE_DATABASE_URL\" weave.dump`";

/// The file of a SQLite database URL (`sqlite://path?…`, `sqlite:path`); `None` for others.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// What a backup or restore did, for the operator.
pub struct Report {
    pub file: PathBuf,
    pub bytes: u64,
    pub media_dir: Option<PathBuf>,
}

fn media_dir(config: &Config) -> Option<PathBuf> {
    let url = config.media_url.trim();
    match url.strip_prefix("file://") {
        Some(path) => Some(PathBuf::from(path)),
        None if url.is_empty() => Some(config.data_dir.join("media")),
        None => None,
    }
}

/// Writes a consistent copy of the live database to `out` (which must not exist yet).
pub async fn backup(config: &Config, out: &Path) -> anyhow::Result<Report> {
    let url = config.database_url.expose_secret();
    let Some(source) = sqlite_path(url) else { bail!("{POSTGRES_BACKUP}") };
    // Never a backup of an empty database made by a wrong data directory.
    if !source.metadata().is_ok_and(|m| m.len() > 0) {
        bail!("there is no database at {}; check WEAVE_DATA_DIR or WEAVE_DATABASE_URL", source.display());
    }
    if out.exists() {
        bail!("{} already exists; name a new file", out.display());
    }
    let target = out.to_str().context("the backup file's name must be UTF-8")?;
    let db =
        Database::connect(format!("sqlite://{}?mode=ro", source.display())).await.context("opening the database")?;
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), "VACUUM INTO ?", [target.into()]))
        .await
        .context("writing the backup")?;
    db.close().await.ok();
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(Report { file: out.to_path_buf(), bytes, media_dir: media_dir(config) })
}

/// Puts a backup in place of the configured database, which must not exist yet (an empty
/// data directory), then brings it up to this version's migrations.
pub async fn restore(config: &Config, from: &Path) -> anyhow::Result<Report> {
    let url = config.database_url.expose_secret();
    let Some(target) = sqlite_path(url) else { bail!("{POSTGRES_BACKUP}") };
    if target.metadata().is_ok_and(|m| m.len() > 0) {
        bail!("{} already holds a database; restore into an empty data directory", target.display());
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // Copied beside the target first, checked there, then renamed: never a half-copied or
    // unsound database in place.
    let partial = target.with_extension("restoring");
    std::fs::copy(from, &partial).with_context(|| format!("copying {}", from.display()))?;
    // Only a Weave database is restored: it must open and carry our migrations.
    let source = format!("sqlite://{}?mode=ro", partial.display());
    let check = match Database::connect(&source).await {
        Ok(c) => c,
        Err(e) => {
            std::fs::remove_file(&partial).ok();
            return Err(e).with_context(|| format!("opening {}", from.display()));
        }
    };
    let rows = check
        .query_all_raw(Statement::from_string(check.get_database_backend(), "PRAGMA integrity_check"))
        .await
        .context("checking the backup")?;
    let ok = rows.first().and_then(|r| r.try_get_by_index::<String>(0).ok()).is_some_and(|s| s == "ok");
    let ours = check
        .query_one_raw(Statement::from_string(check.get_database_backend(), "SELECT count(*) FROM seaql_migrations"))
        .await
        .is_ok_and(|r| r.is_some());
    check.close().await.ok();
    if !ok || !ours {
        std::fs::remove_file(&partial).ok();
        bail!("{} is not a sound Weave database", from.display());
    }
    std::fs::rename(&partial, &target).with_context(|| format!("moving the copy to {}", target.display()))?;
    crate::db::connect(url, Some(1)).await.context("bringing the restored database up to date")?.close().await.ok();
    let bytes = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    Ok(Report { file: target, bytes, media_dir: media_dir(config) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(super::sqlite_path("sqlite://data/weave.db?mode=rwc"), Some("data/weave.db".into()));
        assert_eq!(super::sqlite_path("sqlite:/tmp/x.db"), Some("/tmp/x.db".into()));
        assert_eq!(super::sqlite_path("postgres://u@h/db"), None);
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
    }
}
