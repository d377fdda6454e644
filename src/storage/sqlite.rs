//! SQLite connection setup: the embedded default, so wabot runs with
//! nothing installed. WAL mode, a busy timeout for concurrent writers,
//! foreign keys on. SQLite has no row-level security: every query filters
//! on `tenant_id` itself.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use wabot_actors::StoreError;

use super::sql::backend;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating the file and its folder if needed) and migrates.
pub(super) async fn connect(url: &str) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(backend)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    if let Some(folder) = options
        .get_filename()
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder)
            .map_err(|e| backend(format!("cannot create {}: {e}", folder.display())))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|e| backend(format!("cannot open SQLite database {url}: {e}")))?;
    MIGRATOR.run(&pool).await.map_err(backend)?;
    Ok(pool)
}

/// A transaction that takes SQLite's write lock up front (waiting up to the
/// busy timeout). A deferred one that reads first fails at once with
/// SQLITE_BUSY when it tries to write after another writer committed.
pub(super) async fn write_transaction(
    pool: &SqlitePool,
) -> Result<Transaction<'static, Sqlite>, StoreError> {
    pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)
}
