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
        let first = self.rows.fetch_add(events.len(), Ordering::SeqCst) as i64;
        Ok((0..events.len() as i64)
            .map(|n| Appended::Stored(first + n + 1))
            .collect())
    }

    async fn unprocessed(&self) -> Result<Vec<InboxEvent>, StoreError> {
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn concurrent_events_share_transactions_and_each_caller_gets_its_own_id() {
    let store = Arc::new(CountingInbox::default());
    let args = InboxWriterArgs {
        store: store.clone(),
        batch_max: 16,
        // Long enough never to fire in this test: only full batches flush.
        batch_delay: Duration::from_secs(60),
    };
    let (writer, _) = Actor::spawn(None, InboxWriter, args).await.unwrap();
    let calls = (0..48).map(|n| {
        let writer = writer.clone();
        tokio::spawn(async move {
            let event = NewInboxEvent {
                tenant_id: Uuid::nil(),
                session: "s".into(),
                message_id: format!("m{n}"),
                customer: "c".into(),
                text: "hi".into(),
                media: None,
            };
            match writer
                .call(
                    |reply| InboxWriterMsg::Append(event, reply),
                    Some(Duration::from_secs(10)),
                )
                .await
            {
                Ok(CallResult::Success(Ok(Appended::Stored(id)))) => id,
                other => panic!("append {n} failed: {other:?}"),
            }
        })
    });
    let calls: Vec<_> = calls.collect();
    let mut ids = Vec::new();
    for call in calls {
        ids.push(call.await.unwrap());
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
