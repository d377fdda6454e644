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
//! exist; [`postgres`] and [`sqlite`] set up their connections, and
//! [`sql_store`] holds the store every aggregate implements its trait for.

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
pub mod sql_store;
pub mod sqlite;

use std::sync::Arc;

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
pub use sql_store::SqlStore;

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
