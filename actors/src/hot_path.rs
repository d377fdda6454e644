//! The hot-path stores of the runtime, each behind a [`Batcher`]: every
//! conversation step goes through one step writer, and every "sent" mark
//! through one outbox marker, so the writes waiting together share one
//! transaction. Both are the same port as the store they front, so the
//! actors do not know they are there.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;
use wabot_plugins::ConversationState;

use crate::batcher::{BatchWrite, Batcher};
use crate::metrics;
use crate::ports::{ConversationStore, OutboxMessage, OutboxStore, SentMark, Step, StoreError};

/// A [`ConversationStore`] whose steps are committed in batches.
#[derive(Clone)]
pub struct StepWriter {
    store: Arc<dyn ConversationStore>,
    steps: Batcher<Step, Vec<OutboxMessage>>,
}

/// Writes a batch of steps with [`ConversationStore::record_steps`].
struct StepBatches(Arc<dyn ConversationStore>);

#[async_trait]
impl BatchWrite<Step, Vec<OutboxMessage>> for StepBatches {
    async fn write_batch(&self, steps: &[Step]) -> Result<Vec<Vec<OutboxMessage>>, StoreError> {
        self.0.record_steps(steps).await
    }
}

impl StepWriter {
    /// Starts a step writer in front of `store`, at most `batch_max` steps
    /// per transaction.
    pub fn start(store: Arc<dyn ConversationStore>, batch_max: usize) -> Self {
        let steps = Batcher::start(
            Arc::new(StepBatches(store.clone())),
            batch_max,
            metrics::STEP_BATCH_SIZE,
        );
        Self { store, steps }
    }
}

#[async_trait]
impl ConversationStore for StepWriter {
    async fn load_conversation(
        &self,
        tenant_id: Uuid,
        customer: &str,
    ) -> Result<Option<ConversationState>, StoreError> {
        self.store.load_conversation(tenant_id, customer).await
    }

    /// Queues each step for the next batch and waits until it is written.
    async fn record_steps(&self, steps: &[Step]) -> Result<Vec<Vec<OutboxMessage>>, StoreError> {
        let mut stored = Vec::with_capacity(steps.len());
        for step in steps {
            stored.push(self.steps.write(step.clone()).await?);
        }
        Ok(stored)
    }
}

/// An [`OutboxStore`] whose "sent" marks are committed in batches.
#[derive(Clone)]
pub struct OutboxMarker {
    store: Arc<dyn OutboxStore>,
    marks: Batcher<SentMark, ()>,
}

/// Writes a batch of marks with [`OutboxStore::mark_sent`].
struct MarkBatches(Arc<dyn OutboxStore>);

#[async_trait]
impl BatchWrite<SentMark, ()> for MarkBatches {
    async fn write_batch(&self, marks: &[SentMark]) -> Result<Vec<()>, StoreError> {
        self.0.mark_sent(marks).await?;
        Ok(vec![(); marks.len()])
    }
}

impl OutboxMarker {
    /// Starts a marker in front of `store`, at most `batch_max` marks per
    /// transaction.
    pub fn start(store: Arc<dyn OutboxStore>, batch_max: usize) -> Self {
        let marks = Batcher::start(
            Arc::new(MarkBatches(store.clone())),
            batch_max,
            metrics::SENT_MARK_BATCH_SIZE,
        );
        Self { store, marks }
    }
}

#[async_trait]
impl OutboxStore for OutboxMarker {
    /// Queues each mark for the next batch and waits until it is written.
    async fn mark_sent(&self, sent: &[SentMark]) -> Result<(), StoreError> {
        for mark in sent {
            self.marks.write(*mark).await?;
        }
        Ok(())
    }

    async fn mark_failed(&self, tenant_id: Uuid, id: i64, error: &str) -> Result<(), StoreError> {
        self.store.mark_failed(tenant_id, id, error).await
    }

    async fn unsent(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        self.store.unsent().await
    }
}
