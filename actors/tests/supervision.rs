//! The actor tree against the WAHA simulator, with storage in memory: crash
//! isolation and restart, passivation and rehydration.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use uuid::Uuid;
use wabot_actors::memory::MemoryStore;
use wabot_actors::{
    InboundMessage, PluginCatalog, Ports, Quota, Runtime, RuntimeSettings, TenantProfile,
    WahaInstanceSpec, WahaSessionSpec,
};
use wabot_plugins::{
    Action, ConversationState, Event, Menu, MenuItem, Plugin, PluginKind, TenantContext, plugin_for,
};
use waha_sim::{Simulator, SimulatorConfig};

const SESSION: &str = "shop";

/// The tenant every test here serves.
fn chez_test(tenant_id: Uuid) -> TenantProfile {
    let item = MenuItem {
        item_id: "soup".into(),
        name: "Soup".into(),
        description: String::new(),
        price: Decimal::new(450, 2),
        category: "Starters".into(),
        available: true,
        image_url: None,
        variant: None,
        stock: None,
        prescription_required: false,
    };
    TenantProfile {
        tenant_id,
        plugin: PluginKind::Restaurant,
        session_name: SESSION.into(),
        context: TenantContext {
            business_name: "Chez Test".into(),
            settings: wabot_plugins::BotSettings {
                currency_symbol: "€".into(),
                ..Default::default()
            },
            menu: Menu::new(vec![item]),
            flow: None,
        },
        tier: "enterprise".into(),
        quota: Quota::UNLIMITED,
        used_this_month: 0,
        suspended: false,
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
            !matches!(event, Event::Message { text: "boom", .. }),
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
        Self::launch(idle, |_| {}, tune).await
    }

    async fn launch(
        idle: Duration,
        adjust: impl FnOnce(&mut TenantProfile),
        tune: impl FnOnce(&mut RuntimeSettings),
    ) -> Self {
        let sim = Simulator::start(SimulatorConfig::fast()).await.unwrap();
        sim.create_session(SESSION, vec![], None, true).unwrap();
        sim.pair(SESSION, "15550001111", "Chez Test", Duration::from_secs(5))
            .await
            .unwrap();
        let tenant_id = Uuid::new_v4();
        let mut profile = chez_test(tenant_id);
        adjust(&mut profile);
        let store = Arc::new(MemoryStore::new(profile));
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
                tenant_id: self.tenant_id,
                session: SESSION.into(),
                customer: customer.into(),
                message_id: format!("false_{customer}_{}", Uuid::new_v4().simple()),
                inbox_id: self.store.new_inbox_id(),
                text: text.into(),
                media: None,
                received_at: Instant::now(),
                permit: None,
            })
            .unwrap();
    }

    async fn say(&self, customer: &str, text: &str, total: usize) -> Vec<String> {
        self.deliver(customer, text);
        let to_customer = |r: &waha_sim::SentRecord| r.chat_id == customer && r.kind == "text";
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
        h.store.loads(),
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
        h.store.loads(),
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

/// Polls until the store has recorded `steps` conversation steps.
async fn wait_for_steps(store: &MemoryStore, steps: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.steps() < steps {
        assert!(Instant::now() < deadline, "only {} steps", store.steps());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn an_exhausted_quota_warns_the_tenant_and_closes_new_conversations_only() {
    let h = Harness::launch(
        Duration::from_secs(300),
        |profile| {
            profile.quota = Quota {
                monthly_messages: Some(5),
                overage_allowed: false,
                overage_price_micros: 10_000,
            };
            profile.used_this_month = 3;
        },
        |_| {},
    )
    .await;
    let alice = "15551110004@c.us";
    let bob = "15551110005@c.us";
    h.say(alice, "hi", 1).await;
    let kinds = |h: &Harness| -> Vec<&str> { h.store.events().iter().map(|e| e.kind).collect() };
    assert_eq!(kinds(&h), ["quota.warning"], "4 of 5 is past 80 %");
    h.say(alice, "1", 2).await;
    assert_eq!(kinds(&h), ["quota.warning", "quota.exhausted"]);
    let exhausted = &h.store.events()[1];
    assert_eq!(exhausted.data["used"], 5);
    assert_eq!(exhausted.data["new_conversations_paused"], true);

    let refusal = h.say(bob, "hi", 1).await;
    assert!(
        refusal[0].contains("cannot take new WhatsApp conversations"),
        "{refusal:?}"
    );
    h.deliver(bob, "hello?");
    wait_for_steps(&h.store, 4).await;
    let cart = h.say(alice, "cart", 3).await;
    assert!(
        cart[2].contains("1 x Soup"),
        "a live conversation goes on: {cart:?}"
    );
    assert_eq!(
        h.sim.sent().iter().filter(|r| r.chat_id == bob).count(),
        1,
        "bob is told once"
    );
    assert_eq!(h.store.charged(), 3, "only alice's handled messages count");
    assert_eq!(h.store.events().len(), 2, "each level is announced once");
    h.runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_storm_of_crashes_escalates_to_the_tenant_which_restarts_with_fresh_state() {
    let h = Harness::start(Duration::from_secs(300)).await;
    let bob = "15551110002@c.us";
    assert!(h.say(bob, "1", 1).await[0].contains("Added 1 x Soup"));
    let live = || {
        h.runtime
            .live_conversations(h.tenant_id, Duration::from_secs(2))
    };
    assert_eq!(live().await.unwrap(), 1);

    // More crashes than the budget (20 in 10 s), from different customers.
    for n in 0..22 {
        h.deliver(&format!("1555222{n:04}@c.us"), "boom");
    }
    // The tenant actor failed and came back empty: bob's live conversation
    // went with it (without the escalation it would live for 300 s).
    let deadline = Instant::now() + Duration::from_secs(10);
    while live().await.unwrap() != 0 {
        assert!(Instant::now() < deadline, "the tenant never restarted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cart = h.say(bob, "cart", 2).await;
    assert!(
        cart[1].contains("1 x Soup"),
        "bob's cart came back from its snapshot: {cart:?}"
    );
    h.runtime.shutdown(Duration::from_secs(5)).await;
}
