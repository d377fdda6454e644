//! Memory of conversations, counted by an instrumented global allocator:
//! heap bytes per live idle conversation actor, bytes left per passivated
//! conversation, and the process RSS with that many live conversations.
//! The storage keeps nothing (`MemoryStore::without_retention`), so the
//! figures are the runtime's own; snapshots live in the database.
//!
//! Run: `cargo bench --bench conversation_memory` (default 100,000
//! conversations; `BENCH_CONVERSATIONS=N` for another count).

use std::alloc::System;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use uuid::Uuid;
use wabot_actors::memory::MemoryStore;
use wabot_actors::{InboundMessage, Ports, Quota, Runtime, RuntimeSettings, TenantProfile};
use wabot_plugins::{Menu, MenuItem, PluginKind, TenantContext, plugin_for};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Seconds without a message before a conversation passivates, here.
const IDLE_SECS: u64 = 20;

/// Live heap bytes now.
fn heap() -> i64 {
    let stats = GLOBAL.stats();
    stats.bytes_allocated as i64 - stats.bytes_deallocated as i64 + stats.bytes_reallocated as i64
}

/// Resident set size of this process, from /proc (Linux).
fn rss_bytes() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<i64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn profile(tenant_id: Uuid) -> TenantProfile {
    let menu = Menu::new(vec![MenuItem {
        item_id: "soup".into(),
        name: "Soup".into(),
        description: String::new(),
        price: rust_decimal::Decimal::new(450, 2),
        category: "Starters".into(),
        available: true,
        image_url: None,
        variant: None,
        stock: None,
        prescription_required: false,
    }]);
    TenantProfile {
        tenant_id,
        plugin: PluginKind::Restaurant,
        session_name: "bench".into(),
        context: TenantContext {
            business_name: "Bench".into(),
            settings: wabot_plugins::BotSettings::default(),
            menu,
            flow: None,
        },
        tier: "enterprise".into(),
        quota: Quota::UNLIMITED,
        used_this_month: 0,
        suspended: false,
    }
}

async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::main]
async fn main() {
    let count: usize = std::env::var("BENCH_CONVERSATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let tenant_id = Uuid::new_v4();
    let store = Arc::new(MemoryStore::without_retention(profile(tenant_id)));
    let settings = RuntimeSettings {
        conversation_idle: Duration::from_secs(IDLE_SECS),
        ..RuntimeSettings::default()
    };
    let runtime = Runtime::start(
        Ports::from_store(store.clone()),
        Arc::new(plugin_for),
        settings,
        vec![],
        vec![],
    )
    .await
    .expect("runtime");
    let say = |n: usize| InboundMessage {
        tenant_id,
        session: "bench".into(),
        customer: format!("1555{n:07}@c.us"),
        message_id: format!("false_{n}"),
        inbox_id: store.new_inbox_id(),
        text: "2x 1".into(),
        media: None,
        received_at: Instant::now(),
        permit: None,
    };
    // Warm up: the tenant actor and the allocator's first pages.
    runtime.deliver(say(usize::MAX / 2)).expect("deliver");
    wait_for("the warm-up step", Duration::from_secs(10), async || {
        store.steps() == 1
    })
    .await;
    let (heap_before, rss_before) = (heap(), rss_bytes());

    let started = Instant::now();
    for n in 0..count {
        runtime.deliver(say(n)).expect("deliver");
    }
    wait_for(
        "every conversation's first step",
        Duration::from_secs(120),
        async || store.steps() == count + 1,
    )
    .await;
    let spawn_seconds = started.elapsed().as_secs_f64();
    let live = runtime
        .live_conversations(tenant_id, Duration::from_secs(10))
        .await
        .expect("count");
    let (heap_live, rss_live) = (heap() - heap_before, rss_bytes() - rss_before);

    eprintln!("waiting {IDLE_SECS} s for the conversations to passivate…");
    wait_for(
        "passivation",
        Duration::from_secs(IDLE_SECS * 6),
        async || {
            runtime
                .live_conversations(tenant_id, Duration::from_secs(10))
                .await
                .is_ok_and(|n| n <= 1)
        },
    )
    .await;
    let heap_passivated = heap() - heap_before;

    println!("conversations: {count} ({live} live after their first message)");
    println!(
        "spawn and first step: {:.0} conversations/s",
        count as f64 / spawn_seconds
    );
    println!(
        "heap per live idle conversation: {} bytes",
        heap_live / count as i64
    );
    println!(
        "heap left per passivated conversation: {} bytes",
        heap_passivated / count as i64
    );
    println!(
        "RSS growth with {count} live conversations: {:.1} MiB",
        rss_live as f64 / (1024.0 * 1024.0)
    );
    runtime.shutdown(Duration::from_secs(30)).await;
}
