//! A pharmacy end to end: signed up as `pharmacy`, a catalog with
//! prescription-only items imported from CSV; an over-the-counter order goes
//! straight through; a prescription order asks for the prescription, which
//! the server downloads from the simulator (too large a file is asked for
//! again), keeps for the tenant only, and the order waits until a
//! pharmacist approves or rejects it; the customer is told either way.

use reqwest::Method;
use serde_json::{Value, json};
use waha_sim::CustomerMedia;

use crate::harness::{Backend, Platform};
use crate::on_both_backends;

const CATALOG_CSV: &str =
    "item_id,name,description,price,category,available,image_url,stock,variant,prescription_required
paracetamol,Paracetamol 500mg,,4.50,Pain relief,,,,,
amoxicillin,Amoxicillin 500mg,,12.00,Antibiotics,,,,,yes
azithromycin,Azithromycin 250mg,,18.50,Antibiotics,,,,,true
";

/// Largest file the test server keeps.
const MAX_MEDIA_BYTES: usize = 64 * 1024;

fn photo(size: usize) -> CustomerMedia {
    CustomerMedia {
        bytes: (0..size).map(|n| (n % 251) as u8).collect(),
        mimetype: "image/jpeg".to_owned(),
        filename: None,
    }
}

/// The order numbered `number`, from the tenant's listing.
async fn order(platform: &Platform, key: &str, number: i64) -> Value {
    let (_, page) = platform.orders(Some(key)).await;
    page["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["order_number"] == number)
        .unwrap_or_else(|| panic!("no order {number}: {page}"))
        .clone()
}

async fn a_prescription_order_waits_for_the_pharmacist(backend: Backend) {
    let platform = Platform::start_with(backend, |settings| {
        settings.media.max_bytes = MAX_MEDIA_BYTES;
    })
    .await;
    let (key, session, _) = platform
        .live_business("rx@example.com", "+1 555 010 1200", "pharmacy", CATALOG_CSV)
        .await;
    let key = key.as_str();
    let (other_key, _) = platform
        .sign_up_as("other@example.com", "+1 555 010 1299", "pharmacy")
        .await;
    let driver = &platform.driver;
    let sim = &platform.sim;
    let says = |customer: &'static str, text: &'static str, replies: usize| {
        driver.customer_says(sim, &session, customer, text, replies)
    };

    // Over the counter: straight through, no prescription.
    let otc = "15550101201";
    let menu = says(otc, "menu", 1).await.unwrap();
    assert!(
        menu.contains("2. Amoxicillin 500mg – $12.00 [℞ prescription]"),
        "{menu}"
    );
    says(otc, "1", 2).await.unwrap();
    let address = says(otc, "checkout", 3).await.unwrap();
    assert!(address.contains("Where should we deliver?"), "{address}");
    says(otc, "8 Rose Lane, Leeds", 4).await.unwrap();
    let placed = says(otc, "yes", 5).await.unwrap();
    assert!(placed.contains("*#1001* is placed ($4.50)"), "{placed}");
    let first = order(&platform, key, 1001).await;
    assert_eq!(
        (&first["status"], &first["prescription"]),
        (&json!("pending"), &Value::Null)
    );

    // Prescription only: asked for, too large a file refused, a photo kept.
    let rx = "15550101202";
    says(rx, "2", 1).await.unwrap();
    let asked = says(rx, "checkout", 2).await.unwrap();
    assert!(
        asked.contains("Amoxicillin 500mg need a prescription"),
        "{asked}"
    );
    sim.inject_customer_media(&session, rx, "", photo(MAX_MEDIA_BYTES + 1))
        .unwrap();
    let again = driver.wait_for_reply(sim, rx, 3).await.unwrap();
    assert!(again.contains("could not get your file"), "{again}");
    let prescription = photo(20_000);
    sim.inject_customer_media(&session, rx, "my prescription", prescription.clone())
        .unwrap();
    let received = driver.wait_for_reply(sim, rx, 4).await.unwrap();
    assert!(received.contains("Prescription received"), "{received}");
    let summary = says(rx, "22 Mill Road, York", 5).await.unwrap();
    assert!(summary.contains("Prescription attached"), "{summary}");
    let waiting = says(rx, "yes", 6).await.unwrap();
    assert!(
        waiting.contains("A pharmacist is checking your prescription"),
        "{waiting}"
    );

    let second = order(&platform, key, 1002).await;
    assert_eq!(second["prescription"]["review"], "awaiting", "{second}");
    let media_id = second["prescription"]["media_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, events) = platform.events(Some(key)).await;
    assert_eq!(
        events["events"][0]["kind"], "prescription.submitted",
        "{events}"
    );
    assert_eq!(
        events["events"][0]["data"]["order_number"], 1002,
        "{events}"
    );

    // The file, for this tenant only.
    let fetch = |token: &str| {
        reqwest::Client::new()
            .get(format!("{}/v1/media/{media_id}", platform.server.url))
            .bearer_auth(token.to_owned())
            .send()
    };
    let file = fetch(key).await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/jpeg");
    assert_eq!(file.bytes().await.unwrap().to_vec(), prescription.bytes);
    assert_eq!(fetch(&other_key).await.unwrap().status(), 404);

    // Only the review moves it; bad decisions change nothing.
    let order_path = format!("/v1/orders/{}", second["id"].as_str().unwrap());
    let review_path = format!("{order_path}/prescription");
    let (status, body) = platform
        .call(
            Some(key),
            Method::PATCH,
            &order_path,
            Some(json!({"status": "confirmed"})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    for bad in [json!({"decision": "maybe"}), json!({"decision": "reject"})] {
        let (status, body) = platform
            .call(Some(key), Method::POST, &review_path, Some(bad))
            .await;
        assert_eq!(status, 422, "{body}");
    }
    let (status, _) = platform
        .call(
            Some(&other_key),
            Method::POST,
            &review_path,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(status, 404, "another tenant's order");
    let (status, approved) = platform
        .call(
            Some(key),
            Method::POST,
            &review_path,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(
        (&approved["status"], &approved["prescription"]["review"]),
        (&json!("confirmed"), &json!("approved"))
    );
    let told = driver.wait_for_reply(sim, rx, 7).await.unwrap();
    assert!(told.contains("your order *#1002* is confirmed"), "{told}");
    let (status, body) = platform
        .call(
            Some(key),
            Method::POST,
            &review_path,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(status, 409, "reviewed already: {body}");

    // A rejected PDF: the order is cancelled and the customer told why.
    let pdf = "15550101203";
    says(pdf, "3", 1).await.unwrap();
    says(pdf, "checkout", 2).await.unwrap();
    let document = CustomerMedia {
        bytes: b"%PDF-1.4 prescription".to_vec(),
        mimetype: "application/pdf".to_owned(),
        filename: Some("rx.pdf".to_owned()),
    };
    sim.inject_customer_media(&session, pdf, "", document)
        .unwrap();
    driver.wait_for_reply(sim, pdf, 3).await.unwrap();
    says(pdf, "1 High Street, Bath", 4).await.unwrap();
    says(pdf, "yes", 5).await.unwrap();
    let third = order(&platform, key, 1003).await;
    let (status, rejected) = platform
        .call(
            Some(key),
            Method::POST,
            &format!("/v1/orders/{}/prescription", third["id"].as_str().unwrap()),
            Some(json!({"decision": "reject", "reason": "The prescription has expired."})),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(
        (&rejected["status"], &rejected["prescription"]["note"]),
        (&json!("cancelled"), &json!("The prescription has expired."))
    );
    let told = driver.wait_for_reply(sim, pdf, 6).await.unwrap();
    assert!(
        told.contains("has been cancelled")
            && told.contains("Reason: The prescription has expired."),
        "{told}"
    );
    let (_, audit) = platform.audit_log(Some(key)).await;
    assert_eq!(
        audit["entries"][0]["action"], "order.prescription_review",
        "{audit}"
    );
}
on_both_backends!(a_prescription_order_waits_for_the_pharmacist);
