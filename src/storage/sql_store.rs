//! The store every aggregate module implements its trait for: one
//! database and the box that seals the secrets kept in it.

use std::sync::Arc;

use sqlx::{Postgres, Transaction};
use uuid::Uuid;
use wabot_actors::StoreError;

use super::database::Database;
use super::postgres;
use crate::secret_box::SecretBox;

/// The store over one database: every aggregate's queries run here.
#[derive(Clone)]
pub struct SqlStore {
    pub(super) db: Database,
    pub(super) secrets: Arc<SecretBox>,
}

impl SqlStore {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies
    /// pending migrations; `secrets` seals and opens the secrets kept at
    /// rest.
    pub async fn open(url: &str, secrets: Arc<SecretBox>) -> Result<Self, StoreError> {
        Ok(Self {
            db: Database::connect(url).await?,
            secrets,
        })
    }

    /// A raw PostgreSQL transaction confined to `tenant_id` by row-level
    /// security (for tests that probe the policies with their own SQL).
    pub async fn postgres_tenant_transaction(
        &self,
        tenant_id: Uuid,
    ) -> Result<Transaction<'static, Postgres>, StoreError> {
        match &self.db {
            Database::Postgres(pool) => postgres::tenant_transaction(pool, tenant_id).await,
            Database::Sqlite(_) => Err(StoreError::Backend(
                "SQLite has no row-level security".to_owned(),
            )),
        }
    }
}
