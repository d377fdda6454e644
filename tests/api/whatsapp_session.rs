//! The owner's remedies for a WhatsApp session: restart (it comes back
//! linked and the bot answers again) and logout (the phone is unlinked and a
//! new QR code is needed), both audited; staff may not use them.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Backend, Platform};
use crate::on_both_backends;

async fn owners_restart_and_unlink_their_session(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, session, _) = platform
        .live_tenant("phone@example.com", "+1 555 010 0700")
        .await;
    let owner = key.as_str();
    let key = Some(owner);
    let (_, created) = platform.create_api_key(key, json!({"name": "till"})).await;
    let (status, _) = platform
        .call(
            created["key"].as_str(),
            Method::POST,
            "/v1/whatsapp/session/restart",
            None,
        )
        .await;
    assert_eq!(status, 403, "staff cannot restart the session");

    let (status, restarted) = platform
        .call(key, Method::POST, "/v1/whatsapp/session/restart", None)
        .await;
    assert_eq!(status, 200, "{restarted}");
    platform.wait_for_session_status(owner, "WORKING").await;
    let reply = platform
        .driver
        .customer_says(&platform.sim, &session, "15550100701", "hi", 1)
        .await
        .unwrap();
    assert!(
        reply.contains("Welcome"),
        "the bot answers after a restart: {reply}"
    );

    let (status, unlinked) = platform
        .call(key, Method::POST, "/v1/whatsapp/session/logout", None)
        .await;
    assert_eq!(status, 200, "{unlinked}");
    platform
        .wait_for_session_status(owner, "SCAN_QR_CODE")
        .await;
    let (_, now) = platform.session(key).await;
    assert_eq!(now["live"], false, "{now}");
    let (_, audit) = platform.audit_log(key).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .take(2)
        .collect();
    assert_eq!(
        actions,
        ["whatsapp_session.logout", "whatsapp_session.restart"]
    );
}
on_both_backends!(owners_restart_and_unlink_their_session);
