//! The inbox writer commits events in groups.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use ractor::Actor;
use ractor::rpc::CallResult;
use uuid::Uuid;
use wabot_actors::inbox_writer::{InboxWriter, InboxWriterArgs, InboxWriterMsg};
use wabot_actors::{Appended, InboxEvent, InboxStore, NewInboxEvent, StoreError};

/// Counts transactions and hands out ids.
#[derive(Default)]
struct CountingInbox {
    transactions: AtomicUsize,
    rows: AtomicUsize,
}

#[async_trait]
impl InboxStore for CountingInbox {
    async fn append(&self, events: &[NewInboxEvent]) -> Result<Vec<Appended>, StoreError> {
        self.transactions.fetch_add(1, Ordering::SeqCst);
        // As PostgreSQL does: one row it cannot store fails the whole
        // transaction.
        if events.iter().any(|e| e.text.contains('\0')) {
            return Err(StoreError::Backend("invalid byte sequence: 0x00".into()));
        }
        let first = self.rows.fetch_add(events.len(), Ordering::SeqCst) as i64;
        Ok((0..events.len() as i64)
            .map(|n| Appended::Stored(first + n + 1))
            .collect())
    }

    async fn unprocessed(&self) -> Result<Vec<InboxEvent>, StoreError> {
        Ok(Vec::new())
    }
}

/// A writer over `store` that flushes only full batches of 16.
async fn writer_of(store: Arc<CountingInbox>) -> ractor::ActorRef<InboxWriterMsg> {
    let args = InboxWriterArgs {
        store,
        batch_max: 16,
        // Long enough never to fire in these tests: only full batches flush.
        batch_delay: Duration::from_secs(60),
    };
    Actor::spawn(None, InboxWriter, args).await.unwrap().0
}

/// Appends the event of `text` number `n`; what the writer answered.
async fn append(
    writer: ractor::ActorRef<InboxWriterMsg>,
    n: usize,
    text: &str,
) -> Result<Appended, StoreError> {
    let event = NewInboxEvent {
        tenant_id: Uuid::nil(),
        session: "s".into(),
        message_id: format!("m{n}"),
        customer: "c".into(),
        text: text.into(),
        media: None,
    };
    match writer
        .call(
            |reply| InboxWriterMsg::Append(event, reply),
            Some(Duration::from_secs(10)),
        )
        .await
    {
        Ok(CallResult::Success(outcome)) => outcome,
        other => panic!("append {n} got no answer: {other:?}"),
    }
}

#[tokio::test]
async fn concurrent_events_share_transactions_and_each_caller_gets_its_own_id() {
    let store = Arc::new(CountingInbox::default());
    let writer = writer_of(store.clone()).await;
    let calls: Vec<_> = (0..48)
        .map(|n| tokio::spawn(append(writer.clone(), n, "hi")))
        .collect();
    let mut ids = Vec::new();
    for call in calls {
        match call.await.unwrap() {
            Ok(Appended::Stored(id)) => ids.push(id),
            other => panic!("{other:?}"),
        }
    }
    ids.sort_unstable();
    assert_eq!(
        ids,
        (1..=48).collect::<Vec<i64>>(),
        "every caller got a distinct id"
    );
    assert_eq!(
        store.transactions.load(Ordering::SeqCst),
        3,
        "48 events in three full batches of 16"
    );
    writer.stop(None);
}

#[tokio::test]
async fn one_event_the_database_refuses_fails_only_its_own_caller() {
    let store = Arc::new(CountingInbox::default());
    let writer = writer_of(store.clone()).await;
    let calls: Vec<_> = (0..16)
        .map(|n| {
            let text = if n == 5 { "bad\0byte" } else { "hi" };
            tokio::spawn(append(writer.clone(), n, text))
        })
        .collect();
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.push(call.await.unwrap());
    }
    for (n, outcome) in outcomes.iter().enumerate() {
        match (n, outcome) {
            (5, Err(StoreError::Backend(_))) => {}
            (5, other) => panic!("the bad event was stored: {other:?}"),
            (_, Ok(Appended::Stored(_))) => {}
            (n, other) => panic!("event {n} failed with the bad one: {other:?}"),
        }
    }
    assert_eq!(
        store.transactions.load(Ordering::SeqCst),
        17,
        "the failed batch, then each of its 16 events alone"
    );
    writer.stop(None);
}
