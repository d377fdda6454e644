//! Human handoff end to end: a customer asks for a person in their own
//! language, the business gets an event, the bot stays silent for that
//! customer (others are served), and a member hands the conversation back.

use reqwest::Method;

use crate::harness::{Backend, Platform, error_code};
use crate::on_both_backends;

async fn a_customer_talks_to_a_person_and_the_bot_takes_over_again(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, session, _) = platform
        .live_tenant("handoff@example.com", "+1 555 010 0800")
        .await;
    let key = Some(key.as_str());
    let customer = "15550100801";
    let says = |text: &'static str, total: usize| {
        platform
            .driver
            .customer_says(&platform.sim, &session, customer, text, total)
    };
    assert!(says("idioma es", 1).await.unwrap().contains("español"));
    let paused = says("persona", 2).await.unwrap();
    assert!(
        paused.contains("Una persona de *Rosa's Pizzeria*"),
        "{paused}"
    );

    let (_, page) = platform.events(key).await;
    let event = &page["events"][0];
    assert_eq!(event["kind"], "handoff.requested", "{page}");
    assert_eq!(event["data"]["customer"], format!("{customer}@c.us"));

    // The bot is silent for this customer, and still serves another.
    let unanswered = platform
        .sim
        .inject_customer_message(&session, customer, "¿hola?")
        .unwrap();
    platform.wait_until_handled(Some(&unanswered)).await;
    let other = platform
        .driver
        .customer_says(&platform.sim, &session, "15550100802", "hi", 1)
        .await
        .unwrap();
    assert!(other.contains("Welcome"), "{other}");

    let path = format!("/v1/conversations/{customer}/hand-back");
    let (status, back) = platform.call(key, Method::POST, &path, None).await;
    assert_eq!(status, 200, "{back}");
    let greeting = platform
        .driver
        .wait_for_reply(&platform.sim, customer, 3)
        .await
        .unwrap();
    assert!(
        greeting.contains("Bienvenido"),
        "handed back, in the customer's language: {greeting}"
    );
    assert_eq!(
        platform
            .sim
            .sent()
            .iter()
            .filter(|r| r.chat_id == format!("{customer}@c.us") && r.kind == "text")
            .count(),
        3,
        "the message written during the handover got no bot reply"
    );

    let (status, again) = platform.call(key, Method::POST, &path, None).await;
    assert_eq!((status, error_code(&again)), (409, "conflict"), "{again}");
    let (status, _) = platform
        .call(
            key,
            Method::POST,
            "/v1/conversations/15559999999/hand-back",
            None,
        )
        .await;
    assert_eq!(status, 404, "a customer who never wrote");
    let (status, bad) = platform
        .call(
            key,
            Method::POST,
            "/v1/conversations/not-a-number/hand-back",
            None,
        )
        .await;
    assert_eq!((status, error_code(&bad)), (422, "invalid"), "{bad}");
}
on_both_backends!(a_customer_talks_to_a_person_and_the_bot_takes_over_again);
