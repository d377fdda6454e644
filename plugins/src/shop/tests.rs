//! Conversation-level tests of the shop bot (restaurant, retail and
//! pharmacy rules), with no runtime at all.

use rust_decimal::Decimal;

use super::*;
use crate::catalog::{Menu, MenuItem};
use crate::order::OrderStatus;
use crate::settings::BotSettings;

fn item(id: &str, name: &str, cents: i64, category: &str) -> MenuItem {
    MenuItem {
        item_id: id.into(),
        name: name.into(),
        description: String::new(),
        price: Decimal::new(cents, 2),
        category: category.into(),
        available: true,
        image_url: None,
        variant: None,
        stock: None,
        prescription_required: false,
    }
}

fn pizzeria() -> TenantContext {
    TenantContext {
        business_name: "Luigi's".into(),
        settings: BotSettings::default(),
        menu: Menu::new(vec![
            item("margherita", "Margherita", 1050, "Pizzas"),
            item("diavola", "Diavola", 1200, "Pizzas"),
            item("cola", "Cola", 250, "Drinks"),
        ]),
        flow: None,
    }
}

/// A customer message arriving now.
fn message(text: &str) -> Event<'_> {
    Event::Message {
        text,
        at: chrono::Utc::now(),
        attachment: None,
    }
}

/// Feeds one message and returns the single reply text it produced.
fn say(tenant: &TenantContext, state: &mut ConversationState, text: &str) -> String {
    let actions = ShopBot::RESTAURANT.handle(tenant, state, &message(text));
    match actions.as_slice() {
        [Action::Reply(reply)] => reply.clone(),
        other => panic!("expected one reply to {text:?}, got {other:?}"),
    }
}

fn restaurant(state: &ConversationState) -> &ShopState {
    let ConversationState::Restaurant(s) = state else {
        panic!("a restaurant conversation");
    };
    s
}

#[test]
fn a_customer_orders_two_items_and_confirms() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    assert!(say(&tenant, &mut state, "hi").contains("Luigi's"));
    let menu = say(&tenant, &mut state, "menu");
    assert!(menu.contains("*Pizzas*\n1. Margherita – $10.50\n2. Diavola – $12.00"));
    assert!(menu.contains("*Drinks*\n3. Cola – $2.50"));
    assert!(say(&tenant, &mut state, "2x 1").contains("Cart total: $21.00"));
    assert!(say(&tenant, &mut state, "3").contains("Cart total: $23.50"));
    assert!(say(&tenant, &mut state, "checkout").contains("delivery address"));
    let summary = say(&tenant, &mut state, "12 Baker Street, London");
    assert!(summary.contains("*Total: $23.50*"), "{summary}");
    assert!(summary.contains("12 Baker Street, London"));

    let actions = ShopBot::RESTAURANT.handle(&tenant, &mut state, &message("yes"));
    let [Action::PlaceOrder(draft)] = actions.as_slice() else {
        panic!("expected an order, got {actions:?}");
    };
    assert_eq!(draft.total, Decimal::new(2350, 2));
    assert_eq!(draft.lines.len(), 2);
    assert_eq!(draft.delivery_address, "12 Baker Street, London");

    let placed = ShopBot::RESTAURANT.handle(
        &tenant,
        &mut state,
        &Event::OrderPlaced { order_number: 1001 },
    );
    assert!(
        matches!(placed.as_slice(), [Action::Reply(t)] if t.contains("#1001") && t.contains("$23.50"))
    );
    assert_eq!(restaurant(&state), &ShopState::default());
}

#[test]
fn menu_cart_help_and_cancel_work_in_the_middle_of_checkout() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    say(&tenant, &mut state, "2");
    say(&tenant, &mut state, "checkout");
    assert!(say(&tenant, &mut state, "cart").contains("Diavola"));
    assert!(say(&tenant, &mut state, "MENU").contains("Margherita"));
    assert!(say(&tenant, &mut state, "help").contains("checkout"));
    assert_eq!(restaurant(&state).step, Step::AwaitingAddress);
    assert!(say(&tenant, &mut state, "cancel").contains("cancelled"));
    assert!(restaurant(&state).cart.is_empty());
}

#[test]
fn a_failed_save_keeps_the_cart_for_another_try() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    say(&tenant, &mut state, "1");
    say(&tenant, &mut state, "checkout");
    say(&tenant, &mut state, "1 Main Road");
    ShopBot::RESTAURANT.handle(&tenant, &mut state, &message("yes"));
    let failed = ShopBot::RESTAURANT.handle(&tenant, &mut state, &Event::OrderFailed);
    assert!(matches!(failed.as_slice(), [Action::Reply(t)] if t.contains("try again")));
    assert_eq!(restaurant(&state).step, Step::AwaitingConfirmation);
    assert!(matches!(
        ShopBot::RESTAURANT
            .handle(&tenant, &mut state, &message("yes"))
            .as_slice(),
        [Action::PlaceOrder(_)]
    ));
}

#[test]
fn unknown_input_always_gets_a_helpful_reply() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    assert!(say(&tenant, &mut state, "pineapple please").contains("did not understand"));
    assert!(say(&tenant, &mut state, "9").contains("items go from 1 to 3"));
    assert!(say(&tenant, &mut state, "0x 1").contains("quantity"));
    assert!(say(&tenant, &mut state, "checkout").contains("cart is empty"));
    assert!(say(&tenant, &mut state, "yes").contains("nothing to confirm"));
    assert!(say(&tenant, &mut state, "").contains("text messages"));
}

#[test]
fn a_short_address_is_refused_and_a_number_is_not_taken_for_an_item() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    say(&tenant, &mut state, "1");
    say(&tenant, &mut state, "checkout");
    assert!(say(&tenant, &mut state, "12").contains("too short"));
    let summary = say(&tenant, &mut state, "221 Baker Street");
    assert!(summary.contains("221 Baker Street"));
    assert_eq!(restaurant(&state).cart.len(), 1);
}

#[test]
fn items_removed_from_the_menu_leave_the_cart_at_checkout() {
    let mut tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    say(&tenant, &mut state, "1");
    say(&tenant, &mut state, "3");
    tenant.menu = Menu::new(vec![item("cola", "Cola", 300, "Drinks")]);
    let reply = say(&tenant, &mut state, "checkout");
    assert!(
        reply.contains("no longer available") && reply.contains("Margherita"),
        "{reply}"
    );
    let summary = say(&tenant, &mut state, "5 Long Lane");
    assert!(
        summary.contains("$3.00"),
        "prices follow the current menu: {summary}"
    );
}

#[test]
fn remove_and_clear_edit_the_cart() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    say(&tenant, &mut state, "1");
    say(&tenant, &mut state, "3");
    assert!(say(&tenant, &mut state, "remove 1").contains("Removed Margherita"));
    assert!(say(&tenant, &mut state, "remove 1").contains("not in your cart"));
    assert!(say(&tenant, &mut state, "clear").contains("empty"));
    assert!(restaurant(&state).cart.is_empty());
}

#[test]
fn every_status_change_produces_a_notice_with_the_order_number() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    for status in OrderStatus::ALL {
        let actions = ShopBot::RESTAURANT.handle(
            &tenant,
            &mut state,
            &Event::OrderStatusChanged {
                order_number: 1042,
                status,
                reason: None,
            },
        );
        assert!(
            matches!(actions.as_slice(), [Action::Reply(t)] if t.contains("#1042")),
            "{status}"
        );
    }
}

#[test]
fn info_sends_the_picture_when_there_is_one() {
    let mut items = vec![item("margherita", "Margherita", 1050, "Pizzas")];
    items[0].image_url = Some("https://cdn.example.com/m.jpg".into());
    let tenant = TenantContext {
        menu: Menu::new(items),
        flow: None,
        ..pizzeria()
    };
    let mut state = ShopBot::RESTAURANT.initial_state();
    let actions = ShopBot::RESTAURANT.handle(&tenant, &mut state, &message("info 1"));
    assert!(
        matches!(actions.as_slice(), [Action::ReplyImage { url, caption }]
        if url.ends_with("m.jpg") && caption.contains("Margherita"))
    );
}

#[test]
fn state_survives_a_json_round_trip() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    say(&tenant, &mut state, "2x 2");
    let json = serde_json::to_string(&state).unwrap();
    let back: ConversationState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
}

/// A snapshot as the first release stored it (before languages and
/// handover existed) still loads, and the conversation goes on.
#[test]
fn snapshots_of_earlier_releases_still_load() {
    let stored = r#"{"plugin":"restaurant","step":"awaiting_address",
        "cart":[{"item_id":"cola","name":"Cola","unit_price":"2.50","quantity":2}],
        "delivery_address":null}"#;
    let mut state: ConversationState = serde_json::from_str(stored).unwrap();
    assert!(!state.handed_over());
    let summary = say(&pizzeria(), &mut state, "1 Main Street, Cork");
    assert!(summary.contains("• 2 x Cola – $5.00"), "{summary}");
}

#[test]
fn settings_shape_the_conversation_fee_minimum_branding_and_hours() {
    use chrono::TimeZone;
    let mut tenant = pizzeria();
    tenant.settings.greeting = Some("Ciao! Pizza time at Luigi's.".into());
    tenant.settings.branding = Some("Powered by Luigi's Family".into());
    tenant.settings.delivery_fee = Decimal::new(300, 2);
    tenant.settings.minimum_order = Decimal::new(1500, 2);
    tenant.settings.opening_hours = [("tue".to_string(), vec!["11:00-22:00".to_string()])].into();
    let tuesday = |h| Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0).unwrap();
    let mut state = ShopBot::RESTAURANT.initial_state();
    let mut at = |text: &'static str, hour| {
        let actions = ShopBot::RESTAURANT.handle(
            &tenant,
            &mut state,
            &Event::Message {
                text,
                at: tuesday(hour),
                attachment: None,
            },
        );
        match actions.as_slice() {
            [Action::Reply(reply)] => reply.clone(),
            other => panic!("{other:?}"),
        }
    };
    let hello = at("hi", 12);
    assert!(hello.starts_with("Ciao! Pizza time"), "{hello}");
    assert!(hello.ends_with("_Powered by Luigi's Family_"), "{hello}");
    at("1", 12);
    assert!(at("checkout", 12).contains("minimum order is $15.00; your cart comes to $10.50"));
    at("3", 12);
    at("3", 12);
    let closed = at("checkout", 23);
    assert!(
        closed.contains("closed right now") && closed.contains("Tue 11:00-22:00"),
        "{closed}"
    );
    assert!(at("checkout", 12).contains("delivery address"));
    let summary = at("12 Baker Street, London", 12);
    assert!(
        summary.contains("Delivery: $3.00\n*Total: $18.50*"),
        "{summary}"
    );
}

#[test]
fn a_huge_quantity_never_wraps_the_line_around() {
    let tenant = pizzeria();
    let mut state = ShopBot::RESTAURANT.initial_state();
    say(&tenant, &mut state, "menu");
    assert!(say(&tenant, &mut state, "1x 1").contains("Cart total: $10.50"));
    for text in ["4294967295x 1", "99x 1"] {
        let answer = say(&tenant, &mut state, text);
        assert!(answer.contains("99"), "{text}: {answer}");
    }
    let cart = &restaurant(&state).cart;
    assert_eq!(cart.len(), 1);
    assert_eq!(cart[0].quantity, 1, "the line kept its one unit");
    assert!(say(&tenant, &mut state, "98x 1").contains("Cart total: $1039.50"));
    assert!(
        say(&tenant, &mut state, "1x 1").contains("99"),
        "the 100th unit is refused"
    );
}

#[test]
fn a_conversation_another_bot_left_is_answered_never_silenced() {
    use crate::flow::FlowBot;
    let tenant = pizzeria();
    for bot in [ShopBot::RESTAURANT, ShopBot::RETAIL, ShopBot::PHARMACY] {
        let mut state = FlowBot.initial_state();
        let actions = bot.handle(&tenant, &mut state, &message("hi"));
        assert!(
            matches!(actions.as_slice(), [Action::Reply(reply)] if reply.contains("Luigi's")),
            "{bot:?}: {actions:?}"
        );
        assert_eq!(state.kind(), bot.kind(), "the state was adopted");
    }
    assert!(ShopBot::PHARMACY.wants_attachments());
    assert!(!ShopBot::RETAIL.wants_attachments());
}
