//! Storage: one [`Store`] interface over PostgreSQL (production, with
//! row-level security) or SQLite (the embedded default). [`SqlStore`] runs
//! the same SQL on either; each aggregate module holds its trait, its rows
//! and its queries as plain functions:
//!
//! - [`accounts`]: tenants' signup, users, logins and API keys;
//! - [`audit`]: the audit log;
//! - [`catalog`]: menu, flow and bot settings, and the tenant profile the
//!   actors load;
//! - [`orders`]: placing, finding and changing orders;
//! - [`media_index`]: customers' files as indexed in the database;
//! - [`billing`]: usage and activity;
//! - [`events`]: tenants' event feeds;
//! - [`fleet`]: WAHA instances and session placement;
//! - [`operator`]: the platform operator's management;
//! - [`conversations`], [`inbox`], [`outbox`]: the message path.
//!
//! [`sql`] and [`database`] are the only modules that know two backends
//! exist; [`postgres`] and [`sqlite`] set up their connections.

pub mod accounts;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod conversations;
pub mod database;
pub mod events;
pub mod fleet;
pub mod inbox;
pub mod media_index;
pub mod models;
pub mod operator;
pub mod orders;
pub mod outbox;
pub mod postgres;
pub mod sql;
pub mod sqlite;

use std::sync::Arc;

use sqlx::{Postgres, Transaction};
use uuid::Uuid;
use wabot_actors::{
    ConversationStore, EventStore, InboxStore, OrderStore, OutboxStore, StoreError, TenantDirectory,
};

use crate::secret_box::SecretBox;
pub use accounts::AccountStore;
pub use audit::AuditStore;
pub use billing::BillingStore;
pub use catalog::CatalogStore;
pub use database::Database;
pub use events::EventFeed;
pub use fleet::FleetStore;
pub use media_index::MediaIndex;
pub use operator::OperatorStore;
pub use orders::OrderBook;

/// Everything the server needs from storage.
pub trait Store:
    AccountStore
    + AuditStore
    + BillingStore
    + CatalogStore
    + EventFeed
    + FleetStore
    + MediaIndex
    + OperatorStore
    + OrderBook
    + TenantDirectory
    + ConversationStore
    + EventStore
    + OrderStore
    + InboxStore
    + OutboxStore
{
}

impl<T> Store for T where
    T: AccountStore
        + AuditStore
        + BillingStore
        + CatalogStore
        + EventFeed
        + FleetStore
        + MediaIndex
        + OperatorStore
        + OrderBook
        + TenantDirectory
        + ConversationStore
        + EventStore
        + OrderStore
        + InboxStore
        + OutboxStore
{
}

/// The store over one database: every aggregate's queries run here.
#[derive(Clone)]
pub struct SqlStore {
    db: Database,
    secrets: Arc<SecretBox>,
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

/// Opens the store named by `url` (`sqlite://…` or `postgres://…`) and
/// applies pending migrations; `secrets` seals and opens the secrets kept
/// at rest.
pub async fn open(url: &str, secrets: Arc<SecretBox>) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(SqlStore::open(url, secrets).await?))
}

/// Opens the store and only applies migrations (for `wabot migrate`).
pub async fn migrate(url: &str) -> Result<(), StoreError> {
    Database::connect(url).await.map(drop)
}

/// The scale-out bucket (0..=255) of a conversation: FNV-1a of tenant and
/// customer, stable across versions and machines.
pub fn bucket_of(tenant_id: Uuid, customer: &str) -> i16 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in tenant_id.as_bytes().iter().chain(customer.as_bytes()) {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash % 256) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_and_in_range() {
        let tenant = Uuid::from_u128(42);
        assert_eq!(
            bucket_of(tenant, "15551234567@c.us"),
            bucket_of(tenant, "15551234567@c.us")
        );
        let distinct: std::collections::HashSet<_> = (0..2000)
            .map(|n| bucket_of(tenant, &format!("{n}@c.us")))
            .collect();
        assert!(distinct.len() > 200, "customers spread over the buckets");
        assert!(distinct.iter().all(|b| (0..=255).contains(b)));
    }
}
