//! The operator's management API on both backends: tenants listed and
//! filtered, suspended (the bot tells customers once and serves no one) and
//! reactivated, deleted with their WAHA session, data and routes; WAHA
//! instances with their load, capacity and draining, and health; platform
//! usage. Tenant credentials never reach these routes.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Backend, Platform, error_code};
use crate::on_both_backends;

async fn the_operator_manages_tenants_and_instances(backend: Backend) {
    let platform = Platform::start(backend).await;
    let operator = Some(platform.driver.token());
    let (key, session, tenant_id) = platform
        .live_tenant("owner@example.com", "+1 555 010 0400")
        .await;
    let (other_key, _) = platform
        .sign_up("second@example.com", "+1 555 010 0401")
        .await;
    let customer = "15550100402";
    let says = |text: &'static str, total: usize| {
        platform
            .driver
            .customer_says(&platform.sim, &session, customer, text, total)
    };
    says("hi", 1).await.unwrap();

    // A tenant's key is not the operator's.
    let (status, body) = platform
        .call(Some(&key), Method::GET, "/v1/operator/tenants", None)
        .await;
    assert_eq!((status, error_code(&body)), (401, "unauthorized"), "{body}");

    let (status, page) = platform
        .call(operator, Method::GET, "/v1/operator/tenants?limit=1", None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["tenants"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = platform
        .call(
            operator,
            Method::GET,
            &format!("/v1/operator/tenants?cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["tenants"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["next_cursor"], Value::Null);
    let (status, bad) = platform
        .call(
            operator,
            Method::GET,
            "/v1/operator/tenants?tier=gold",
            None,
        )
        .await;
    assert_eq!((status, error_code(&bad)), (422, "invalid"), "{bad}");

    // Suspended: customers are told once and not served; reactivated: served.
    let tenant_path = format!("/v1/operator/tenants/{tenant_id}");
    let (status, suspended) = platform
        .call(
            operator,
            Method::POST,
            &format!("{tenant_path}/suspend"),
            None,
        )
        .await;
    assert_eq!((status, &suspended["status"]), (200, &json!("suspended")));
    let notice = says("menu", 2).await.unwrap();
    assert!(notice.contains("not taking orders"), "{notice}");
    let (status, active) = platform
        .call(
            operator,
            Method::POST,
            &format!("{tenant_path}/reactivate"),
            None,
        )
        .await;
    assert_eq!((status, &active["status"]), (200, &json!("active")));
    assert!(says("menu", 3).await.unwrap().contains("Margherita"));
    let (_, audit) = platform
        .call(
            operator,
            Method::GET,
            &format!("{tenant_path}/audit-log"),
            None,
        )
        .await;
    let last = &audit["entries"][0];
    assert_eq!(
        (&last["actor"], &last["action"], &last["after"]["status"]),
        (&json!("operator"), &json!("tenant.plan"), &json!("active")),
        "{audit}"
    );
    let (status, bad) = platform
        .call(
            operator,
            Method::PATCH,
            &tenant_path,
            Some(json!({"status": "trial"})),
        )
        .await;
    assert_eq!((status, error_code(&bad)), (422, "invalid"), "{bad}");

    // Instances: load, capacity, draining, health.
    let (_, instances) = platform
        .call(operator, Method::GET, "/v1/operator/waha-instances", None)
        .await;
    let instance = &instances[0];
    assert_eq!(
        (&instance["sessions"], &instance["free"]),
        (&json!(1), &json!(99)),
        "{instances}"
    );
    let instance_path = format!(
        "/v1/operator/waha-instances/{}",
        instance["id"].as_str().unwrap()
    );
    let (status, drained) = platform
        .call(
            operator,
            Method::PATCH,
            &instance_path,
            Some(json!({"draining": true, "capacity": 50})),
        )
        .await;
    assert_eq!(
        (status, &drained["draining"], &drained["capacity"]),
        (200, &json!(true), &json!(50)),
        "{drained}"
    );
    let (status, refused) = platform.start_session(Some(&other_key)).await;
    assert_eq!(status, 403, "a draining fleet places nothing: {refused}");
    let (status, bad) = platform
        .call(
            operator,
            Method::PATCH,
            &instance_path,
            Some(json!({"capacity": -1})),
        )
        .await;
    assert_eq!((status, error_code(&bad)), (422, "invalid"), "{bad}");
    let (status, health) = platform
        .call(
            operator,
            Method::GET,
            &format!("{instance_path}/health"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(
        (&health["reachable"], &health["working_sessions"]),
        (&json!(true), &json!(1)),
        "{health}"
    );

    let (status, usage) = platform
        .call(operator, Method::GET, "/v1/operator/usage", None)
        .await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(
        usage["tenants"][0]["tenant_id"],
        json!(tenant_id),
        "{usage}"
    );
    assert_eq!(
        usage["total_messages"], 2,
        "hi and the menu after reactivation"
    );
    let (status, bad) = platform
        .call(
            operator,
            Method::GET,
            "/v1/operator/usage?month=2026-13",
            None,
        )
        .await;
    assert_eq!((status, error_code(&bad)), (422, "invalid"), "{bad}");

    // The operator may onboard a tenant straight onto a tier.
    let onboard = |tier: &str| {
        json!({
            "business_name": "Big Chain", "phone_number": "+1 555 010 0499",
            "plugin_type": "restaurant", "session_name": "big-chain",
            "webhook_secret": "big-chain-secret-0123456789",
            "waha_instance_id": instance["id"], "subscription_tier": tier,
        })
    };
    let (status, bad) = platform
        .call(
            operator,
            Method::POST,
            "/v1/operator/tenants",
            Some(onboard("gold")),
        )
        .await;
    assert_eq!((status, error_code(&bad)), (422, "invalid"), "{bad}");
    let (status, chain) = platform
        .call(
            operator,
            Method::POST,
            "/v1/operator/tenants",
            Some(onboard("enterprise")),
        )
        .await;
    assert_eq!(
        (status, &chain["subscription_tier"]),
        (201, &json!("enterprise")),
        "{chain}"
    );

    // Deleted: the WAHA session, the rows, the routes and the credentials go.
    let (status, _) = platform
        .call(operator, Method::DELETE, &tenant_path, None)
        .await;
    assert_eq!(status, 204);
    assert!(
        platform.sim.session_status(&session).is_none(),
        "the WAHA session is deleted"
    );
    let (status, _) = platform
        .call(operator, Method::GET, &tenant_path, None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = platform.me(Some(&key)).await;
    assert_eq!(status, 401, "the tenant's keys are gone");
    let (status, _) = platform
        .call(operator, Method::DELETE, &tenant_path, None)
        .await;
    assert_eq!(status, 404, "deleting twice finds nothing");
    let (_, instances) = platform
        .call(operator, Method::GET, "/v1/operator/waha-instances", None)
        .await;
    assert_eq!(
        instances[0]["sessions"], 1,
        "only Big Chain's session is left: {instances}"
    );
}
on_both_backends!(the_operator_manages_tenants_and_instances);
