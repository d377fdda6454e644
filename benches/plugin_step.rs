//! Cost of one restaurant-bot step, the pure part of handling a message.
//!
//! Baseline in the same run: cloning the conversation state, which the
//! conversation actor does on every message anyway (to detect changes).
//! Compare the steps as ratios to it; absolute times vary by machine.
//!
//! Run: `cargo bench --bench plugin_step`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use wabot_plugins::{ConversationState, Event, Menu, MenuItem, Plugin, ShopBot, TenantContext};

fn tenant() -> TenantContext {
    let items = (1..=30)
        .map(|n| MenuItem {
            item_id: format!("item-{n}"),
            name: format!("Dish number {n}"),
            description: "Tasty".into(),
            price: Decimal::new(500 + n * 25, 2),
            category: ["Starters", "Mains", "Desserts", "Drinks"][(n % 4) as usize].into(),
            available: true,
            image_url: None,
            variant: None,
            stock: None,
            prescription_required: false,
        })
        .collect();
    TenantContext {
        business_name: "Bench Bistro".into(),
        settings: wabot_plugins::BotSettings::default(),
        menu: Menu::new(items),
        flow: None,
    }
}

/// A conversation with three lines in the cart.
fn busy_state(tenant: &TenantContext) -> ConversationState {
    let mut state = ShopBot::RESTAURANT.initial_state();
    for text in ["2x 1", "5", "3x 12"] {
        let at = chrono::Utc::now();
        ShopBot::RESTAURANT.handle(
            tenant,
            &mut state,
            &Event::Message {
                text,
                at,
                attachment: None,
            },
        );
    }
    state
}

fn plugin_step(c: &mut Criterion) {
    let tenant = tenant();
    let state = busy_state(&tenant);
    let mut group = c.benchmark_group("restaurant");
    group.bench_function("baseline: clone state", |b| {
        b.iter(|| black_box(state.clone()))
    });
    let at = chrono::Utc::now();
    for text in ["menu", "2x 7", "cart", "what?"] {
        group.bench_function(format!("step: {text}"), |b| {
            b.iter(|| {
                let mut s = state.clone();
                black_box(ShopBot::RESTAURANT.handle(
                    &tenant,
                    &mut s,
                    &Event::Message {
                        text: black_box(text),
                        at,
                        attachment: None,
                    },
                ))
            })
        });
    }
    group.bench_function("snapshot: state to JSON", |b| {
        b.iter(|| black_box(serde_json::to_vec(&state).expect("serialisable")))
    });
    group.finish();
}

criterion_group!(benches, plugin_step);
criterion_main!(benches);
