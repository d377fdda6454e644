//! Quotas and billing end to end: the tenant actor counts billable
//! messages into daily usage rows, warns the tenant at 80 % and 100 % of the
//! free tier's 100 messages, then serves only conversations already going
//! and tells each new customer once; the operator's plan change reopens the
//! bot. Also the usage rows' own contract: a step is counted once.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use wabot_actors::{Appended, Charge, NewInboxEvent, NewOutboxMessage, OutboundContent, Step};

use crate::harness::{Backend, Platform, error_code};
use crate::on_both_backends;

async fn event_kinds(platform: &Platform, key: &str) -> Vec<String> {
    let (status, page) = platform.events(Some(key)).await;
    assert_eq!(status, 200, "{page}");
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_full_quota_closes_new_conversations_until_the_plan_changes(backend: Backend) {
    let platform = Platform::start_with(backend, |settings| {
        // One customer writes 100 messages in a row: lift the per-customer
        // limit and WAHA's per-session pacing, which would only slow the test.
        settings.limits.customer_messages_per_minute = 1_000;
        settings.waha.messages_per_second = std::num::NonZeroU32::new(1_000).unwrap();
        settings.waha.burst = std::num::NonZeroU32::new(100).unwrap();
    })
    .await;
    let (key, session, tenant_id) = platform
        .live_tenant("quota@example.com", "+1 555 010 0200")
        .await;
    let key = key.as_str();
    let regular = "15550100201";
    let says = |customer: &'static str, text: &'static str, total: usize| {
        platform
            .driver
            .customer_says(&platform.sim, &session, customer, text, total)
    };

    for n in 1..=79 {
        says(regular, "menu", n).await.unwrap();
    }
    assert!(
        event_kinds(&platform, key).await.is_empty(),
        "79 % is quiet"
    );
    says(regular, "menu", 80).await.unwrap();
    assert_eq!(event_kinds(&platform, key).await, ["quota.warning"]);
    for n in 81..=100 {
        says(regular, "menu", n).await.unwrap();
    }
    assert_eq!(
        event_kinds(&platform, key).await,
        ["quota.warning", "quota.exhausted"]
    );
    let (_, page) = platform.events(Some(key)).await;
    let exhausted = &page["events"][0]["data"];
    assert_eq!(
        (
            &exhausted["used"],
            &exhausted["quota"],
            &exhausted["new_conversations_paused"]
        ),
        (&json!(100), &json!(100), &json!(true)),
        "{exhausted}"
    );

    // A new customer is told once, politely; the regular goes on.
    let newcomer = "15550100202";
    let refusal = says(newcomer, "hi", 1).await.unwrap();
    assert!(
        refusal.contains("cannot take new WhatsApp conversations"),
        "{refusal}"
    );
    says(regular, "menu", 101).await.unwrap();
    platform
        .driver
        .customer_says(&platform.sim, &session, newcomer, "hello?", 1)
        .await
        .unwrap();
    platform.wait_until_handled(None).await;
    let to_newcomer = platform
        .sim
        .sent()
        .into_iter()
        .filter(|r| r.chat_id.starts_with(newcomer) && r.kind == "text")
        .count();
    assert_eq!(to_newcomer, 1, "the newcomer is told once");

    let (status, usage) = platform.usage(Some(key)).await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(
        (
            &usage["messages"],
            &usage["remaining"],
            &usage["overage_allowed"]
        ),
        (&json!(101), &json!(0), &json!(false)),
        "refused messages are not billed: {usage}"
    );
    assert_eq!(usage["days"][0]["message_count"], 101, "{usage}");
    assert_eq!(usage["invoice_preview"]["total"], "0", "{usage}");

    // Free tiers have no overage; an upgrade reopens the bot at once.
    let path = format!("/v1/operator/tenants/{tenant_id}");
    let operator = Some(platform.driver.token());
    let (status, refused) = platform
        .call(
            operator,
            Method::PATCH,
            &path,
            Some(json!({"overage_allowed": true})),
        )
        .await;
    assert_eq!(
        (status, error_code(&refused)),
        (422, "invalid"),
        "{refused}"
    );
    let (status, upgraded) = platform
        .call(
            operator,
            Method::PATCH,
            &path,
            Some(json!({"tier": "basic", "overage_allowed": true})),
        )
        .await;
    assert_eq!(status, 200, "{upgraded}");
    assert_eq!(
        (&upgraded["subscription_tier"], &upgraded["overage_allowed"]),
        (&json!("basic"), &json!(true))
    );
    let welcome = says(newcomer, "hi", 2).await.unwrap();
    assert!(welcome.contains("Rosa's Pizzeria"), "{welcome}");
    let (_, usage) = platform.usage(Some(key)).await;
    assert_eq!(
        (
            &usage["quota"],
            &usage["messages"],
            &usage["invoice_preview"]["total"]
        ),
        (&json!(1000), &json!(102), &json!("29")),
        "{usage}"
    );
    let (_, audit) = platform
        .call(operator, Method::GET, &format!("{path}/audit-log"), None)
        .await;
    assert_eq!(audit["entries"][0]["action"], "tenant.plan", "{audit}");
    assert_eq!(audit["entries"][0]["before"]["subscription_tier"], "free");
}
on_both_backends!(a_full_quota_closes_new_conversations_until_the_plan_changes);

/// The storage contract of usage rows: a step counts once however often it
/// is recorded, notices count only when new, and costs add up per day.
async fn usage_rows_count_each_step_once(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (_, _, tenant_id) = platform
        .live_tenant("rows@example.com", "+1 555 010 0300")
        .await;
    let tenant_id: Uuid = tenant_id.parse().unwrap();
    let store = &platform.server.store;
    let today = chrono::Utc::now().date_naive();
    let notice = |key: &str| NewOutboxMessage {
        idempotency_key: key.to_owned(),
        wa_message_id: format!("true_x_{key}"),
        content: OutboundContent::Text("Your order is ready".to_owned()),
    };
    let charge = Charge {
        day: today,
        cost_micros: 10_000,
    };
    for key in [
        "order-1001-ready#0",
        "order-1001-ready#0",
        "order-1002-ready#0",
    ] {
        let outbox = [notice(key)];
        store
            .record_step(&Step {
                tenant_id,
                customer: "15550100301@c.us".into(),
                session: "rows".into(),
                state: None,
                processed_inbox_id: None,
                outbox: outbox.to_vec(),
                charge: Some(charge),
            })
            .await
            .unwrap();
    }
    let stored = store
        .append(&[NewInboxEvent {
            tenant_id,
            session: "rows".to_owned(),
            message_id: "false_15550100301@c.us_AAA".to_owned(),
            customer: "15550100301@c.us".to_owned(),
            text: "menu".to_owned(),
            media: None,
        }])
        .await
        .unwrap();
    let [Appended::Stored(inbox_id)] = stored[..] else {
        panic!("{stored:?}");
    };
    for _ in 0..2 {
        store
            .record_step(&Step {
                tenant_id,
                customer: "15550100301@c.us".into(),
                session: "rows".into(),
                state: None,
                processed_inbox_id: Some(inbox_id),
                outbox: Vec::new(),
                charge: Some(Charge {
                    day: today,
                    cost_micros: 0,
                }),
            })
            .await
            .unwrap();
    }
    let days = store
        .usage_days(tenant_id, today, today.succ_opt().unwrap())
        .await
        .unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(
        days[0].message_count, 3,
        "the repeated notice and the replayed message count once each"
    );
    assert_eq!(days[0].cost.to_string(), "0.02");
    let usage: Value = serde_json::to_value(&days[0]).unwrap();
    assert_eq!(usage["cost"], "0.02");
}
on_both_backends!(usage_rows_count_each_step_once);
