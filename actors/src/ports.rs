//! The storage ports the actors need. The server implements them for
//! PostgreSQL and SQLite; the actors only see these traits.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wabot_plugins::{ConversationState, OrderDraft, PluginKind, TenantContext};

use crate::inbound::InboundMedia;

/// A storage failure, in terms the runtime and the HTTP layer can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or belongs to another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness or state rule refused the change.
    #[error("{0}")]
    Conflict(String),
    /// A limit of the tenant's tier or of the platform refused the change.
    #[error("{0}")]
    Limit(String),
    /// These items (by code) have too little stock left for the order.
    #[error("out of stock: {}", .0.join(", "))]
    OutOfStock(Vec<String>),
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
    /// Its subscription tier (free, basic, premium, enterprise).
    pub tier: String,
    /// Its message allowance.
    pub quota: Quota,
    /// Billable messages recorded so far this calendar month (UTC).
    pub used_this_month: u64,
    /// Suspended by the operator: the bot answers no one.
    pub suspended: bool,
}

/// A tenant's monthly message allowance, from its tier and the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Billable messages included each month (`None`: unlimited).
    pub monthly_messages: Option<u64>,
    /// The operator allows messages beyond the quota, billed as overage.
    pub overage_allowed: bool,
    /// Price of one overage message, in millionths of a dollar.
    pub overage_price_micros: i64,
}

impl Quota {
    /// No limit and no overage (the enterprise tier).
    pub const UNLIMITED: Quota = Quota {
        monthly_messages: None,
        overage_allowed: false,
        overage_price_micros: 0,
    };
}

/// One billable message, recorded in the transaction of the step that
/// handled it (daily `usage_logs` rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// The UTC day it counts for.
    pub day: NaiveDate,
    /// What it costs beyond the tier price (overage), in millionths of a dollar.
    pub cost_micros: i64,
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

    /// Records handled steps, all in one transaction, each as a whole: saves
    /// its new state (if it changed), marks the inbox event that caused it
    /// as processed, puts its replies in the outbox and counts its usage.
    /// Returns, per step, the replies stored now in their order; one whose
    /// key is already in the outbox (a replayed step) is left out.
    async fn record_steps(&self, steps: &[Step]) -> Result<Vec<Vec<OutboxMessage>>, StoreError>;

    /// [`ConversationStore::record_steps`] for one step.
    async fn record_step(&self, step: &Step) -> Result<Vec<OutboxMessage>, StoreError> {
        self.record_steps(std::slice::from_ref(step))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Backend("a step was recorded without an outcome".to_owned()))
    }
}

/// One handled conversation step, as [`ConversationStore::record_steps`]
/// records it.
#[derive(Debug, Clone)]
pub struct Step {
    /// Tenant.
    pub tenant_id: Uuid,
    /// The customer's chat id.
    pub customer: String,
    /// The tenant's WAHA session (where replies go).
    pub session: String,
    /// The new state, if it changed.
    pub state: Option<ConversationState>,
    /// The inbox event this step handled, if any.
    pub processed_inbox_id: Option<i64>,
    /// Replies to send.
    pub outbox: Vec<NewOutboxMessage>,
    /// Counted as usage if the step is new: its inbox event was not yet
    /// processed or, for a step without one, one of its replies is new.
    pub charge: Option<Charge>,
}

/// What to send to a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboundContent {
    /// A text message.
    Text(String),
    /// A picture by URL, with a caption.
    Image {
        /// Public URL WAHA downloads.
        url: String,
        /// Caption.
        caption: String,
    },
}

impl OutboundContent {
    /// Bounded metric label: `text` or `image`.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboundContent::Text(_) => "text",
            OutboundContent::Image { .. } => "image",
        }
    }

    /// Characters of text or caption.
    pub fn len(&self) -> usize {
        match self {
            OutboundContent::Text(text) => text.chars().count(),
            OutboundContent::Image { caption, .. } => caption.chars().count(),
        }
    }

    /// True when there is no text or caption.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A reply to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxMessage {
    /// Unique per tenant: the same step always produces the same keys.
    pub idempotency_key: String,
    /// WhatsApp message id to send it under.
    pub wa_message_id: String,
    /// What to send.
    pub content: OutboundContent,
}

/// A reply in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Outbox row id.
    pub id: i64,
    /// Tenant.
    pub tenant_id: Uuid,
    /// WAHA session to send through.
    pub session: String,
    /// The customer's chat id.
    pub chat_id: String,
    /// What to send.
    pub content: OutboundContent,
    /// WhatsApp message id to send it under.
    pub wa_message_id: String,
}

/// An outbox message WAHA accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentMark {
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Its outbox id.
    pub id: i64,
}

/// The outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// WAHA accepted these messages: never send them again (one transaction).
    async fn mark_sent(&self, sent: &[SentMark]) -> Result<(), StoreError>;

    /// WAHA refused the message for good: keep the reason, stop trying.
    async fn mark_failed(&self, tenant_id: Uuid, id: i64, error: &str) -> Result<(), StoreError>;

    /// Every message neither sent nor failed, oldest first.
    async fn unsent(&self) -> Result<Vec<OutboxMessage>, StoreError>;
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
    /// The file the message carried, if any.
    pub media: Option<Box<InboundMedia>>,
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

/// An entry for a tenant's event feed (quota warnings, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenantEvent {
    /// Tenant.
    pub tenant_id: Uuid,
    /// What happened, e.g. `quota.warning`.
    pub kind: &'static str,
    /// The same key is recorded once per tenant.
    pub dedupe_key: String,
    /// Details.
    pub data: serde_json::Value,
}

/// The tenants' event feeds.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Records `event` unless an event with its dedupe key exists.
    async fn record_event(&self, event: &NewTenantEvent) -> Result<(), StoreError>;
}

/// A file a customer sent, fetched from WAHA, to keep for the tenant.
#[derive(Debug, Clone)]
pub struct NewMedia<'a> {
    /// The tenant it belongs to (and the only one that may read it).
    pub tenant_id: Uuid,
    /// Who sent it.
    pub customer: &'a str,
    /// The WAHA message that carried it: saving it twice keeps one file.
    pub message_id: &'a str,
    /// Its MIME type.
    pub mimetype: &'a str,
    /// Its file name, when it had one.
    pub filename: Option<&'a str>,
    /// The content.
    pub bytes: Vec<u8>,
}

/// Where customers' files are kept (files on disk or S3, indexed in the
/// database), readable by their tenant only.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// The largest file kept, in bytes; larger ones are not downloaded.
    fn max_bytes(&self) -> usize;

    /// Keeps `media` and returns its id (the first id when the message was
    /// saved before).
    async fn save_media(&self, media: NewMedia<'_>) -> Result<Uuid, StoreError>;
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
    /// The outbox.
    pub outbox: Arc<dyn OutboxStore>,
    /// Tenant event feeds.
    pub events: Arc<dyn EventStore>,
    /// Files customers send.
    pub media: Arc<dyn MediaStore>,
}

impl Ports {
    /// All ports served by one store.
    pub fn from_store<S>(store: Arc<S>) -> Self
    where
        S: TenantDirectory
            + ConversationStore
            + OrderStore
            + InboxStore
            + OutboxStore
            + EventStore
            + MediaStore
            + 'static,
    {
        Self {
            tenants: store.clone(),
            conversations: store.clone(),
            orders: store.clone(),
            inbox: store.clone(),
            outbox: store.clone(),
            events: store.clone(),
            media: store,
        }
    }
}
