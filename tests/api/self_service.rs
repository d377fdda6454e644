//! The tenant admin API end to end: signup to a live bot and a first order
//! through the REST API and the WAHA simulator only; credentials and roles;
//! tenant isolation; the menu editor's limits and imports; order status
//! rules; the audit log.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use waha_sim::SessionStatus;

use crate::harness::{Backend, MENU_CSV, OPERATOR_TOKEN, Platform, error_code, eventually};
use crate::on_both_backends;

async fn a_new_business_goes_from_signup_to_a_first_order(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, tenant) = platform
        .sign_up("rosa@example.com", "+39 06 1234 5678")
        .await;
    let key = key.as_str();
    assert_eq!(tenant["status"], "trial");
    assert_eq!(tenant["subscription_tier"], "free");
    assert_eq!(tenant["waha_instance_id"], Value::Null);

    // No session yet: a clear 409.
    let (status, body) = platform.session(Some(key)).await;
    assert_eq!(status, 409, "{body}");

    let (status, session) = platform.start_session(Some(key)).await;
    assert_eq!(status, 200, "{session}");
    let name = session["name"].as_str().unwrap().to_owned();
    assert_eq!(session["waha_instance"], "waha-1");
    assert_eq!(session["live"], false);
    // Asking again is harmless.
    let (status, again) = platform.start_session(Some(key)).await;
    assert_eq!((status, &again["name"]), (200, &json!(name)), "{again}");

    platform
        .sim
        .wait_for_status(&name, SessionStatus::ScanQrCode, Duration::from_secs(5))
        .await;
    let png = reqwest::Client::new()
        .get(format!("{}/v1/whatsapp/session/qr", platform.server.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
    let (status, raw) = platform
        .call(
            Some(key),
            Method::GET,
            "/v1/whatsapp/session/qr?format=raw",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(!raw["value"].as_str().unwrap().is_empty());
    let (status, code) = platform
        .call(
            Some(key),
            Method::POST,
            "/v1/whatsapp/session/pairing-code",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{code}");
    assert_eq!(code["code"].as_str().unwrap().len(), 9);

    // The owner scans; WAHA's session.status webhook makes the bot live.
    platform.sim.scan(&name, "390612345678", "Rosa").unwrap();
    platform.wait_for_session_status(key, "WORKING").await;
    let (_, live) = platform.session(Some(key)).await;
    assert_eq!(live["live"], true, "{live}");

    let (status, imported) = platform.import_csv(key, MENU_CSV, "merge").await;
    assert_eq!(
        (status, &imported["imported"]),
        (200, &json!(3)),
        "{imported}"
    );

    let customer = "15550100001";
    let says = |text: &'static str, total: usize| {
        platform
            .driver
            .customer_says(&platform.sim, &name, customer, text, total)
    };
    assert!(says("hi", 1).await.unwrap().contains("Rosa's Pizzeria"));
    assert!(says("menu", 2).await.unwrap().contains("Margherita"));
    assert!(says("2x 1", 3).await.unwrap().contains("$19.00"));
    assert!(says("checkout", 4).await.unwrap().contains("address"));
    says("Via Roma 1", 5).await.unwrap();
    assert!(says("yes", 6).await.unwrap().contains("#1001"));

    let (status, page) = platform
        .call(Some(key), Method::GET, "/v1/orders?status=pending", None)
        .await;
    assert_eq!(status, 200, "{page}");
    let orders = page["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{page}");
    assert_eq!(orders[0]["total"], "19.00");
    let order_id = orders[0]["id"].as_str().unwrap().to_owned();

    let (status, order) = platform
        .call(
            Some(key),
            Method::PATCH,
            &format!("/v1/orders/{order_id}"),
            Some(json!({"status": "confirmed"})),
        )
        .await;
    assert_eq!(
        (status, &order["status"]),
        (200, &json!("confirmed")),
        "{order}"
    );
    for (next, expected) in [("pending", 409), ("bogus", 422)] {
        let (status, answer) = platform
            .call(
                Some(key),
                Method::PATCH,
                &format!("/v1/orders/{order_id}"),
                Some(json!({"status": next})),
            )
            .await;
        assert_eq!(status, expected, "{answer}");
    }
    let notice = platform
        .driver
        .wait_for_reply(&platform.sim, customer, 7)
        .await
        .unwrap();
    assert!(
        notice.contains("#1001") && notice.contains("confirmed"),
        "{notice}"
    );

    let (status, report) = platform
        .call(Some(key), Method::GET, "/v1/analytics", None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["orders"].as_u64(), report["revenue"].as_str()),
        (Some(1), Some("19.00"))
    );
    assert_eq!(report["average_order_value"], "19.00");
    assert_eq!(report["top_items"][0]["item_id"], "margherita");
    assert_eq!(report["top_items"][0]["quantity"], 2);
    assert_eq!(report["activity"]["messages_in"], 6);
    assert_eq!(report["activity"]["customers"], 1);
    assert_eq!(report["ordering_customers"], 1);
    // Billable: 6 customer messages and, once marked sent, 1 order notice.
    let usage = eventually("7 billable messages", Duration::from_secs(5), || async {
        let usage = platform.usage(Some(key)).await.1;
        (usage["messages"] == 7).then_some(usage)
    })
    .await;
    assert_eq!(
        (usage["messages"].as_u64(), usage["quota"].as_u64()),
        (Some(7), Some(100)),
        "{usage}"
    );
    assert_eq!(usage["remaining"], 93);
    assert_eq!(usage["invoice_preview"]["total"], "0");

    let csv = reqwest::Client::new()
        .get(format!("{}/v1/orders/export.csv", platform.server.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].starts_with("1001,") && lines[1].contains("2x Margherita"),
        "{csv}"
    );

    let (_, audit) = platform.audit_log(Some(key)).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "order.status",
            "menu.import_merge",
            "whatsapp_session.start",
            "whatsapp_session.start",
            "tenant.sign_up"
        ]
    );
    platform.server.stop().await;
}
on_both_backends!(a_new_business_goes_from_signup_to_a_first_order);

async fn credentials_are_checked_and_roles_limit_what_a_key_may_do(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (owner, _) = platform.sign_up("ann@example.com", "15550003333").await;
    let owner = owner.as_str();

    // Signup input and duplicates.
    let (status, body) = platform.sign_up_request(None, json!({"email": "not-an-email", "password": "correct horse battery",
                "business_name": "X", "business_type": "restaurant", "phone_number": "15550004444"}))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = platform.sign_up_request(None, json!({"email": "ANN@example.com", "password": "correct horse battery",
                "business_name": "X", "business_type": "restaurant", "phone_number": "15550004444"}))
        .await;
    assert_eq!(status, 409, "emails are case-insensitive: {body}");
    let (status, _) = platform
        .sign_up_request(
            None,
            json!({"email": "bob@example.com", "password": "short",
                "business_name": "X", "business_type": "pharmacy", "phone_number": "15550004444"}),
        )
        .await;
    assert_eq!(status, 422);

    // Login, a wrong password, logout.
    let login = |password: &'static str| {
        platform.log_in_request(
            None,
            json!({"email": "ann@example.com", "password": password}),
        )
    };
    let (status, body) = login("wrong password!").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("unauthorized"))
    );
    let (status, session) = login("correct horse battery").await;
    assert_eq!(status, 200, "{session}");
    let token = session["token"].as_str().unwrap();
    assert!(token.starts_with("wbs_"));
    let (status, me) = platform.me(Some(token)).await;
    assert_eq!((status, &me["role"]), (200, &json!("owner")));
    assert_eq!(me["actor"], "user:ann@example.com");
    let (status, _) = platform
        .call(Some(token), Method::POST, "/v1/logout", None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = platform.me(Some(token)).await;
    assert_eq!(status, 401, "a logged-out token no longer works");

    // Missing, unknown and operator credentials.
    assert_eq!(platform.me(None).await.0, 401);
    assert_eq!(platform.me(Some("wbk_made_up")).await.0, 401);
    assert_eq!(platform.me(Some(OPERATOR_TOKEN)).await.0, 403);

    // A staff key: reads, toggles availability, cannot manage keys or edit items.
    let (status, created) = platform
        .create_api_key(Some(owner), json!({"name": "counter tablet"}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["api_key"]["role"], "staff");
    let staff = created["key"].as_str().unwrap();
    let staff_id = created["api_key"]["id"].as_str().unwrap();
    platform.import_csv(owner, MENU_CSV, "merge").await;
    assert_eq!(platform.api_keys(Some(staff)).await.0, 403);
    assert_eq!(platform.import_csv(staff, MENU_CSV, "replace").await.0, 403);
    let (status, _) = platform
        .call(
            Some(staff),
            Method::PATCH,
            "/v1/menu/items/diavola",
            Some(json!({"price": "1.00"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, item) = platform
        .call(
            Some(staff),
            Method::PATCH,
            "/v1/menu/items/diavola",
            Some(json!({"available": false})),
        )
        .await;
    assert_eq!((status, &item["available"]), (200, &json!(false)), "{item}");
    assert_eq!(item["price"], "11.00");

    // Listing shows the prefix, never the key; revoking stops it at once.
    let (_, keys) = platform.api_keys(Some(owner)).await;
    let listed = keys.to_string();
    assert!(
        !listed.contains(staff) && listed.contains(&staff[..8]),
        "{listed}"
    );
    let (status, revoked) = platform
        .call(
            Some(owner),
            Method::DELETE,
            &format!("/v1/api-keys/{staff_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(platform.me(Some(staff)).await.0, 401);
    platform.server.stop().await;
}
on_both_backends!(credentials_are_checked_and_roles_limit_what_a_key_may_do);

async fn one_tenants_key_cannot_reach_another_tenants_rows(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (alice, _) = platform.sign_up("alice@example.com", "15550005555").await;
    let (bob, _) = platform.sign_up("bob@example.com", "15550006666").await;
    platform.import_csv(&alice, MENU_CSV, "merge").await;
    let (_, created) = platform
        .create_api_key(Some(&alice), json!({"name": "k"}))
        .await;
    let alice_key_id = created["api_key"]["id"].as_str().unwrap().to_owned();

    // Bob sees none of Alice's items, and cannot change or delete them.
    let (_, bobs_menu) = platform.menu_items(Some(&bob)).await;
    assert_eq!(bobs_menu, json!([]));
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"available": false}))),
        (Method::DELETE, None),
    ] {
        let (status, answer) = platform
            .call(Some(&bob), method, "/v1/menu/items/margherita", body)
            .await;
        assert_eq!(status, 404, "{answer}");
    }
    let (status, _) = platform
        .call(
            Some(&bob),
            Method::DELETE,
            &format!("/v1/api-keys/{alice_key_id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = platform
        .call(
            Some(&bob),
            Method::PATCH,
            "/v1/orders/0190a0b0-0000-7000-8000-000000000000",
            Some(json!({"status": "confirmed"})),
        )
        .await;
    assert_eq!(status, 404);

    // Alice's rows are untouched; her key still works; Bob's audit log is his own.
    let (_, item) = platform
        .call(Some(&alice), Method::GET, "/v1/menu/items/margherita", None)
        .await;
    assert_eq!(item["available"], true);
    let (_, keys) = platform.api_keys(Some(&alice)).await;
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k["revoked_at"].is_null())
    );
    let (_, audit) = platform.audit_log(Some(&bob)).await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor"], "user:bob@example.com");
    platform.server.stop().await;
}
on_both_backends!(one_tenants_key_cannot_reach_another_tenants_rows);

async fn the_menu_editor_checks_rows_and_the_tier_limit(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, _) = platform.sign_up("carla@example.com", "15550007777").await;
    let key = key.as_str();
    platform.import_csv(key, MENU_CSV, "merge").await;

    // Bad rows: every one is reported, nothing is imported.
    let bad = "item_id,name,description,price,category,available,image_url
ok,Fine,,1.00,Misc,,
neg,Negative,,-1,Misc,,
,Nameless id,,1.00,Misc,,
cheap,Cheap,,abc,Misc,,
ok,Twice,,1.00,Misc,,
";
    let (status, answer) = platform.import_csv(key, bad, "merge").await;
    assert_eq!(status, 422, "{answer}");
    let rows: Vec<u64> = answer["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [2, 3, 4, 5], "{answer}");
    let (_, menu) = platform.menu_items(Some(key)).await;
    assert_eq!(menu.as_array().unwrap().len(), 3, "nothing half-imported");

    // JSON import, items and categories.
    let (status, _) = platform
        .add_item(
            Some(key),
            json!({"item_id": "cola", "name": "Cola", "price": "2.50", "category": "Drinks"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = platform
        .add_item(
            Some(key),
            json!({"item_id": "cola", "name": "Cola", "price": "2.50", "category": "Drinks"}),
        )
        .await;
    assert_eq!(status, 409);
    let (_, categories) = platform
        .call(Some(key), Method::GET, "/v1/menu/categories", None)
        .await;
    assert_eq!(
        categories,
        json!([
            {"name": "Pizzas", "items": 2, "available": 2},
            {"name": "Desserts", "items": 1, "available": 1},
            {"name": "Drinks", "items": 1, "available": 1},
        ])
    );
    let (status, _) = platform
        .call(Some(key), Method::DELETE, "/v1/menu/items/cola", None)
        .await;
    assert_eq!(status, 204);

    // The free tier allows 20 items: 17 more fit, 18 do not, and a refused
    // import changes nothing.
    let items = |count: usize| {
        let items: Vec<Value> = (0..count)
            .map(|n| json!({"item_id": format!("extra{n}"), "name": format!("Extra {n}"), "price": "1.00", "category": "Extras"}))
            .collect();
        json!({"items": items})
    };
    let (status, answer) = platform
        .call(Some(key), Method::POST, "/v1/menu/import", Some(items(18)))
        .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (403, &json!("forbidden")),
        "{answer}"
    );
    let (_, menu) = platform.menu_items(Some(key)).await;
    assert_eq!(menu.as_array().unwrap().len(), 3);
    let (status, answer) = platform
        .call(Some(key), Method::POST, "/v1/menu/import", Some(items(17)))
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = platform.add_item(Some(key), json!({"item_id": "one-more", "name": "One more", "price": "1.00", "category": "Extras"}))
        .await;
    assert_eq!(status, 403);
    let (status, answer) = platform
        .call(
            Some(key),
            Method::POST,
            "/v1/menu/import?mode=replace",
            Some(items(2)),
        )
        .await;
    assert_eq!((status, &answer["imported"]), (200, &json!(2)));
    let (_, menu) = platform.menu_items(Some(key)).await;
    assert_eq!(menu.as_array().unwrap().len(), 2);
    platform.server.stop().await;
}
on_both_backends!(the_menu_editor_checks_rows_and_the_tier_limit);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route() {
    let platform = Platform::start(Backend::Sqlite).await;
    let (status, doc) = platform
        .call(None, Method::GET, "/openapi.json", None)
        .await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/signup",
        "/v1/login",
        "/v1/logout",
        "/v1/me",
        "/v1/api-keys",
        "/v1/api-keys/{key_id}",
        "/v1/whatsapp/session",
        "/v1/whatsapp/session/qr",
        "/v1/whatsapp/session/pairing-code",
        "/v1/whatsapp/session/restart",
        "/v1/whatsapp/session/logout",
        "/v1/menu/items",
        "/v1/menu/items/{item_id}",
        "/v1/menu/categories",
        "/v1/menu/import",
        "/v1/orders",
        "/v1/orders/{order_id}",
        "/v1/orders/export.csv",
        "/v1/audit-log",
        "/v1/analytics",
        "/v1/usage",
        "/v1/operator/waha-instances",
        "/v1/operator/tenants",
        "/v1/operator/tenants/{tenant_id}",
        "/v1/operator/tenants/{tenant_id}/menu",
        "/v1/operator/tenants/{tenant_id}/orders",
        "/v1/operator/tenants/{tenant_id}/orders/{order_id}",
        "/webhooks/waha",
        "/metrics",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    let docs = reqwest::get(format!("{}/docs/", platform.server.url))
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    platform.server.stop().await;
}

async fn gateway_failures_get_answers_a_tenant_can_act_on(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, _) = platform.sign_up("dora@example.com", "15550008888").await;
    let key = key.as_str();
    let (_, session) = platform.start_session(Some(key)).await;
    let name = session["name"].as_str().unwrap().to_owned();
    platform
        .sim
        .wait_for_status(&name, SessionStatus::ScanQrCode, Duration::from_secs(5))
        .await;
    platform.sim.scan(&name, "15550008888", "Dora").unwrap();
    platform.wait_for_session_status(key, "WORKING").await;

    // A QR code only exists while WAHA waits for a scan.
    let (status, answer) = platform
        .call(
            Some(key),
            Method::GET,
            "/v1/whatsapp/session/qr?format=raw",
            None,
        )
        .await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("WORKING")
    );

    // WAHA unreachable: 503 with Retry-After, and the stored status stays.
    platform.sim.go_offline().await;
    let (status, answer) = platform.session(Some(key)).await;
    assert_eq!(
        (status, error_code(&answer)),
        (503, "unavailable"),
        "{answer}"
    );
    let (_, me) = platform.me(Some(key)).await;
    assert_eq!(me["tenant"]["session_status"], "WORKING");
    platform.sim.go_online().await.unwrap();
    let (status, live) = platform.session(Some(key)).await;
    assert_eq!((status, &live["live"]), (200, &json!(true)), "{live}");
    platform.server.stop().await;
}
on_both_backends!(gateway_failures_get_answers_a_tenant_can_act_on);
