//! Conversations outlive their actors: passivation, restarts, WAHA failures.

use std::time::Duration;

use crate::harness::{Backend, TestApp, eventually};
use crate::on_both_backends;

async fn an_idle_conversation_passivates_and_rehydrates_with_its_cart(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.conversations.idle_timeout_secs = 1
    })
    .await;
    let customer = "15551230010@c.us";
    app.say(customer, "2x 1", 1).await;
    eventually(
        "the conversation passivates",
        Duration::from_secs(15),
        || async {
            let live = app
                .server
                .runtime
                .live_conversations(app.tenant_uuid(), Duration::from_secs(2))
                .await
                .unwrap();
            (live == 0).then_some(())
        },
    )
    .await;
    let stored = app
        .server
        .store
        .load_conversation(app.tenant_uuid(), customer)
        .await
        .unwrap();
    assert!(stored.is_some(), "the snapshot is in the database");
    assert!(
        app.say(customer, "cart", 2)
            .await
            .contains("2 x Margherita")
    );
}
on_both_backends!(an_idle_conversation_passivates_and_rehydrates_with_its_cart);

async fn a_cart_survives_a_server_restart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = "15551230011@c.us";
    app.say(customer, "3", 1).await;
    let app = app.restart().await;
    let cart = app.say(customer, "cart", 2).await;
    assert!(cart.contains("1 x Quattro Formaggi"), "{cart}");
}
on_both_backends!(a_cart_survives_a_server_restart);

async fn replies_are_retried_when_waha_fails_for_a_while(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = "15551230012@c.us";
    // sendSeen goes first and uses up its five tries (it gives up: a read
    // receipt is not worth more); the reply then fails once and is retried.
    app.sim.fail_next_sends(6, 503);
    let reply = app.say(customer, "hi", 1).await;
    assert!(reply.contains("Welcome"), "{reply}");
    assert_eq!(
        app.sent_to(customer).len(),
        1,
        "sent once in the end, not duplicated"
    );
}
on_both_backends!(replies_are_retried_when_waha_fails_for_a_while);
