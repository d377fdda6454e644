//! A retail shop end to end: signed up as `retail`, a catalog with variants
//! and stock imported from CSV, a customer browses a category, searches
//! with a typo, is refused a sold-out variant with alternatives, and orders
//! over webhooks and the simulator; the stock goes down.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Backend, Platform};
use crate::on_both_backends;

const CATALOG_CSV: &str =
    "item_id,name,description,price,category,available,image_url,stock,variant
tee-white-m,T-shirt,,15.00,Shirts,,,10,White / M
tee-black-m,T-shirt,,15.00,Shirts,,,0,Black / M
run-42,Running sneakers,,80.00,Shoes,,,3,42
";

async fn a_shopper_finds_a_variant_and_orders_it(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, session, _) = platform
        .live_business("shop@example.com", "+1 555 010 1100", "retail", CATALOG_CSV)
        .await;
    let key = Some(key.as_str());
    let (_, me) = platform.me(key).await;
    assert_eq!(me["tenant"]["plugin_type"], "retail", "{me}");

    let customer = "15550101101";
    let says = |text: &'static str, total: usize| {
        platform
            .driver
            .customer_says(&platform.sim, &session, customer, text, total)
    };
    let shirts = says("shirts", 1).await.unwrap();
    assert!(
        shirts.contains("2. T-shirt (Black / M) – $15.00 (sold out)"),
        "{shirts}"
    );
    let found = says("sneakres", 2).await.unwrap();
    assert!(
        found.contains("3. Running sneakers (42) – $80.00 (3 left)"),
        "{found}"
    );
    let refused = says("2", 3).await.unwrap();
    assert!(
        refused.contains("sold out") && refused.contains("*1* T-shirt (White / M)"),
        "{refused}"
    );
    says("3", 4).await.unwrap();
    says("checkout", 5).await.unwrap();
    says("1 Market Street, Bristol", 6).await.unwrap();
    let placed = says("yes", 7).await.unwrap();
    assert!(placed.contains("*#1001* is placed ($80.00)"), "{placed}");

    let next = platform
        .driver
        .customer_says(&platform.sim, &session, "15550101102", "shoes", 1)
        .await
        .unwrap();
    assert!(
        next.contains("(2 left)"),
        "the listing follows the stock: {next}"
    );
    let (_, item) = platform
        .call(key, Method::GET, "/v1/menu/items/run-42", None)
        .await;
    assert_eq!(
        (&item["stock"], &item["variant"]),
        (&json!(2), &json!("42")),
        "{item}"
    );
}
on_both_backends!(a_shopper_finds_a_variant_and_orders_it);
