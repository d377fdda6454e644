//! The connection pool of either backend and the three kinds of
//! transaction the stores use: platform work (outside any tenant), tenant
//! work (confined by row-level security on PostgreSQL) and tenant reads.

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Postgres, SqlSafeStr, Sqlite, Transaction};
use uuid::Uuid;
use wabot_actors::StoreError;

use super::models::PoolStats;
use super::sql::{Backend, Statement, Target, backend};
use super::{postgres, sqlite};

/// The pool of the database the store runs on.
#[derive(Clone)]
pub enum Database {
    /// PostgreSQL, the production store.
    Postgres(PgPool),
    /// SQLite, the embedded default.
    Sqlite(SqlitePool),
}

/// An open transaction of either backend; dropped without
/// [`commit`](Tx::commit), it rolls back.
pub enum Tx {
    /// A PostgreSQL transaction.
    Postgres(Transaction<'static, Postgres>),
    /// A SQLite transaction.
    Sqlite(Transaction<'static, Sqlite>),
}

impl Database {
    /// Connects to `url` (`sqlite:…` or `postgres:…`) and applies pending
    /// migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Database::Sqlite(sqlite::connect(url).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Database::Postgres(postgres::connect(url).await?))
        } else {
            Err(StoreError::Backend(
                "unsupported database URL: use sqlite://path or postgres://…".to_owned(),
            ))
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Database::Postgres(_) => Backend::Postgres,
            Database::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// A statement to run on the pool (outside any transaction).
    pub fn sql(&self, sql: impl SqlSafeStr) -> Statement {
        self.backend().statement(sql)
    }

    /// A write transaction outside any tenant (credential lookups, signup,
    /// placement, operator work).
    pub async fn platform_tx(&self) -> Result<Tx, StoreError> {
        match self {
            Database::Postgres(pool) => pool.begin().await.map(Tx::Postgres).map_err(backend),
            Database::Sqlite(pool) => sqlite::write_transaction(pool).await.map(Tx::Sqlite),
        }
    }

    /// A write transaction confined to `tenant_id` (by row-level security
    /// on PostgreSQL; on SQLite every query filters on `tenant_id`).
    pub async fn tenant_tx(&self, tenant_id: Uuid) -> Result<Tx, StoreError> {
        match self {
            Database::Postgres(pool) => postgres::tenant_transaction(pool, tenant_id)
                .await
                .map(Tx::Postgres),
            Database::Sqlite(pool) => sqlite::write_transaction(pool).await.map(Tx::Sqlite),
        }
    }

    /// A read in one tenant. On SQLite a deferred transaction, so readers
    /// never queue for the write lock.
    pub async fn read_tx(&self, tenant_id: Uuid) -> Result<Tx, StoreError> {
        match self {
            Database::Postgres(_) => self.tenant_tx(tenant_id).await,
            Database::Sqlite(pool) => pool.begin().await.map(Tx::Sqlite).map_err(backend),
        }
    }

    /// The pool's connections.
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle, max) = match self {
            Database::Postgres(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
            Database::Sqlite(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        };
        PoolStats {
            in_use: size.saturating_sub(idle as u32),
            idle: idle as u32,
            max,
        }
    }
}

impl Tx {
    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Postgres(_) => Backend::Postgres,
            Tx::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// A statement to run in this transaction.
    pub fn sql(&self, sql: impl SqlSafeStr) -> Statement {
        self.backend().statement(sql)
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Postgres(tx) => tx.commit().await,
            Tx::Sqlite(tx) => tx.commit().await,
        }
        .map_err(backend)
    }
}

impl<'c> From<&'c Database> for Target<'c> {
    fn from(database: &'c Database) -> Self {
        match database {
            Database::Postgres(pool) => Target::PostgresPool(pool),
            Database::Sqlite(pool) => Target::SqlitePool(pool),
        }
    }
}

impl<'c> From<&'c mut Tx> for Target<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        match tx {
            Tx::Postgres(tx) => Target::PostgresConnection(tx),
            Tx::Sqlite(tx) => Target::SqliteConnection(tx),
        }
    }
}
