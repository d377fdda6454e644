//! Rate limits shared through a real Redis: two nodes (two servers on one
//! database, or two limiter sets) count against the same budgets, each test
//! under its own key prefix.

use reqwest::Method;
use uuid::Uuid;
use wabot::rate_limits::{LimitSettings, RateLimits};
use wabot::storage::models::{Principal, Role};

use crate::helpers::{
    Backend, SESSION, Server, TestApp, error_code, redis_url, signed_message_event, test_settings,
};
use crate::on_both_backends;

fn shared(prefix: &str) -> LimitSettings {
    LimitSettings {
        admin_per_credential_per_minute: 2,
        admin_per_tenant_per_minute: 100,
        customer_messages_per_minute: 3,
        redis_url: Some(redis_url()),
        redis_prefix: prefix.to_owned(),
    }
}

#[tokio::test]
async fn two_nodes_draw_on_one_budget() {
    let prefix = format!("wabot-test:{}", Uuid::new_v4().simple());
    let connect = || async {
        RateLimits::new(&shared(&prefix))
            .await
            .expect("Redis is required (set TEST_REDIS_URL, or run ./scripts/test.sh)")
    };
    let (node_a, node_b) = (connect().await, connect().await);
    let tenant = Uuid::new_v4();
    assert!(node_a.customer_message(tenant, "1@c.us").await);
    assert!(node_b.customer_message(tenant, "1@c.us").await);
    assert!(node_a.customer_message(tenant, "1@c.us").await);
    assert!(
        !node_b.customer_message(tenant, "1@c.us").await,
        "the fourth message in a minute is over the limit on any node"
    );
    assert!(node_b.customer_message(tenant, "2@c.us").await);

    let key = Principal {
        tenant_id: tenant,
        role: Role::Owner,
        actor: "api_key:wbk_abc".to_owned(),
    };
    assert!(node_a.admin_request(&key).await.is_ok());
    assert!(node_b.admin_request(&key).await.is_ok());
    assert!(node_a.admin_request(&key).await.is_err());
}

async fn a_flood_spread_over_two_servers_is_still_limited(backend: Backend) {
    let prefix = format!("wabot-test:{}", Uuid::new_v4().simple());
    let tune = |settings: &mut wabot::Settings| {
        settings.limits = LimitSettings {
            customer_messages_per_minute: 2,
            ..shared(&prefix)
        };
    };
    let app = TestApp::spawn_with(backend, tune).await;
    let mut settings = test_settings(&app.database_url);
    tune(&mut settings);
    let second = Server::start(settings).await;
    let flooder = "15551230088@c.us";
    let post = |url: String, text: &'static str| async move {
        let (body, headers) = signed_message_event(SESSION, flooder, text, false);
        let mut request = reqwest::Client::new()
            .request(Method::POST, format!("{url}/webhooks/waha"))
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(post(app.server.url.clone(), "hi").await.0, 200);
    assert_eq!(post(second.url.clone(), "menu").await.0, 200);
    let (status, answer) = post(second.url.clone(), "menu").await;
    assert_eq!(
        (status, error_code(&answer)),
        (429, "too_many_requests"),
        "{answer}"
    );
    second.stop().await;
    app.server.stop().await;
}
on_both_backends!(a_flood_spread_over_two_servers_is_still_limited);
