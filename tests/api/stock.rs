//! Counted stock end to end: the last unit goes to the first order; a
//! customer already checking out is told it sold out and offered
//! alternatives; later customers are told at once; nothing is taken twice;
//! a cancelled order gives its units back.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Backend, Platform};
use crate::on_both_backends;

async fn the_last_unit_goes_to_one_customer_only(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, session, _) = platform
        .live_tenant("stock@example.com", "+1 555 010 1000")
        .await;
    let key = Some(key.as_str());
    let (_, created) = platform.create_api_key(key, json!({"name": "shelf"})).await;
    let (status, item) = platform
        .call(
            created["key"].as_str(),
            Method::PATCH,
            "/v1/menu/items/margherita",
            Some(json!({"stock": 1})),
        )
        .await;
    assert_eq!(
        (status, &item["stock"]),
        (200, &json!(1)),
        "staff count stock: {item}"
    );

    let (platform, session) = (&platform, session.as_str());
    let says = |customer: &'static str, texts: &'static [&'static str], from: usize| async move {
        let mut last = String::new();
        for (total, text) in (from..).zip(texts) {
            last = platform
                .driver
                .customer_says(&platform.sim, session, customer, text, total)
                .await
                .unwrap();
        }
        last
    };
    // The second customer is at the summary when the first one orders.
    let (first, second) = ("15550101001", "15550101002");
    says(second, &["1", "checkout", "Via Roma 2, Roma"], 1).await;
    let placed = says(first, &["1", "checkout", "Via Roma 1, Roma", "yes"], 1).await;
    assert!(placed.contains("*#1001* is placed"), "{placed}");
    let refused = says(second, &["yes"], 4).await;
    assert!(refused.contains("Margherita just sold out"), "{refused}");
    assert!(
        refused.contains("*2* Diavola"),
        "an alternative is offered: {refused}"
    );
    // A later customer is told at once.
    let at_once = says("15550101003", &["1"], 1).await;
    assert!(at_once.contains("Margherita is sold out"), "{at_once}");

    let (_, item) = platform
        .call(key, Method::GET, "/v1/menu/items/margherita", None)
        .await;
    assert_eq!(item["stock"], 0, "{item}");
    let (_, page) = platform.orders(key).await;
    assert_eq!(page["orders"].as_array().unwrap().len(), 1, "{page}");

    // Cancelling the order gives the unit back, and the bot sells it again.
    let order = format!("/v1/orders/{}", page["orders"][0]["id"].as_str().unwrap());
    let (status, cancelled) = platform
        .call(
            key,
            Method::PATCH,
            &order,
            Some(json!({"status": "cancelled", "reason": "The oven broke."})),
        )
        .await;
    assert_eq!((status, &cancelled["status"]), (200, &json!("cancelled")));
    let (_, item) = platform
        .call(key, Method::GET, "/v1/menu/items/margherita", None)
        .await;
    assert_eq!(item["stock"], 1, "the cancelled unit is back: {item}");
    let again = says("15550101004", &["1"], 1).await;
    assert!(again.contains("Added 1 x Margherita"), "{again}");

    let (status, _) = platform
        .call(
            key,
            Method::PATCH,
            "/v1/menu/items/margherita",
            Some(json!({"stock": null})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, item) = platform
        .call(key, Method::GET, "/v1/menu/items/margherita", None)
        .await;
    assert_eq!(item["stock"], serde_json::Value::Null, "no longer counted");
}
on_both_backends!(the_last_unit_goes_to_one_customer_only);
