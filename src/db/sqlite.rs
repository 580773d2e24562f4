//! SQLite connection set-up beyond the pragmas sqlx sets.
use sea_orm::sqlx::pool::PoolOptions;
use sea_orm::sqlx::{Error, Sqlite};

/// Every pool connection plans statements without looking at bound values
/// (`SQLITE_DBCONFIG_ENABLE_QPSG`).
///
/// Without it, SQLite reads the value bound to `LIMIT ?` while planning and marks the
/// statement to be prepared again whenever that parameter is bound: every paged list (sea-orm
/// binds the page size) was parsed and planned afresh on every request, about 5 % of the
/// signed-in events page's CPU (`sqlite3Reprepare` under `sqlite3_step`, measured with
/// `perf`). Plans no longer depend on a bound `LIKE` prefix either; Weave's text search uses
/// its full-text index, not `LIKE`.
pub fn stable_plans(pool: PoolOptions<Sqlite>) -> PoolOptions<Sqlite> {
    pool.after_connect(|conn, _| {
        Box::pin(async move {
            let mut handle = conn.lock_handle().await?;
            let db = handle.as_raw_handle().as_ptr();
            let on: std::ffi::c_int = 1;
            // SAFETY: `db` is this connection's open handle, locked for us; the call only sets
            // a flag (its last argument, where SQLite would write the old value back, is null).
            let rc = unsafe {
                libsqlite3_sys::sqlite3_db_config(
                    db,
                    libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                    on,
                    std::ptr::null_mut::<std::ffi::c_int>(),
                )
            };
            if rc != libsqlite3_sys::SQLITE_OK {
                return Err(Error::Configuration("SQLite refused SQLITE_DBCONFIG_ENABLE_QPSG".into()));
            }
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    /// Every connection of the pool has the flag on: SQLite reports it back (`-1` reads
    /// without changing it). Several connections are held at once, so that more than the first
    /// is opened and checked.
    #[tokio::test]
    async fn every_pool_connection_plans_without_bound_values() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let db = super::super::connect(&url, Some(3)).await?;
        let pool = db.get_sqlite_connection_pool();
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = pool.acquire().await?;
            let mut handle = conn.lock_handle().await?;
            let mut flag: std::ffi::c_int = -7;
            let read: std::ffi::c_int = -1;
            // SAFETY: an open, locked handle; SQLite writes the flag into `flag`.
            let rc = unsafe {
                libsqlite3_sys::sqlite3_db_config(
                    handle.as_raw_handle().as_ptr(),
                    libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                    read,
                    &raw mut flag,
                )
            };
            assert_eq!(rc, libsqlite3_sys::SQLITE_OK);
            assert_eq!(flag, 1);
            drop(handle);
            held.push(conn);
        }
        Ok(())
    }
}
