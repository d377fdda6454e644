//! Rate limits shared through a real Redis: two nodes (two servers on one
//! database, or two limiter sets) count against the same budgets, each test
//! under its own key prefix.

use reqwest::Method;
use uuid::Uuid;
use wabot::rate_limits::{LimitSettings, RateLimits};
use wabot::storage::models::{Principal, Role};

use crate::harness::{
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
        redis_ca_file: None,
        ..LimitSettings::default()
    }
}

/// A `redis-server` that speaks TLS only (with the certificate of
/// `tests/fixtures/redis-tls`), on a free port; stopped when dropped.
struct TlsRedis {
    child: std::process::Child,
    port: u16,
}

impl TlsRedis {
    fn start(fixtures: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let file = |name: &str| fixtures.join(name).display().to_string();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
            .args([
                "--tls-cert-file",
                &file("redis.crt"),
                "--tls-key-file",
                &file("redis.key"),
            ])
            .args(["--tls-ca-cert-file", &file("ca.crt")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (with TLS) is required: run ./scripts/test.sh");
        let redis = Self { child, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        redis
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn limits_reach_redis_over_tls_trusting_a_private_ca() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redis-tls");
    let redis = TlsRedis::start(&fixtures);
    let settings = LimitSettings {
        customer_messages_per_minute: 1,
        redis_url: Some(format!("rediss://localhost:{}", redis.port)),
        redis_ca_file: Some(fixtures.join("ca.crt")),
        ..shared(&format!("wabot-test:{}", Uuid::new_v4().simple()))
    };
    let limits = RateLimits::new(&settings).await.expect("connects over TLS");
    assert_eq!(limits.redis_ready().await, Some(Ok(())));
    let tenant = Uuid::new_v4();
    assert!(limits.customer_message(tenant, "1@c.us").await);
    // Redis failures let requests through, so a refusal proves it answered.
    assert!(
        !limits.customer_message(tenant, "1@c.us").await,
        "the second message is counted in Redis, over TLS"
    );

    let untrusted = LimitSettings {
        redis_ca_file: Some(fixtures.join("other-ca.crt")),
        ..settings
    };
    assert!(
        RateLimits::new(&untrusted).await.is_err(),
        "a server certificate the configured CA did not sign is refused"
    );
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
        credential: format!("api_key:{}", Uuid::new_v4()),
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
