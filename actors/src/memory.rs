//! [`MemoryStore`]: every storage port in memory, for one tenant. It is the
//! reference implementation of the ports' contracts (idempotent checkouts
//! and outbox keys, dedupe by message id), used by the actor tests and the
//! memory benches. Snapshots are kept serialised, as a database row would
//! hold them, so their bytes can be told apart from the actors' own.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use uuid::Uuid;
use wabot_plugins::{ConversationState, OrderDraft};

use crate::ports::{
    Appended, ConversationStore, EventStore, InboxEvent, InboxStore, MediaStore, NewInboxEvent,
    NewMedia, NewTenantEvent, OrderStore, OutboxMessage, OutboxStore, PlacedOrder, SentMark, Step,
    StoreError, TenantDirectory, TenantProfile,
};

/// First customer-facing order number, as in the databases.
const FIRST_ORDER_NUMBER: i64 = 1001;

/// Largest customer file kept, as in the server's default.
const MAX_MEDIA_BYTES: usize = 10 * 1024 * 1024;

#[derive(Default)]
struct Tables {
    /// Serialised snapshots by customer.
    conversations: HashMap<String, Vec<u8>>,
    inbox_keys: HashSet<(String, String)>,
    outbox_keys: HashSet<String>,
    orders: HashMap<String, PlacedOrder>,
    /// Tenant events, in the order recorded.
    events: Vec<NewTenantEvent>,
    /// Billable messages recorded.
    charged: u64,
    /// Ids of customer files by message id (contents are not kept).
    media: HashMap<String, Uuid>,
}

/// One tenant's storage, in memory.
pub struct MemoryStore {
    profile: TenantProfile,
    /// Whether rows are kept; without, only counters move (memory benches).
    retain: bool,
    tables: Mutex<Tables>,
    loads: AtomicUsize,
    steps: AtomicUsize,
    next_id: AtomicUsize,
}

impl MemoryStore {
    /// Storage for the tenant described by `profile`.
    pub fn new(profile: TenantProfile) -> Self {
        Self {
            profile,
            retain: true,
            tables: Mutex::default(),
            loads: AtomicUsize::new(0),
            steps: AtomicUsize::new(0),
            next_id: AtomicUsize::new(1),
        }
    }

    /// Storage that keeps no rows at all: conversations always start fresh
    /// and keys are never remembered. Its memory stays flat, so a benchmark
    /// sees only the memory of the actors.
    pub fn without_retention(profile: TenantProfile) -> Self {
        Self {
            retain: false,
            ..Self::new(profile)
        }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn next_id(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) as i64
    }

    /// Conversation loads so far (one per actor start).
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    /// Conversation steps recorded so far.
    pub fn steps(&self) -> usize {
        self.steps.load(Ordering::SeqCst)
    }

    /// Bytes held by the stored snapshots (what a database would hold).
    pub fn snapshot_bytes(&self) -> usize {
        self.tables()
            .conversations
            .iter()
            .map(|(customer, state)| customer.capacity() + state.capacity())
            .sum()
    }

    /// Billable messages recorded with steps so far.
    pub fn charged(&self) -> u64 {
        self.tables().charged
    }

    /// Tenant events recorded so far.
    pub fn events(&self) -> Vec<NewTenantEvent> {
        self.tables().events.clone()
    }

    /// A fresh inbox id, for events delivered without [`InboxStore::append`].
    pub fn new_inbox_id(&self) -> i64 {
        self.next_id()
    }
}

fn corrupt(error: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("snapshot does not decode: {error}"))
}

#[async_trait]
impl TenantDirectory for MemoryStore {
    async fn tenant_profile(&self, tenant_id: uuid::Uuid) -> Result<TenantProfile, StoreError> {
        if tenant_id == self.profile.tenant_id {
            Ok(self.profile.clone())
        } else {
            Err(StoreError::NotFound("tenant"))
        }
    }
}

#[async_trait]
impl ConversationStore for MemoryStore {
    async fn load_conversation(
        &self,
        _tenant_id: Uuid,
        customer: &str,
    ) -> Result<Option<ConversationState>, StoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.tables()
            .conversations
            .get(customer)
            .map(|bytes| serde_json::from_slice(bytes).map_err(corrupt))
            .transpose()
    }

    async fn record_steps(&self, steps: &[Step]) -> Result<Vec<Vec<OutboxMessage>>, StoreError> {
        steps.iter().map(|step| self.record_one(step)).collect()
    }
}

impl MemoryStore {
    fn record_one(&self, step: &Step) -> Result<Vec<OutboxMessage>, StoreError> {
        self.steps.fetch_add(1, Ordering::SeqCst);
        if !self.retain {
            return Ok(Vec::new());
        }
        let snapshot = step
            .state
            .as_ref()
            .map(serde_json::to_vec)
            .transpose()
            .map_err(corrupt)?;
        let mut tables = self.tables();
        if let Some(mut snapshot) = snapshot {
            snapshot.shrink_to_fit();
            tables.conversations.insert(step.customer.clone(), snapshot);
        }
        let stored: Vec<OutboxMessage> = step
            .outbox
            .iter()
            .filter(|message| tables.outbox_keys.insert(message.idempotency_key.clone()))
            .map(|message| OutboxMessage {
                id: self.next_id(),
                tenant_id: step.tenant_id,
                session: step.session.clone(),
                chat_id: step.customer.clone(),
                content: message.content.clone(),
                wa_message_id: message.wa_message_id.clone(),
            })
            .collect();
        // Inbox events are not tracked here, so a step with one is new.
        if step.charge.is_some() && (step.processed_inbox_id.is_some() || !stored.is_empty()) {
            tables.charged += 1;
        }
        Ok(stored)
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn record_event(&self, event: &NewTenantEvent) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if !tables
            .events
            .iter()
            .any(|e| e.dedupe_key == event.dedupe_key)
        {
            tables.events.push(event.clone());
        }
        Ok(())
    }
}

#[async_trait]
impl MediaStore for MemoryStore {
    fn max_bytes(&self) -> usize {
        MAX_MEDIA_BYTES
    }

    async fn save_media(&self, media: NewMedia<'_>) -> Result<Uuid, StoreError> {
        let mut tables = self.tables();
        Ok(*tables
            .media
            .entry(media.message_id.to_owned())
            .or_insert_with(Uuid::now_v7))
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn place_order(
        &self,
        _tenant_id: Uuid,
        _customer: &str,
        _draft: &OrderDraft,
        checkout_key: &str,
    ) -> Result<PlacedOrder, StoreError> {
        let mut tables = self.tables();
        let next = FIRST_ORDER_NUMBER + tables.orders.len() as i64;
        let placed = *tables
            .orders
            .entry(checkout_key.to_owned())
            .or_insert_with(|| PlacedOrder {
                order_id: Uuid::new_v4(),
                order_number: next,
            });
        Ok(placed)
    }
}

#[async_trait]
impl InboxStore for MemoryStore {
    async fn append(&self, events: &[NewInboxEvent]) -> Result<Vec<Appended>, StoreError> {
        let mut tables = self.tables();
        Ok(events
            .iter()
            .map(|event| {
                let key = (event.session.clone(), event.message_id.clone());
                if tables.inbox_keys.insert(key) {
                    Appended::Stored(self.next_id())
                } else {
                    Appended::Duplicate
                }
            })
            .collect())
    }

    /// Events are handled as soon as they are appended here: nothing waits.
    async fn unprocessed(&self) -> Result<Vec<InboxEvent>, StoreError> {
        Ok(Vec::new())
    }
}

/// Messages are sent at once here: nothing stays unsent.
#[async_trait]
impl OutboxStore for MemoryStore {
    async fn mark_sent(&self, _sent: &[SentMark]) -> Result<(), StoreError> {
        Ok(())
    }

    async fn mark_failed(
        &self,
        _tenant_id: Uuid,
        _id: i64,
        _error: &str,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn unsent(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use wabot_plugins::{Menu, PluginKind, TenantContext};

    use crate::ports::Quota;

    use super::*;

    fn store() -> MemoryStore {
        MemoryStore::new(TenantProfile {
            tenant_id: Uuid::nil(),
            plugin: PluginKind::Restaurant,
            session_name: "s".into(),
            context: TenantContext {
                business_name: "B".into(),
                settings: wabot_plugins::BotSettings::default(),
                menu: Menu::default(),
                flow: None,
            },
            tier: "enterprise".into(),
            quota: Quota::UNLIMITED,
            used_this_month: 0,
            suspended: false,
        })
    }

    #[tokio::test]
    async fn checkouts_and_inbox_keys_are_idempotent() {
        let store = store();
        let draft = OrderDraft {
            lines: vec![],
            total: Default::default(),
            delivery_address: "x".into(),
            prescription: None,
        };
        let first = store
            .place_order(Uuid::nil(), "c", &draft, "k")
            .await
            .unwrap();
        assert_eq!(
            store
                .place_order(Uuid::nil(), "c", &draft, "k")
                .await
                .unwrap(),
            first
        );
        let event = NewInboxEvent {
            tenant_id: Uuid::nil(),
            session: "s".into(),
            message_id: "m".into(),
            customer: "c".into(),
            text: "hi".into(),
            media: None,
        };
        let outcomes = store.append(&[event.clone(), event]).await.unwrap();
        assert!(matches!(
            outcomes.as_slice(),
            [Appended::Stored(_), Appended::Duplicate]
        ));
    }
}
