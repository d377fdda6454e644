//! The outbox: replies are kept until WAHA takes them, and sent once.

use std::time::Duration;

use waha_sim::SessionStatus;

use crate::harness::{Backend, SESSION, TestApp, error_code, eventually, signed_message_event};
use crate::on_both_backends;

/// Waits until exactly `count` outbox messages are unsent.
async fn wait_for_unsent(app: &TestApp, count: usize) {
    eventually(
        &format!("{count} unsent outbox messages"),
        Duration::from_secs(15),
        || async { (app.server.store.unsent().await.unwrap().len() == count).then_some(()) },
    )
    .await;
}

async fn replies_wait_while_the_session_is_down_and_go_out_once_it_works_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = "15551230050@c.us";
    app.sim.unlink(SESSION).unwrap();
    // WAHA still delivers what it received before the phone was unlinked.
    let (body, headers) = signed_message_event(SESSION, customer, "hi", false);
    assert_eq!(app.post_webhook(body, &headers).await.0, 200);
    wait_for_unsent(&app, 1).await;

    let started = reqwest::Client::new()
        .post(format!(
            "{}/api/sessions/{SESSION}/start",
            app.sim.base_url()
        ))
        .header("X-Api-Key", app.sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    app.sim
        .pair(SESSION, "15550001111", SESSION, Duration::from_secs(10))
        .await
        .unwrap();
    let reply = app
        .driver
        .wait_for_reply(&app.sim, customer, 1)
        .await
        .unwrap();
    assert!(reply.contains("Welcome"), "{reply}");
    wait_for_unsent(&app, 0).await;
    assert_eq!(app.sent_to(customer).len(), 1);
}
on_both_backends!(replies_wait_while_the_session_is_down_and_go_out_once_it_works_again);

async fn replies_left_unsent_at_a_stop_are_sent_once_after_the_restart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = "15551230051@c.us";
    app.sim.fail_next_sends(u32::MAX, 503);
    app.sim
        .inject_customer_message(SESSION, customer, "menu")
        .unwrap();
    eventually(
        "the reply reaches the outbox",
        Duration::from_secs(10),
        || async { (!app.server.store.unsent().await.unwrap().is_empty()).then_some(()) },
    )
    .await;
    assert!(app.sent_to(customer).is_empty(), "WAHA took nothing yet");

    app.sim.fail_next_sends(0, 503);
    let app = app.restart().await;
    assert_eq!(
        app.sim.session_status(SESSION),
        Some(SessionStatus::Working)
    );
    let reply = app
        .driver
        .wait_for_reply(&app.sim, customer, 1)
        .await
        .unwrap();
    assert!(reply.contains("Menu"), "{reply}");
    wait_for_unsent(&app, 0).await;
    assert_eq!(app.sent_to(customer).len(), 1, "sent exactly once");
}
on_both_backends!(replies_left_unsent_at_a_stop_are_sent_once_after_the_restart);

/// Replies to different customers of one number are sent in parallel:
/// the typing indicator of one chat starts while another chat's is still
/// on. Each customer's own replies still go out in the order of their
/// messages.
async fn replies_to_different_customers_overlap_and_each_chat_stays_in_order(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.waha.typing_ms_per_char = 40;
        settings.waha.typing_max_ms = 800;
        settings.waha.messages_per_second = std::num::NonZeroU32::new(100).unwrap();
        settings.waha.burst = std::num::NonZeroU32::new(100).unwrap();
    })
    .await;
    let customers: Vec<String> = (0..4).map(|n| format!("1555123020{n}@c.us")).collect();
    let greetings: Vec<String> = customers
        .iter()
        .map(|customer| {
            app.sim
                .inject_customer_message(SESSION, customer, "hi")
                .unwrap()
        })
        .collect();
    // Each greeting is stored before the second message is written, so the
    // conversations see them in this order; the greetings' replies are
    // still typing when the second replies queue behind them.
    eventually(
        "every greeting is stored",
        Duration::from_secs(10),
        || async {
            let deliveries = app.sim.deliveries();
            greetings
                .iter()
                .all(|id| {
                    deliveries.iter().any(|d| {
                        d.event == "message"
                            && d.payload_id.as_ref() == Some(id)
                            && d.status == Some(200)
                    })
                })
                .then_some(())
        },
    )
    .await;
    for customer in &customers {
        app.sim
            .inject_customer_message(SESSION, customer, "cart")
            .unwrap();
    }
    for customer in &customers {
        app.driver
            .wait_for_reply(&app.sim, customer, 2)
            .await
            .unwrap();
    }

    let calls = app.sim.sent();
    let overlapping = customers.iter().any(|first| {
        let started = calls
            .iter()
            .position(|c| &c.chat_id == first && c.kind == "typing_start");
        let sent = calls
            .iter()
            .position(|c| &c.chat_id == first && c.kind == "text");
        let (Some(started), Some(sent)) = (started, sent) else {
            return false;
        };
        calls[started..sent]
            .iter()
            .any(|c| &c.chat_id != first && c.kind == "typing_start")
    });
    assert!(
        overlapping,
        "another chat's typing starts while one chat's is on: {:#?}",
        calls
            .iter()
            .map(|c| format!("{} {}", c.chat_id, c.kind))
            .collect::<Vec<_>>()
    );
    for customer in &customers {
        let replies = app.sent_to(customer);
        assert_eq!(replies.len(), 2, "{customer}: {replies:?}");
        assert!(
            replies[0].contains("Welcome"),
            "{customer}: the greeting's reply comes first: {replies:?}"
        );
    }
}
on_both_backends!(replies_to_different_customers_overlap_and_each_chat_stays_in_order);

/// A handled message leaves the in-flight budget once its step is durable;
/// its replies that WAHA cannot take yet count against the budget of
/// waiting replies, and a tenant at that budget is told to retry (429)
/// until WAHA takes them.
async fn replies_waha_cannot_take_hold_their_tenant_back_until_they_are_sent(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.ingress.max_in_flight_per_tenant = 1;
        settings.ingress.max_waiting_replies_per_tenant = 2;
    })
    .await;
    app.sim.fail_next_sends(u32::MAX, 503);
    for customer in ["15551230301@c.us", "15551230302@c.us"] {
        let (body, headers) = signed_message_event(SESSION, customer, "hi", false);
        let (status, answer) = app.post_webhook(body, &headers).await;
        assert_eq!(
            status, 200,
            "the one in-flight place is free again: {answer}"
        );
        app.wait_until_handled().await;
    }
    wait_for_unsent(&app, 2).await;

    let late = "15551230303@c.us";
    let (body, headers) = signed_message_event(SESSION, late, "hi", false);
    let (status, answer) = app.post_webhook(body.clone(), &headers).await;
    assert_eq!(
        (status, error_code(&answer)),
        (429, "too_many_requests"),
        "{answer}"
    );
    assert!(app.server.store.unprocessed().await.unwrap().is_empty());

    app.sim.fail_next_sends(0, 503);
    wait_for_unsent(&app, 0).await;
    eventually(
        "the tenant is accepted again",
        Duration::from_secs(10),
        || async {
            let (status, _) = app.post_webhook(body.clone(), &headers).await;
            (status == 200).then_some(())
        },
    )
    .await;
    let reply = app.driver.wait_for_reply(&app.sim, late, 1).await.unwrap();
    assert!(reply.contains("Welcome"), "{reply}");
}
on_both_backends!(replies_waha_cannot_take_hold_their_tenant_back_until_they_are_sent);
