//! Whole conversations through signed webhooks, asserted on what the
//! simulator was asked to send and on the rows stored.

use rust_decimal::Decimal;
use wabot_plugins::OrderStatus;

use crate::harness::{Backend, TestApp};
use crate::on_both_backends;

async fn a_customer_orders_two_items_and_follows_the_order_to_delivery(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = "15551230001@c.us";
    assert!(
        app.say(customer, "hi", 1)
            .await
            .contains("Welcome to *Luigi's Trattoria*")
    );
    assert!(
        app.say(customer, "menu", 2)
            .await
            .contains("1. Margherita – $10.50")
    );
    assert!(
        app.say(customer, "2x 1", 3)
            .await
            .contains("Cart total: $21.00")
    );
    assert!(
        app.say(customer, "6", 4)
            .await
            .contains("Cart total: $24.00")
    );
    assert!(
        app.say(customer, "checkout", 5)
            .await
            .contains("delivery address")
    );
    let summary = app.say(customer, "221B Baker Street, London", 6).await;
    assert!(
        summary.contains("*Total: $24.00*") && summary.contains("221B Baker Street"),
        "{summary}"
    );
    assert!(
        app.say(customer, "yes", 7)
            .await
            .contains("order *#1001* is placed ($24.00)")
    );

    let orders = app
        .server
        .store
        .list_orders(app.tenant_uuid())
        .await
        .unwrap();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(
        (order.order_number, order.status),
        (1001, OrderStatus::Pending)
    );
    assert_eq!(order.total, Decimal::new(2400, 2));
    assert_eq!(order.customer_phone, customer);
    assert_eq!(order.delivery_address, "221B Baker Street, London");
    let lines: Vec<_> = order
        .items
        .iter()
        .map(|l| (l.item_id.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, vec![("margherita", 2), ("lemonade", 1)]);

    let order_id = order.id.to_string();
    let notices = [
        ("confirmed", "is confirmed"),
        ("preparing", "is being prepared"),
        ("out_for_delivery", "is on its way"),
        ("delivered", "has been delivered"),
    ];
    for (n, (status, text)) in notices.into_iter().enumerate() {
        let changed = app
            .driver
            .set_order_status(&app.tenant_id, &order_id, status)
            .await
            .unwrap();
        assert_eq!(changed["status"], status);
        let notice = app
            .driver
            .wait_for_reply(&app.sim, customer, 8 + n)
            .await
            .unwrap();
        assert!(
            notice.contains("#1001") && notice.contains(text),
            "{notice}"
        );
    }
    let stored = app
        .server
        .store
        .list_orders(app.tenant_uuid())
        .await
        .unwrap();
    assert_eq!(stored[0].status, OrderStatus::Delivered);

    let seen = app
        .sim
        .sent()
        .iter()
        .filter(|r| r.kind == "seen" && r.chat_id == customer)
        .count();
    assert_eq!(seen, 7, "every customer message is marked read");
    assert_eq!(
        app.sent_to(customer).len(),
        11,
        "one reply per message and one notice per status"
    );
    assert!(
        app.sim.deliveries().iter().all(|d| d.status == Some(200)),
        "every webhook was acknowledged"
    );
}
on_both_backends!(a_customer_orders_two_items_and_follows_the_order_to_delivery);

async fn customers_of_one_tenant_keep_separate_carts_and_order_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, ben) = ("15551230002@c.us", "15551230003@c.us");
    app.say(ann, "3", 1).await;
    app.say(ben, "2x 7", 1).await;
    assert!(
        app.say(ann, "cart", 2)
            .await
            .contains("1 x Quattro Formaggi")
    );
    let ben_cart = app.say(ben, "cart", 2).await;
    assert!(
        ben_cart.contains("2 x Espresso") && !ben_cart.contains("Quattro"),
        "{ben_cart}"
    );
    for (customer, address) in [(ann, "1 First Street"), (ben, "2 Second Street")] {
        app.say(customer, "checkout", 3).await;
        app.say(customer, address, 4).await;
        app.say(customer, "yes", 5).await;
    }
    let mut numbers: Vec<(String, i64)> = app
        .server
        .store
        .list_orders(app.tenant_uuid())
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.customer_phone, o.order_number))
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        vec![(ann.to_owned(), 1001), (ben.to_owned(), 1002)]
    );
}
on_both_backends!(customers_of_one_tenant_keep_separate_carts_and_order_numbers);
