//! Bot settings through the API: every broken rule listed in one 422 with
//! nothing stored, unknown fields refused, owners only, and valid settings
//! shaping the running bot at once (greeting, branding, delivery fee,
//! minimum order, opening hours).

use chrono::Datelike;
use serde_json::json;

use crate::harness::{Backend, Platform, error_code};
use crate::on_both_backends;

async fn settings_are_checked_and_shape_the_bot(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, session, _) = platform
        .live_tenant("settings@example.com", "+1 555 010 0500")
        .await;
    let key = Some(key.as_str());
    let (status, defaults) = platform.settings(key).await;
    assert_eq!(status, 200, "{defaults}");
    assert_eq!(
        (
            &defaults["currency_symbol"],
            &defaults["language"],
            &defaults["delivery_fee"]
        ),
        (&json!("$"), &json!("en"), &json!("0"))
    );

    let (status, refused) = platform
        .put_settings(
            key,
            json!({
                "currency_symbol": "EUROS", "language": "tlh", "delivery_fee": "-1",
                "opening_hours": {"mon": ["23:00-09:00"]},
            }),
        )
        .await;
    assert_eq!(
        (status, error_code(&refused)),
        (422, "invalid"),
        "{refused}"
    );
    let message = refused["error"]["message"].as_str().unwrap();
    for field in [
        "currency_symbol",
        "language",
        "delivery_fee",
        "opening_hours.mon",
    ] {
        assert!(message.contains(field), "{field} is named: {message}");
    }
    let (status, typo) = platform.put_settings(key, json!({"greting": "hi"})).await;
    assert_eq!((status, error_code(&typo)), (400, "bad_request"), "{typo}");
    let (_, unchanged) = platform.settings(key).await;
    assert_eq!(unchanged, defaults, "nothing was stored");

    let (status, created) = platform
        .create_api_key(key, json!({"name": "till", "role": "staff"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, _) = platform
        .put_settings(created["key"].as_str(), json!({}))
        .await;
    assert_eq!(status, 403, "staff cannot change settings");

    let (status, saved) = platform
        .put_settings(
            key,
            json!({
                "currency_symbol": "€", "greeting": "Benvenuti da Rosa!",
                "branding": "Rosa's – since 1962", "delivery_fee": "2.50",
                "minimum_order": "15",
            }),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let customer = "15550100501";
    let says = |text: &'static str, total: usize| {
        platform
            .driver
            .customer_says(&platform.sim, &session, customer, text, total)
    };
    let hello = says("hi", 1).await.unwrap();
    assert!(
        hello.starts_with("Benvenuti da Rosa!") && hello.ends_with("_Rosa's – since 1962_"),
        "{hello}"
    );
    says("1", 2).await.unwrap();
    let minimum = says("checkout", 3).await.unwrap();
    assert!(minimum.contains("minimum order is €15.00"), "{minimum}");
    says("1", 4).await.unwrap();
    says("checkout", 5).await.unwrap();
    let summary = says("Via Roma 1, Roma", 6).await.unwrap();
    assert!(
        summary.contains("Delivery: €2.50\n*Total: €21.50*"),
        "{summary}"
    );
    says("no", 7).await.unwrap();

    // Open only on another weekday: closed now, whatever the time.
    let other_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        [(chrono::Utc::now().weekday().num_days_from_monday() as usize + 3) % 7];
    let (status, _) = platform
        .put_settings(key, json!({"opening_hours": {other_day: ["09:00-17:00"]}}))
        .await;
    assert_eq!(status, 200);
    let closed = says("checkout", 8).await.unwrap();
    assert!(closed.contains("closed right now"), "{closed}");

    let (_, audit) = platform.audit_log(key).await;
    assert_eq!(audit["entries"][0]["action"], "settings.update", "{audit}");
    assert_eq!(
        audit["entries"][1]["after"]["delivery_fee"], "2.50",
        "{audit}"
    );
}
on_both_backends!(settings_are_checked_and_shape_the_bot);
