//! The actor tree against the WAHA simulator, with storage in memory: crash
//! isolation and restart, passivation and rehydration.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rust_decimal::Decimal;
use uuid::Uuid;
use wabot_actors::{
    Appended, ConversationStore, InboundMessage, InboxEvent, InboxStore, NewInboxEvent, OrderStore,
    PlacedOrder, PluginCatalog, Ports, Runtime, RuntimeSettings, StoreError, TenantDirectory,
    TenantProfile, WahaInstanceSpec, WahaSessionSpec,
};
use wabot_actors::{OutboxMessage, OutboxStore, Step};
use wabot_load_tests::{Simulator, SimulatorConfig};
use wabot_plugins::{
    Action, ConversationState, Event, Menu, MenuItem, OrderDraft, Plugin, PluginKind,
    TenantContext, plugin_for,
};

const SESSION: &str = "shop";

/// Storage in memory, counting conversation loads.
struct MemoryStore {
    tenant_id: Uuid,
    conversations: Mutex<HashMap<String, ConversationState>>,
    loads: AtomicUsize,
    orders: AtomicUsize,
    inbox_ids: AtomicUsize,
    outbox_keys: Mutex<std::collections::HashSet<String>>,
}

impl MemoryStore {
    fn next_inbox_id(&self) -> i64 {
        self.inbox_ids.fetch_add(1, Ordering::SeqCst) as i64 + 1
    }
}

#[async_trait]
impl TenantDirectory for MemoryStore {
    async fn tenant_profile(&self, tenant_id: Uuid) -> Result<TenantProfile, StoreError> {
        let item = MenuItem {
            item_id: "soup".into(),
            name: "Soup".into(),
            description: String::new(),
            price: Decimal::new(450, 2),
            category: "Starters".into(),
            available: true,
            image_url: None,
        };
        Ok(TenantProfile {
            tenant_id,
            plugin: PluginKind::Restaurant,
            session_name: SESSION.into(),
            context: TenantContext {
                business_name: "Chez Test".into(),
                currency_symbol: "€".into(),
                menu: Menu::new(vec![item]),
            },
        })
    }
}

#[async_trait]
impl ConversationStore for MemoryStore {
    async fn load_conversation(
        &self,
        _: Uuid,
        customer: &str,
    ) -> Result<Option<ConversationState>, StoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        Ok(self.conversations.lock().unwrap().get(customer).cloned())
    }

    async fn record_step(&self, step: Step<'_>) -> Result<Vec<OutboxMessage>, StoreError> {
        if let Some(state) = step.state {
            self.conversations
                .lock()
                .unwrap()
                .insert(step.customer.into(), state.clone());
        }
        let mut keys = self.outbox_keys.lock().unwrap();
        let mut stored = Vec::new();
        for message in step.outbox {
            if keys.insert(message.idempotency_key.clone()) {
                stored.push(OutboxMessage {
                    id: keys.len() as i64,
                    tenant_id: step.tenant_id,
                    session: step.session.into(),
                    chat_id: step.customer.into(),
                    content: message.content.clone(),
                    wa_message_id: message.wa_message_id.clone(),
                });
            }
        }
        Ok(stored)
    }
}

/// Sent marks are not needed here: nothing restarts from this store.
#[async_trait]
impl OutboxStore for MemoryStore {
    async fn mark_sent(&self, _: Uuid, _: i64) -> Result<(), StoreError> {
        Ok(())
    }

    async fn mark_failed(&self, _: Uuid, _: i64, _: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn unsent(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        Ok(Vec::new())
    }
}

/// Inbox ids only; these tests deliver straight to the runtime.
#[async_trait]
impl InboxStore for MemoryStore {
    async fn append(&self, events: &[NewInboxEvent]) -> Result<Vec<Appended>, StoreError> {
        Ok(events
            .iter()
            .map(|_| Appended::Stored(self.next_inbox_id()))
            .collect())
    }

    async fn unprocessed(&self) -> Result<Vec<InboxEvent>, StoreError> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn place_order(
        &self,
        _: Uuid,
        _: &str,
        _: &OrderDraft,
        _: &str,
    ) -> Result<PlacedOrder, StoreError> {
        let n = self.orders.fetch_add(1, Ordering::SeqCst) as i64;
        Ok(PlacedOrder {
            order_id: Uuid::new_v4(),
            order_number: 1001 + n,
        })
    }
}

/// The restaurant bot, except that the message `boom` makes it panic.
struct PanickingOnBoom(Arc<dyn Plugin>);

impl Plugin for PanickingOnBoom {
    fn kind(&self) -> PluginKind {
        self.0.kind()
    }
    fn initial_state(&self) -> ConversationState {
        self.0.initial_state()
    }
    fn handle(
        &self,
        tenant: &TenantContext,
        state: &mut ConversationState,
        event: &Event<'_>,
    ) -> Vec<Action> {
        assert!(
            *event != Event::Message { text: "boom" },
            "injected plugin panic"
        );
        self.0.handle(tenant, state, event)
    }
}

struct Harness {
    sim: Simulator,
    store: Arc<MemoryStore>,
    runtime: Runtime,
    tenant_id: Uuid,
}

impl Harness {
    async fn start(idle: Duration) -> Self {
        Self::start_with(idle, |_| {}).await
    }

    async fn start_with(idle: Duration, tune: impl FnOnce(&mut RuntimeSettings)) -> Self {
        let sim = Simulator::start(SimulatorConfig::fast()).await.unwrap();
        sim.create_session(SESSION, vec![], None, true).unwrap();
        sim.pair(SESSION, "15550001111", "Chez Test", Duration::from_secs(5))
            .await
            .unwrap();
        let tenant_id = Uuid::new_v4();
        let store = Arc::new(MemoryStore {
            tenant_id,
            conversations: Mutex::default(),
            loads: AtomicUsize::new(0),
            orders: AtomicUsize::new(0),
            inbox_ids: AtomicUsize::new(0),
            outbox_keys: Mutex::default(),
        });
        let plugins: PluginCatalog =
            Arc::new(|kind| Arc::new(PanickingOnBoom(plugin_for(kind))) as Arc<dyn Plugin>);
        let mut settings = RuntimeSettings {
            conversation_idle: idle,
            ..RuntimeSettings::default()
        };
        settings.waha.typing_per_char = Duration::ZERO;
        tune(&mut settings);
        let instance = WahaInstanceSpec {
            id: Uuid::new_v4(),
            name: "sim".into(),
            base_url: sim.base_url(),
            api_key: sim.api_key().into(),
        };
        let session = WahaSessionSpec {
            session: SESSION.into(),
            instance_id: instance.id,
        };
        let runtime = Runtime::start(
            Ports::from_store(store.clone()),
            plugins,
            settings,
            vec![instance],
            vec![session],
        )
        .await
        .unwrap();
        Self {
            sim,
            store,
            runtime,
            tenant_id,
        }
    }

    /// Sends `text` as `customer` and returns the texts sent back to them
    /// once there are `total` in all.
    fn deliver(&self, customer: &str, text: &str) {
        self.runtime
            .deliver(InboundMessage {
                tenant_id: self.store.tenant_id,
                session: SESSION.into(),
                customer: customer.into(),
                message_id: format!("false_{customer}_{}", Uuid::new_v4().simple()),
                inbox_id: self.store.next_inbox_id(),
                text: text.into(),
                received_at: Instant::now(),
                permit: None,
            })
            .unwrap();
    }

    async fn say(&self, customer: &str, text: &str, total: usize) -> Vec<String> {
        self.deliver(customer, text);
        let to_customer =
            |r: &wabot_load_tests::SentRecord| r.chat_id == customer && r.kind == "text";
        let sent = self
            .sim
            .wait_for_sent(to_customer, total, Duration::from_secs(10))
            .await;
        assert_eq!(sent.len(), total, "replies to {customer}: {sent:?}");
        sent.into_iter().filter_map(|r| r.text).collect()
    }
}

#[tokio::test]
async fn a_panicking_conversation_is_restarted_from_its_snapshot_and_others_go_on() {
    let h = Harness::start(Duration::from_secs(300)).await;
    let alice = "15551110001@c.us";
    let bob = "15551110002@c.us";
    assert!(h.say(alice, "1", 1).await[0].contains("Added 1 x Soup"));
    assert!(h.say(bob, "hi", 1).await[0].contains("Chez Test"));

    let replies = h.say(alice, "boom", 2).await;
    assert!(
        replies[1].contains("something went wrong"),
        "the customer is told: {replies:?}"
    );

    let cart = h.say(alice, "cart", 3).await;
    assert!(
        cart[2].contains("1 x Soup"),
        "the cart came back from the snapshot: {cart:?}"
    );
    assert!(
        h.say(bob, "menu", 2).await[1].contains("Soup"),
        "another conversation is untouched"
    );
    assert_eq!(
        h.store.loads.load(Ordering::SeqCst),
        3,
        "alice twice (after the crash), bob once"
    );
    h.runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn an_idle_conversation_passivates_and_rehydrates_with_its_cart() {
    let h = Harness::start(Duration::from_millis(100)).await;
    let carol = "15551110003@c.us";
    h.say(carol, "2x 1", 1).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while h
        .runtime
        .live_conversations(h.tenant_id, Duration::from_secs(1))
        .await
        .unwrap()
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the conversation never passivated"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cart = h.say(carol, "cart", 2).await;
    assert!(cart[1].contains("2 x Soup"), "{cart:?}");
    assert_eq!(
        h.store.loads.load(Ordering::SeqCst),
        2,
        "loaded at start and again after passivation"
    );
    h.runtime.shutdown(Duration::from_secs(5)).await;
}

/// Draining finishes what live actors have queued. (A draining supervisor
/// cannot start new children, so a first message arriving during shutdown
/// is not answered; the durable inbox is what will cover that.)
#[tokio::test]
async fn shutdown_still_handles_queued_messages_and_sends_queued_replies() {
    let h = Harness::start_with(Duration::from_secs(300), |settings| {
        settings.waha.messages_per_second = NonZeroU32::new(4).unwrap();
        settings.waha.burst = NonZeroU32::new(1).unwrap();
    })
    .await;
    let customers: Vec<String> = (0..4).map(|n| format!("1555222000{n}@c.us")).collect();
    for customer in &customers {
        h.say(customer, "hi", 1).await;
    }
    for customer in &customers {
        h.deliver(customer, "menu");
    }
    h.runtime.shutdown(Duration::from_secs(10)).await;
    let menus = h
        .sim
        .sent()
        .into_iter()
        .filter(|r| r.kind == "text" && r.text.as_deref().is_some_and(|t| t.contains("Menu")))
        .count();
    assert_eq!(
        menus,
        customers.len(),
        "every queued message was answered before the stop"
    );
}
