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

    /// Records one handled step in one transaction: saves the new state (if
    /// it changed) and marks the inbox event that caused it as processed.
    async fn record_step(
        &self,
        tenant_id: Uuid,
        customer: &str,
        state: Option<&ConversationState>,
        processed_inbox_id: Option<i64>,
    ) -> Result<(), StoreError>;
}

/// Persists orders.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Saves a confirmed order with status `pending` and a fresh number.
    /// Idempotent per `checkout_key`: a second call with the same key
    /// returns the order placed by the first.
    async fn place_order(
        &self,
        tenant_id: Uuid,
        customer: &str,
        draft: &OrderDraft,
        checkout_key: &str,
    ) -> Result<PlacedOrder, StoreError>;
}

/// A customer message to keep in the durable inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboxEvent {
    /// Tenant that owns the session.
    pub tenant_id: Uuid,
    /// WAHA session name.
    pub session: String,
    /// WAHA message id: with `session`, the dedupe key.
    pub message_id: String,
    /// The customer's chat id.
    pub customer: String,
    /// Text or caption.
    pub text: String,
}

/// A stored inbox event not processed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEvent {
    /// Inbox row id; ids grow in arrival order.
    pub id: i64,
    /// The event.
    pub event: NewInboxEvent,
}

/// What happened to one appended event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored under this inbox id.
    Stored(i64),
    /// Seen before (same session and message id); dropped.
    Duplicate,
}

/// The durable inbox.
#[async_trait]
pub trait InboxStore: Send + Sync {
    /// Stores a batch in one transaction; one outcome per event, in order.
    async fn append(&self, events: &[NewInboxEvent]) -> Result<Vec<Appended>, StoreError>;

    /// Every unprocessed event, oldest first.
    async fn unprocessed(&self) -> Result<Vec<InboxEvent>, StoreError>;
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
    /// The durable inbox.
    pub inbox: Arc<dyn InboxStore>,
}

impl Ports {
    /// All ports served by one store.
    pub fn from_store<S>(store: Arc<S>) -> Self
    where
        S: TenantDirectory + ConversationStore + OrderStore + InboxStore + 'static,
    {
        Self {
            tenants: store.clone(),
            conversations: store.clone(),
            orders: store.clone(),
            inbox: store,
        }
    }
}
