//! `/metrics` exposes the pipeline's signals after traffic.

use crate::helpers::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_traffic_latency_and_live_actors() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.say("15551230020@c.us", "hi", 1).await;
    let body = reqwest::get(format!("{}/metrics", app.server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "wabot_webhooks_total{outcome=\"accepted\"}",
        "wabot_messages_in_total",
        "wabot_messages_out_total{kind=\"text\"}",
        "wabot_reply_latency_seconds_bucket",
        "wabot_live_actors{kind=\"conversation\"}",
        "wabot_live_actors{kind=\"waha_session\"}",
    ] {
        assert!(body.contains(expected), "missing {expected} in:\n{body}");
    }
    assert!(
        !body.contains("15551230020"),
        "no phone number in any label"
    );
}
