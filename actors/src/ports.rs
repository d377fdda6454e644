//! The storage ports the actors need. The server implements them for
//! PostgreSQL and SQLite; the actors only see these traits.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;
use wabot_plugins::{ConversationState, OrderDraft, PluginKind, TenantContext};

/// A storage failure, in terms the runtime and the HTTP layer can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or belongs to another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness or state rule refused the change.
    #[error("{0}")]
    Conflict(String),
    /// The database failed; the cause is logged, not shown to clients.
    #[error("storage backend failure: {0}")]
    Backend(String),
}

/// Everything a tenant actor loads about its tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantProfile {
    /// Tenant id.
    pub tenant_id: Uuid,
    /// The bot it runs.
    pub plugin: PluginKind,
    /// Its WAHA session name (one WhatsApp number).
    pub session_name: String,
    /// What its bot needs to know (name, currency, menu).
    pub context: TenantContext,
}

/// An order the store accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacedOrder {
    /// Row id.
    pub order_id: Uuid,
    /// The customer-facing number, unique per tenant.
    pub order_number: i64,
}

/// Reads tenant configuration.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// The tenant's profile with its current menu.
    async fn tenant_profile(&self, tenant_id: Uuid) -> Result<TenantProfile, StoreError>;
}

/// Persists conversation snapshots, so conversations survive passivation,
/// crashes and restarts.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The last saved state, if the conversation was ever saved.
    async fn load_conversation(
        &self,
        tenant_id: Uuid,
        customer: &str,
    ) -> Result<Option<ConversationState>, StoreError>;

    /// Saves (inserts or replaces) the conversation's state.
    async fn save_conversation(
        &self,
        tenant_id: Uuid,
        customer: &str,
        state: &ConversationState,
    ) -> Result<(), StoreError>;
}

/// Persists orders.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Saves a confirmed order with status `pending` and a fresh number.
    async fn place_order(
        &self,
        tenant_id: Uuid,
        customer: &str,
        draft: &OrderDraft,
    ) -> Result<PlacedOrder, StoreError>;
}

/// The set of ports handed to the runtime.
#[derive(Clone)]
pub struct Ports {
    /// Tenant configuration.
    pub tenants: Arc<dyn TenantDirectory>,
    /// Conversation snapshots.
    pub conversations: Arc<dyn ConversationStore>,
    /// Orders.
    pub orders: Arc<dyn OrderStore>,
}

impl Ports {
    /// All ports served by one store.
    pub fn from_store<S>(store: Arc<S>) -> Self
    where
        S: TenantDirectory + ConversationStore + OrderStore + 'static,
    {
        Self {
            tenants: store.clone(),
            conversations: store.clone(),
            orders: store,
        }
    }
}
