//! `/metrics` exposes the pipeline's signals after traffic, the sampled
//! gauges (backlog, pool, WAHA instances, saturation) on both backends, and
//! `/readyz` checks the database and Redis.

use std::time::Duration;

use crate::harness::{Backend, TestApp, eventually, redis_url};
use crate::on_both_backends;

async fn scrape(app: &TestApp) -> String {
    reqwest::get(format!("{}/metrics", app.server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Scrapes until `series` shows up (the sampler runs every second here).
async fn scrape_until(app: &TestApp, series: &str) -> String {
    eventually(
        &format!("{series} appears in /metrics"),
        Duration::from_secs(10),
        || async { Some(scrape(app).await).filter(|body| body.contains(series)) },
    )
    .await
}

/// The value of `series` (its whole name with labels) in `body`.
fn value(body: &str, series: &str) -> f64 {
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{body}"))
}

async fn metrics_show_traffic_latency_and_live_actors(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.metrics.sample_interval_secs = 1;
    })
    .await;
    app.say("15551230020@c.us", "hi", 1).await;
    // The sampler's first round may run before the session exists: wait
    // for a round that sees it WORKING.
    let body = scrape_until(&app, "status=\"WORKING\"} 1").await;
    for expected in [
        "wabot_webhooks_total{outcome=\"accepted\"}",
        "wabot_webhooks_total{outcome=\"unauthorized\"}",
        "wabot_reply_latency_seconds_bucket",
        "wabot_plugin_step_seconds_bucket{plugin=\"restaurant\"",
        "wabot_waha_request_seconds_bucket{waha_instance=",
        "wabot_storage_call_seconds_bucket{op=\"commit a conversation step\"",
        "wabot_actor_restarts_total{kind=\"conversation\"}",
        "wabot_order_status_changes_total{status=\"confirmed\"}",
        "wabot_rate_limited_total{limit=\"customer\"}",
        "wabot_inbox_depth ",
        "wabot_outbox_depth ",
        "wabot_db_pool_max_connections",
        "wabot_saturation_ratio",
        "wabot_tenants_at_quota{tier=\"free\",level=\"80\"}",
        "wabot_waha_sessions{waha_instance=",
    ] {
        assert!(body.contains(expected), "missing {expected} in:\n{body}");
    }
    // At least (the recorder is per process; `cargo test` shares one).
    for (series, at_least) in [
        ("wabot_messages_in_total", 1.0),
        ("wabot_messages_out_total{kind=\"text\"}", 1.0),
        ("wabot_live_actors{kind=\"conversation\"}", 1.0),
        ("wabot_live_actors{kind=\"waha_session\"}", 1.0),
        ("wabot_waha_instance_up{waha_instance=\"waha-1\"}", 1.0),
    ] {
        assert!(
            value(&body, series) >= at_least,
            "{series} below {at_least}:\n{body}"
        );
    }
    assert!(
        !body.contains("15551230020"),
        "no phone number in any label"
    );
}
on_both_backends!(metrics_show_traffic_latency_and_live_actors);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_checks_the_database_and_redis() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ready = reqwest::get(format!("{}/readyz", app.server.url))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(
        (&body["database"], &body["redis"]),
        (&"ok".into(), &"not configured".into())
    );

    let shared = TestApp::spawn_with(Backend::Postgres, |settings| {
        settings.limits.redis_url = Some(redis_url());
        settings.limits.redis_prefix = format!("wabot-test:{}", uuid::Uuid::new_v4().simple());
    })
    .await;
    let body: serde_json::Value = reqwest::get(format!("{}/readyz", shared.server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&body["status"], &body["database"], &body["redis"]),
        (&"ready".into(), &"ok".into(), &"ok".into())
    );
}
