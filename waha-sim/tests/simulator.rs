//! The simulator answers as waha-api.md says WAHA does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};
use waha_sim::sign;
use waha_sim::{CustomerMedia, SessionStatus, Simulator, SimulatorConfig, WebhookConfig};

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook receiver that records every request and answers 200.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move { sink.lock().unwrap().push((headers, body)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn call(
    sim: &Simulator,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url()))
        .header("X-Api-Key", sim.api_key());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn requests_without_the_key_are_refused_with_wahas_body() {
    let sim = Simulator::start(SimulatorConfig::fast()).await.unwrap();
    let response = reqwest::get(format!("{}/api/sessions", sim.base_url()))
        .await
        .unwrap();
    // (the simulator installed the TLS provider this client needs)
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"message": "Unauthorized", "statusCode": 401})
    );
    let by_query = reqwest::get(format!(
        "{}/api/sessions?x-api-key={}",
        sim.base_url(),
        sim.api_key()
    ))
    .await
    .unwrap();
    assert_eq!(by_query.status(), 200);
}

#[tokio::test]
async fn a_session_pairs_sends_and_signs_its_webhooks() {
    let sim = Simulator::start(SimulatorConfig::fast()).await.unwrap();
    let (url, received) = receiver().await;
    let webhook = WebhookConfig::signed(&url, &["session.status", "message"], "s3cret");
    let (status, dto) = call(&sim, reqwest::Method::POST, "/api/sessions",
        Some(json!({"name": "shop", "start": true, "config": {"metadata": {"tenant.id": "7"}, "webhooks": [webhook]}}))).await;
    assert_eq!((status, dto["name"].as_str()), (201, Some("shop")));
    let (status, _) = call(
        &sim,
        reqwest::Method::POST,
        "/api/sessions",
        Some(json!({"name": "shop"})),
    )
    .await;
    assert_eq!(status, 422, "duplicate names are refused");

    let (status, body) = call(
        &sim,
        reqwest::Method::POST,
        "/api/sendText",
        Some(json!({"session": "shop", "chatId": "15551234567", "text": "hi"})),
    )
    .await;
    assert_eq!(status, 422, "cannot send before WORKING: {body}");
    assert_eq!(body["expected"], json!(["WORKING"]));

    let (status, raw) = call(
        &sim,
        reqwest::Method::GET,
        "/api/shop/auth/qr?format=raw",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(raw["value"].as_str().unwrap().starts_with("2@"));

    sim.scan("shop", "+1 555 000 1111", "Shop").unwrap();
    assert_eq!(sim.session_status("shop"), Some(SessionStatus::Working));
    let (status, sent) = call(
        &sim,
        reqwest::Method::POST,
        "/api/sendText",
        Some(json!({"session": "shop", "chatId": "15551234567", "text": "hello"})),
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        sent["id"]
            .as_str()
            .unwrap()
            .starts_with("true_15551234567@c.us_3EB0")
    );
    assert_eq!(sim.sent()[0].chat_id, "15551234567@c.us");

    sim.inject_customer_message("shop", "15551234567", "menu")
        .unwrap();
    let deliveries = sim.wait_for_deliveries(4, Duration::from_secs(5)).await;
    assert!(
        deliveries.iter().all(|d| d.status == Some(200)),
        "{deliveries:?}"
    );

    let received = received.lock().unwrap().clone();
    let events: Vec<Value> = received
        .iter()
        .map(|(_, b)| serde_json::from_slice(b).unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"message") && names.contains(&"session.status"),
        "{names:?}"
    );
    for (headers, body) in &received {
        assert_eq!(
            headers["x-webhook-hmac"].to_str().unwrap(),
            sign("s3cret", body)
        );
        assert_eq!(headers["x-webhook-hmac-algorithm"], "sha512");
    }
    let message = events.iter().find(|e| e["event"] == "message").unwrap();
    assert_eq!(message["metadata"], json!({"tenant.id": "7"}));
    assert_eq!(message["payload"]["from"], "15551234567@c.us");
    assert!(message["id"].as_str().unwrap().starts_with("evt_"));
}

#[tokio::test]
async fn failing_receivers_get_retries_until_the_attempts_run_out() {
    let sim = Simulator::start(SimulatorConfig::fast()).await.unwrap();
    let mut webhook =
        WebhookConfig::signed("http://127.0.0.1:9/unreachable", &["session.status"], "k");
    webhook.retries = Some(
        serde_json::from_value(json!({"policy": "constant", "delaySeconds": 0.01, "attempts": 3}))
            .unwrap(),
    );
    sim.create_session("s", vec![webhook], None, false).unwrap();
    let (status, _) = call(&sim, reqwest::Method::POST, "/api/sessions/s/start", None).await;
    assert_eq!(status, 201);
    // STARTING and SCAN_QR_CODE, three tries each.
    let deliveries = sim.wait_for_deliveries(6, Duration::from_secs(5)).await;
    let first_event = &deliveries[0].event_id;
    let tries: Vec<u32> = deliveries
        .iter()
        .filter(|d| &d.event_id == first_event)
        .map(|d| d.attempt)
        .collect();
    assert_eq!(tries, vec![1, 2, 3]);
}

#[tokio::test]
async fn an_unscanned_session_rotates_six_qr_codes_then_fails() {
    let config = SimulatorConfig {
        first_qr_ttl: Duration::from_millis(20),
        next_qr_ttl: Duration::from_millis(10),
        ..SimulatorConfig::fast()
    };
    let sim = Simulator::start(config).await.unwrap();
    let (url, received) = receiver().await;
    sim.create_session(
        "s",
        vec![WebhookConfig::signed(&url, &["session.status"], "k")],
        None,
        true,
    )
    .unwrap();
    let status = sim
        .wait_for_status("s", SessionStatus::Failed, Duration::from_secs(5))
        .await;
    assert_eq!(status, Some(SessionStatus::Failed));
    // STARTING, six SCAN_QR_CODE, FAILED.
    let deliveries = sim.wait_for_deliveries(8, Duration::from_secs(5)).await;
    assert_eq!(deliveries.len(), 8, "{deliveries:?}");
    let statuses: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<Value>(body).unwrap()["payload"]["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| *s == "SCAN_QR_CODE").count(),
        6,
        "{statuses:?}"
    );
    let (status, body) = call(&sim, reqwest::Method::GET, "/api/s/auth/qr", None).await;
    assert_eq!(status, 422, "no QR once failed: {body}");
}

#[tokio::test]
async fn me_is_null_until_paired_and_logout_forgets_the_phone() {
    let sim = Simulator::start(SimulatorConfig::fast()).await.unwrap();
    sim.create_session("s", vec![], None, true).unwrap();
    let (status, me) = call(&sim, reqwest::Method::GET, "/api/sessions/s/me", None).await;
    assert_eq!((status, me), (200, Value::Null));
    sim.pair("s", "15550001111", "Shop", Duration::from_secs(5))
        .await
        .unwrap();
    let (_, me) = call(&sim, reqwest::Method::GET, "/api/sessions/s/me", None).await;
    assert_eq!(me["id"], "15550001111@c.us");
    let (status, dto) = call(&sim, reqwest::Method::POST, "/api/sessions/s/logout", None).await;
    assert_eq!(status, 201);
    assert_eq!(dto["name"], "s");
    let back = sim
        .wait_for_status("s", SessionStatus::ScanQrCode, Duration::from_secs(5))
        .await;
    assert_eq!(
        back,
        Some(SessionStatus::ScanQrCode),
        "a new QR code after logout"
    );
    let (_, me) = call(&sim, reqwest::Method::GET, "/api/sessions/s/me", None).await;
    assert_eq!(me, Value::Null);
    let (status, _) = call(&sim, reqwest::Method::GET, "/api/sessions/nope", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_resend_under_the_same_message_id_is_acknowledged_but_not_delivered_twice() {
    let sim = Simulator::start(SimulatorConfig::fast()).await.unwrap();
    sim.create_session("s", vec![], None, true).unwrap();
    sim.pair("s", "15550001111", "Shop", Duration::from_secs(5))
        .await
        .unwrap();
    let body = json!({"session": "s", "chatId": "15551234567@c.us", "text": "hi", "id": "3EB0AAAABBBBCCCCDDDD11"});
    let (first, sent) = call(
        &sim,
        reqwest::Method::POST,
        "/api/sendText",
        Some(body.clone()),
    )
    .await;
    let (again, resent) = call(&sim, reqwest::Method::POST, "/api/sendText", Some(body)).await;
    assert_eq!((first, again), (201, 201));
    assert_eq!(sent["id"], resent["id"]);
    assert_eq!(sent["id"], "true_15551234567@c.us_3EB0AAAABBBBCCCCDDDD11");
    assert_eq!(sim.sent().len(), 1);
}

#[tokio::test]
async fn customer_media_is_announced_and_served_with_the_key_until_it_expires() {
    let config = SimulatorConfig {
        files_lifetime: Duration::from_millis(300),
        ..SimulatorConfig::fast()
    };
    let sim = Simulator::start(config).await.unwrap();
    let (url, received) = receiver().await;
    let webhook = WebhookConfig::signed(&url, &["message"], "s3cret");
    call(
        &sim,
        reqwest::Method::POST,
        "/api/sessions",
        Some(json!({"name": "pharma", "start": true, "config": {"webhooks": [webhook]}})),
    )
    .await;
    sim.wait_for_status("pharma", SessionStatus::ScanQrCode, Duration::from_secs(5))
        .await;
    sim.scan("pharma", "+1 555 000 2222", "Pharma").unwrap();
    let photo = CustomerMedia {
        bytes: b"\xFF\xD8\xFFprescription".to_vec(),
        mimetype: "image/jpeg".into(),
        filename: None,
    };
    let id = sim
        .inject_customer_media("pharma", "15557654321", "my prescription", photo)
        .unwrap();
    sim.wait_for_deliveries(1, Duration::from_secs(5)).await;
    let event: Value = serde_json::from_slice(&received.lock().unwrap()[0].1).unwrap();
    let payload = &event["payload"];
    assert_eq!(
        (&payload["id"], &payload["hasMedia"]),
        (&json!(id), &json!(true))
    );
    assert_eq!(payload["body"], "my prescription");
    assert_eq!(payload["media"]["mimetype"], "image/jpeg");
    let media_url = payload["media"]["url"].as_str().unwrap().to_owned();
    assert!(media_url.starts_with(&sim.base_url()) && media_url.ends_with(".jpg"));

    let without_key = reqwest::get(&media_url).await.unwrap();
    assert_eq!(without_key.status(), 401, "the file needs the API key");
    let with_key = reqwest::Client::new()
        .get(&media_url)
        .header("X-Api-Key", sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), 200);
    assert_eq!(with_key.headers()["content-type"], "image/jpeg");
    assert_eq!(
        &with_key.bytes().await.unwrap()[..],
        b"\xFF\xD8\xFFprescription"
    );

    tokio::time::sleep(Duration::from_millis(400)).await;
    let expired = reqwest::Client::new()
        .get(&media_url)
        .header("X-Api-Key", sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 404, "local files expire");
}
