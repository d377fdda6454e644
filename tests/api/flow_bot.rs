//! A flow bot end to end: an enterprise tenant uploads the sample flow
//! (`plugins/transcripts/flow/pizza.json`) through the API, broken flows are
//! refused with every problem named, and a customer orders through the flow
//! over real webhooks and the WAHA simulator.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Backend, Platform, error_code};
use crate::on_both_backends;

fn sample_flow() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/plugins/transcripts/flow/pizza.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn an_enterprise_tenant_runs_its_own_flow(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, session, tenant_id) = platform
        .live_tenant("flow@example.com", "+1 555 010 0900")
        .await;
    let key = Some(key.as_str());
    let (status, refused) = platform.put_flow(key, sample_flow()).await;
    assert_eq!(
        (status, error_code(&refused)),
        (403, "forbidden"),
        "{refused}"
    );
    let (status, _) = platform
        .call(
            Some(platform.driver.token()),
            Method::PATCH,
            &format!("/v1/operator/tenants/{tenant_id}"),
            Some(json!({"tier": "enterprise"})),
        )
        .await;
    assert_eq!(status, 200);

    let malformed = json!({"start": "a", "nodes": {"a": {"type": "mesage", "text": "hi"}}});
    let (status, _) = platform.put_flow(key, malformed).await;
    assert_eq!(status, 400, "an unknown node type is not a flow");
    let broken = json!({"start": "a", "nodes": {
        "a": {"type": "message", "text": "Hi {name}", "next": "b"},
        "lost": {"type": "add_to_cart", "item_id": "sushi", "next": "a"}
    }});
    let (status, problems) = platform.put_flow(key, broken).await;
    assert_eq!(
        (status, error_code(&problems)),
        (422, "invalid"),
        "{problems}"
    );
    let message = problems["error"]["message"].as_str().unwrap();
    for expected in [
        "unknown node \"b\"",
        "missing variable \"name\"",
        "item \"sushi\" is not on the menu",
        "node \"lost\": unreachable",
    ] {
        assert!(message.contains(expected), "{expected} in {message}");
    }
    let (status, _) = platform.flow(key).await;
    assert_eq!(status, 404, "nothing was stored");

    let (status, stored) = platform.put_flow(key, sample_flow()).await;
    assert_eq!(status, 200, "{stored}");
    let (_, me) = platform.me(key).await;
    assert_eq!(me["tenant"]["plugin_type"], "flow", "{me}");

    let customer = "15550100901";
    let says = |text: &'static str, total: usize| {
        platform
            .driver
            .customer_says(&platform.sim, &session, customer, text, total)
    };
    assert!(says("hi", 2).await.unwrap().contains("*1.* Order a pizza"));
    assert!(says("1", 3).await.unwrap().contains("Which pizza?"));
    assert!(
        says("1", 4)
            .await
            .unwrap()
            .contains("How many margherita pizzas?")
    );
    assert!(
        says("2", 5)
            .await
            .unwrap()
            .contains("Where should we deliver?")
    );
    let confirm = says("Via Roma 1, Roma", 6).await.unwrap();
    assert!(confirm.contains("That is $19.00"), "{confirm}");
    let placed = says("yes", 7).await.unwrap();
    assert!(placed.contains("Order #1001 is in the oven"), "{placed}");

    let (_, page) = platform.orders(key).await;
    let order = &page["orders"][0];
    assert_eq!(
        (
            &order["total"],
            &order["delivery_address"],
            &order["items"][0]["quantity"]
        ),
        (&json!("19.00"), &json!("Via Roma 1, Roma"), &json!(2)),
        "{page}"
    );
    let (_, audit) = platform.audit_log(key).await;
    assert_eq!(audit["entries"][0]["action"], "flow.upload", "{audit}");
}
on_both_backends!(an_enterprise_tenant_runs_its_own_flow);
