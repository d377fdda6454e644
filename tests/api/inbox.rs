//! The durable inbox: exact dedupe, replay after a crash, one order per
//! confirmed checkout.

use rust_decimal::Decimal;
use serde_json::json;
use wabot_actors::{Appended, NewInboxEvent};
use wabot_plugins::{OrderDraft, OrderLine};

use crate::harness::{Backend, SESSION, TestApp, signed_message_event};
use crate::on_both_backends;

async fn a_redelivered_message_is_acknowledged_and_answered_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = "15551230040@c.us";
    let (body, headers) = signed_message_event(SESSION, customer, "menu", false);
    let (status, first) = app.post_webhook(body.clone(), &headers).await;
    assert_eq!((status, first), (200, json!({"status": "accepted"})));
    let (status, again) = app.post_webhook(body, &headers).await;
    assert_eq!(
        (status, again),
        (
            200,
            json!({"status": "duplicate", "reason": "already received"})
        )
    );
    app.driver
        .wait_for_reply(&app.sim, customer, 1)
        .await
        .unwrap();
    // A later message is answered as the second reply: the duplicate made none.
    assert!(app.say(customer, "cart", 2).await.contains("cart is empty"));
    assert_eq!(app.sent_to(customer).len(), 2);
}
on_both_backends!(a_redelivered_message_is_acknowledged_and_answered_once);

async fn stored_but_unprocessed_messages_are_replayed_at_start_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = "15551230041@c.us";
    // As if the server died right after acknowledging these two messages.
    let events: Vec<NewInboxEvent> = ["2x 1", "cart"]
        .iter()
        .enumerate()
        .map(|(n, text)| NewInboxEvent {
            tenant_id: app.tenant_uuid(),
            session: SESSION.to_owned(),
            message_id: format!("false_{customer}_3EB0REPLAY{n}"),
            customer: customer.to_owned(),
            text: (*text).to_owned(),
            media: None,
        })
        .collect();
    let outcomes = app.server.store.append(&events).await.unwrap();
    assert!(matches!(
        outcomes.as_slice(),
        [Appended::Stored(_), Appended::Stored(_)]
    ));
    assert_eq!(
        app.server.store.append(&events[..1]).await.unwrap(),
        vec![Appended::Duplicate]
    );

    let app = app.restart().await;
    let cart = app
        .driver
        .wait_for_reply(&app.sim, customer, 2)
        .await
        .unwrap();
    assert!(cart.contains("2 x Margherita"), "replayed in order: {cart}");
    app.wait_until_handled().await;
}
on_both_backends!(stored_but_unprocessed_messages_are_replayed_at_start_up);

async fn a_confirmed_checkout_places_one_order_however_often_it_is_replayed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let draft = OrderDraft {
        lines: vec![OrderLine {
            item_id: "margherita".into(),
            name: "Margherita".into(),
            unit_price: Decimal::new(1050, 2),
            quantity: 1,
        }],
        total: Decimal::new(1050, 2),
        prescription: None,
        delivery_address: "1 Replay Road".into(),
    };
    let store = &app.server.store;
    let first = store
        .place_order(
            app.tenant_uuid(),
            "15551230042@c.us",
            &draft,
            "false_x_3EB0YES",
        )
        .await
        .unwrap();
    let again = store
        .place_order(
            app.tenant_uuid(),
            "15551230042@c.us",
            &draft,
            "false_x_3EB0YES",
        )
        .await
        .unwrap();
    assert_eq!(first, again);
    let other = store
        .place_order(
            app.tenant_uuid(),
            "15551230042@c.us",
            &draft,
            "false_x_3EB0YES2",
        )
        .await
        .unwrap();
    assert_eq!(other.order_number, first.order_number + 1);
    assert_eq!(store.list_orders(app.tenant_uuid()).await.unwrap().len(), 2);
}
on_both_backends!(a_confirmed_checkout_places_one_order_however_often_it_is_replayed);
