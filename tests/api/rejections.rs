//! Bad input gets a clear error and changes nothing.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{
    Backend, OPERATOR_TOKEN, SESSION, TestApp, error_code, eventually, signed_message_event,
};
use crate::on_both_backends;

const CUSTOMER: &str = "15551239999@c.us";

/// Nothing reached the bot or the database for `CUSTOMER`.
async fn assert_untouched(app: &TestApp) {
    assert!(
        app.sent_to(CUSTOMER).is_empty(),
        "nothing was sent to the customer"
    );
    assert!(
        app.sim.sent().iter().all(|r| r.chat_id != CUSTOMER),
        "not even a read receipt"
    );
    let stored = app
        .server
        .store
        .load_conversation(app.tenant_uuid(), CUSTOMER)
        .await
        .unwrap();
    assert!(stored.is_none(), "no conversation was stored");
    assert!(
        app.server
            .store
            .list_orders(app.tenant_uuid())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn forged_malformed_unknown_stale_and_oversized_webhooks_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let (body, mut headers) = signed_message_event(SESSION, CUSTOMER, "menu", false);
    headers[0].1 = waha_sim::sign("not-the-secret", &body);
    let (status, answer) = app.post_webhook(body, &headers).await;
    assert_eq!(
        (status, error_code(&answer)),
        (401, "unauthorized"),
        "{answer}"
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signature")
    );

    let (body, headers) = signed_message_event(SESSION, CUSTOMER, "menu", false);
    let (status, _) = app.post_webhook(body.clone(), &headers[1..]).await;
    assert_eq!(status, 401, "a missing signature is refused");
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'm').unwrap();
    tampered[at] = b'n';
    assert_eq!(
        app.post_webhook(tampered, &headers).await.0,
        401,
        "a changed body is refused"
    );
    let sha256 = vec![
        headers[0].clone(),
        ("X-Webhook-Hmac-Algorithm", "sha256".to_owned()),
    ];
    assert_eq!(
        app.post_webhook(body, &sha256).await.0,
        401,
        "another algorithm is refused"
    );

    let (status, answer) = app.post_webhook(b"{not json".to_vec(), &[]).await;
    assert_eq!(
        (status, error_code(&answer)),
        (400, "bad_request"),
        "{answer}"
    );

    let (body, headers) = signed_message_event("nobody", CUSTOMER, "menu", false);
    let (status, answer) = app.post_webhook(body, &headers).await;
    assert_eq!((status, error_code(&answer)), (404, "not_found"));
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody")
    );

    let incomplete = serde_json::to_vec(&json!({
        "id": "evt_1", "timestamp": chrono::Utc::now().timestamp_millis(), "event": "message",
        "session": SESSION, "payload": {"body": "no id and no sender"},
    }))
    .unwrap();
    let signature = waha_sim::sign(crate::harness::SECRET, &incomplete);
    let (status, answer) = app
        .post_webhook(incomplete, &[("X-Webhook-Hmac", signature)])
        .await;
    assert_eq!(status, 400, "{answer}");

    let stale = serde_json::to_vec(&json!({
        "id": "evt_2", "timestamp": chrono::Utc::now().timestamp_millis() - 2 * 3600 * 1000, "event": "message",
        "session": SESSION, "payload": {"id": "false_x_1", "from": CUSTOMER, "fromMe": false, "body": "menu"},
    }))
    .unwrap();
    let signature = waha_sim::sign(crate::harness::SECRET, &stale);
    let (status, answer) = app
        .post_webhook(stale, &[("X-Webhook-Hmac", signature)])
        .await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stale")
    );

    let (status, answer) = app.post_webhook(vec![b' '; 70 * 1024], &[]).await;
    assert_eq!(
        (status, error_code(&answer)),
        (413, "payload_too_large"),
        "{answer}"
    );

    assert_untouched(&app).await;
}
on_both_backends!(forged_malformed_unknown_stale_and_oversized_webhooks_are_refused);

async fn own_group_and_channel_messages_are_acknowledged_and_ignored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (from, from_me, reason) in [
        (CUSTOMER, true, "own message"),
        ("120363000000000000@g.us", false, "group chat"),
        ("120363000000000001@newsletter", false, "channel"),
        ("status@broadcast", false, "status update"),
    ] {
        let (body, headers) = signed_message_event(SESSION, from, "menu", from_me);
        let (status, answer) = app.post_webhook(body, &headers).await;
        assert_eq!(status, 200, "WAHA must not retry these");
        assert_eq!(answer, json!({"status": "ignored", "reason": reason}));
    }
    assert!(
        app.sim.sent().iter().all(|r| r.kind != "text"),
        "the bot said nothing"
    );
    assert_untouched(&app).await;
}
on_both_backends!(own_group_and_channel_messages_are_acknowledged_and_ignored);

async fn operator_requests_with_bad_credentials_or_input_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", app.server.url);
    let orders_path = format!("/v1/operator/tenants/{}/orders", app.tenant_id);

    let no_token = client.get(url(&orders_path)).send().await.unwrap();
    assert_eq!(no_token.status(), 401);
    let wrong = client
        .get(url(&orders_path))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let menu_path = format!("/v1/operator/tenants/{}/menu", app.tenant_id);
    let bad_menu = json!({"items": [
        {"item_id": "a", "name": "A", "price": "1.00", "category": "X"},
        {"item_id": "b", "name": "", "price": "1.00", "category": "X"},
    ]});
    let response = client
        .put(url(&menu_path))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&bad_menu)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["error"]["details"],
        json!([{"row": 2, "item_id": "b", "message": "name must not be empty"}]),
        "{answer}"
    );
    let menu: Value = client
        .get(url(&menu_path))
        .bearer_auth(OPERATOR_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        menu["items"].as_array().unwrap().len(),
        7,
        "the old menu is intact"
    );

    let not_json = client
        .put(url(&menu_path))
        .bearer_auth(OPERATOR_TOKEN)
        .header("Content-Type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);

    let unknown = format!("/v1/operator/tenants/{}/orders", Uuid::new_v4());
    let response = client
        .get(url(&unknown))
        .bearer_auth(OPERATOR_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = client
        .get(url("/v1/operator/tenants/not-a-uuid"))
        .bearer_auth(OPERATOR_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let duplicate = json!({
        "business_name": "Copycat", "phone_number": "+1 555 000 1111", "plugin_type": "restaurant",
        "session_name": "copycat", "webhook_secret": "another-secret-0123456789", "waha_instance_id": app.instance_id,
    });
    let response = client
        .post(url("/v1/operator/tenants"))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&duplicate)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409, "the phone number is taken");
    let mut unknown_plugin = duplicate.clone();
    unknown_plugin["phone_number"] = json!("+1 555 000 2222");
    unknown_plugin["plugin_type"] = json!("casino");
    let response = client
        .post(url("/v1/operator/tenants"))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&unknown_plugin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    let customer = "15551230030@c.us";
    for (n, line) in ["1", "checkout", "5 Fifth Avenue", "yes"]
        .into_iter()
        .enumerate()
    {
        app.say(customer, line, n + 1).await;
    }
    let order = app
        .server
        .store
        .list_orders(app.tenant_uuid())
        .await
        .unwrap()
        .remove(0);
    let order_path = format!("/v1/operator/tenants/{}/orders/{}", app.tenant_id, order.id);
    let skip = client
        .patch(url(&order_path))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&json!({"status": "delivered"}))
        .send()
        .await
        .unwrap();
    assert_eq!(skip.status(), 409, "pending cannot jump to delivered");
    let nonsense = client
        .patch(url(&order_path))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&json!({"status": "teleported"}))
        .send()
        .await
        .unwrap();
    assert_eq!(nonsense.status(), 422);
    let stored = app
        .server
        .store
        .list_orders(app.tenant_uuid())
        .await
        .unwrap();
    assert_eq!(stored[0].status, wabot_plugins::OrderStatus::Pending);
    assert_eq!(
        app.sent_to(customer).len(),
        4,
        "no notice for refused changes"
    );
}
on_both_backends!(operator_requests_with_bad_credentials_or_input_change_nothing);

async fn past_the_in_flight_budget_webhooks_are_refused_with_retry_after(backend: Backend) {
    for (tenant_budget, global_budget, status, code) in [
        (0, 100, 429, "too_many_requests"),
        (100, 0, 503, "unavailable"),
    ] {
        let app = TestApp::spawn_with(backend, |settings| {
            settings.ingress.max_in_flight_per_tenant = tenant_budget;
            settings.ingress.max_in_flight = global_budget;
        })
        .await;
        let (body, headers) = signed_message_event(SESSION, CUSTOMER, "menu", false);
        let response = reqwest::Client::new()
            .post(format!("{}/webhooks/waha", app.server.url))
            .header("Content-Type", "application/json")
            .header(headers[0].0, &headers[0].1)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["retry-after"], "1");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(error_code(&answer), code);
        assert!(
            app.server.store.unprocessed().await.unwrap().is_empty(),
            "nothing was stored"
        );
        assert_untouched(&app).await;
    }
}
on_both_backends!(past_the_in_flight_budget_webhooks_are_refused_with_retry_after);

async fn a_customer_over_the_message_limit_is_told_to_retry_and_nothing_is_stored(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |s| s.limits.customer_messages_per_minute = 2).await;
    let flooder = "15551230077@c.us";
    for text in ["hi", "menu"] {
        let (body, headers) = signed_message_event(SESSION, flooder, text, false);
        let (status, answer) = app.post_webhook(body, &headers).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (body, headers) = signed_message_event(SESSION, flooder, "menu", false);
    let (status, answer) = app.post_webhook(body.clone(), &headers).await;
    assert_eq!(
        (status, error_code(&answer)),
        (429, "too_many_requests"),
        "{answer}"
    );
    // Another customer of the same tenant is not affected.
    let (other, headers_other) = signed_message_event(SESSION, CUSTOMER, "hi", false);
    assert_eq!(app.post_webhook(other, &headers_other).await.0, 200);
    // The refused message was not stored: the bot answers the first two only.
    app.driver
        .wait_for_reply(&app.sim, flooder, 2)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.sent_to(flooder).len(), 2);
    app.server.stop().await;
}
on_both_backends!(a_customer_over_the_message_limit_is_told_to_retry_and_nothing_is_stored);

/// A signed `session.status` event for `SESSION`, stamped `timestamp_ms`.
fn signed_status_event(status: &str, timestamp_ms: i64) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let event = json!({
        "id": format!("evt_{}", Uuid::new_v4().simple()),
        "timestamp": timestamp_ms,
        "event": "session.status",
        "session": SESSION,
        "payload": {"status": status},
    });
    let bytes = serde_json::to_vec(&event).unwrap();
    let signature = waha_sim::sign(crate::harness::SECRET, &bytes);
    (bytes, vec![("X-Webhook-Hmac", signature)])
}

async fn a_late_older_session_status_does_not_overwrite_a_newer_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = chrono::Utc::now().timestamp_millis();
    let stored = || async {
        app.server
            .store
            .get_tenant(app.tenant_uuid())
            .await
            .unwrap()
            .session_status
    };
    // The simulator's WORKING event reaches the server asynchronously.
    eventually(
        "the session is stored as WORKING",
        std::time::Duration::from_secs(5),
        || async { (stored().await == "WORKING").then_some(()) },
    )
    .await;

    // A retried SCAN_QR_CODE from a minute ago arrives after WORKING.
    let (body, headers) = signed_status_event("SCAN_QR_CODE", now - 60_000);
    let (status, answer) = app.post_webhook(body, &headers).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("ignored")),
        "{answer}"
    );
    assert_eq!(stored().await, "WORKING");
    // The bot still answers: the session actor was not told to hold.
    assert!(app.say(CUSTOMER, "menu", 1).await.contains("Menu"));

    // A newer report is recorded.
    let (body, headers) = signed_status_event("FAILED", now + 1_000);
    let (status, answer) = app.post_webhook(body, &headers).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("accepted")),
        "{answer}"
    );
    assert_eq!(stored().await, "FAILED");
    app.server.stop().await;
}
on_both_backends!(a_late_older_session_status_does_not_overwrite_a_newer_one);
