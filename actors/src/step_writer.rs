//! Step writer: group commit for conversation steps. Conversations (and
//! tenants) hand their step to it and wait, as they would for their own
//! transaction; it writes every step waiting at that moment in one
//! transaction ([`ConversationStore::record_steps`]) and answers each. While
//! a batch is being written, new steps queue and form the next one, so load
//! raises the batch size, not the number of commits.
//!
//! A batch the database refuses is written again step by step, so one bad
//! step fails only its own conversation, never the others of its batch.
//!
//! [`StepWriter`] is itself a [`ConversationStore`]: the runtime puts it in
//! front of the real store, and the actors do not know it is there.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use wabot_plugins::ConversationState;

use crate::metrics;
use crate::ports::{ConversationStore, OutboxMessage, Step, StoreError};

type Outcome = Result<Vec<OutboxMessage>, StoreError>;

/// One step waiting for its batch, and who waits for it.
struct Waiting {
    step: Step,
    reply: oneshot::Sender<Outcome>,
}

/// The handle of a running step writer.
#[derive(Clone)]
pub struct StepWriter {
    store: Arc<dyn ConversationStore>,
    queue: mpsc::UnboundedSender<Waiting>,
}

impl StepWriter {
    /// Starts a writer in front of `store` that commits at most
    /// `batch_max` steps per transaction. It stops once every handle is
    /// dropped and the steps already queued are written.
    pub fn start(store: Arc<dyn ConversationStore>, batch_max: usize) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(store.clone(), waiting, batch_max.max(1)));
        Self { store, queue }
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
        let mut answers = Vec::with_capacity(steps.len());
        for step in steps {
            let (reply, answer) = oneshot::channel();
            self.queue
                .send(Waiting {
                    step: step.clone(),
                    reply,
                })
                .map_err(|_| stopped())?;
            answers.push(answer);
        }
        let mut stored = Vec::with_capacity(answers.len());
        for answer in answers {
            stored.push(answer.await.map_err(|_| stopped())??);
        }
        Ok(stored)
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the step writer has stopped".to_owned())
}

/// The writer's loop: takes every step queued now (up to `batch_max`),
/// writes them in one transaction, answers each, and starts over.
async fn write_batches(
    store: Arc<dyn ConversationStore>,
    mut waiting: mpsc::UnboundedReceiver<Waiting>,
    batch_max: usize,
) {
    let mut batch = Vec::with_capacity(batch_max);
    while waiting.recv_many(&mut batch, batch_max).await > 0 {
        ::metrics::histogram!(metrics::STEP_BATCH_SIZE).record(batch.len() as f64);
        let (steps, replies): (Vec<Step>, Vec<oneshot::Sender<Outcome>>) = batch
            .drain(..)
            .map(|waiting| (waiting.step, waiting.reply))
            .unzip();
        let outcomes = write(store.as_ref(), &steps).await;
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // A conversation that stopped waiting replays its step later;
            // the step is idempotent.
            let _ = reply.send(outcome);
        }
    }
}

/// Writes `steps` in one transaction, or, if the database refuses the
/// batch, each in its own.
async fn write(store: &dyn ConversationStore, steps: &[Step]) -> Vec<Outcome> {
    match store.record_steps(steps).await {
        Ok(stored) if stored.len() == steps.len() => stored.into_iter().map(Ok).collect(),
        Ok(_) => (0..steps.len())
            .map(|_| {
                Err(StoreError::Backend(
                    "a batch of steps was recorded with too few outcomes".to_owned(),
                ))
            })
            .collect(),
        Err(error) if steps.len() > 1 => {
            tracing::warn!(%error, steps = steps.len(), "a batch of steps failed; writing its steps one by one");
            let mut outcomes = Vec::with_capacity(steps.len());
            for step in steps {
                outcomes.push(store.record_step(step).await);
            }
            outcomes
        }
        Err(error) => vec![Err(error)],
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::ports::NewOutboxMessage;

    /// Records the largest batch it was asked to write, and refuses any
    /// batch holding the customer "bad".
    #[derive(Default)]
    struct CountingStore {
        largest_batch: AtomicUsize,
    }

    #[async_trait]
    impl ConversationStore for CountingStore {
        async fn load_conversation(
            &self,
            _tenant_id: Uuid,
            _customer: &str,
        ) -> Result<Option<ConversationState>, StoreError> {
            Ok(None)
        }

        async fn record_steps(
            &self,
            steps: &[Step],
        ) -> Result<Vec<Vec<OutboxMessage>>, StoreError> {
            self.largest_batch.fetch_max(steps.len(), Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if steps.iter().any(|step| step.customer == "bad") {
                return Err(StoreError::Backend("refused".to_owned()));
            }
            Ok(steps
                .iter()
                .map(|step| {
                    step.outbox
                        .iter()
                        .enumerate()
                        .map(|(n, message)| OutboxMessage {
                            id: n as i64,
                            tenant_id: step.tenant_id,
                            session: step.session.clone(),
                            chat_id: step.customer.clone(),
                            content: message.content.clone(),
                            wa_message_id: message.wa_message_id.clone(),
                        })
                        .collect()
                })
                .collect())
        }
    }

    fn step(customer: &str) -> Step {
        Step {
            tenant_id: Uuid::from_u128(1),
            customer: customer.to_owned(),
            session: "s".to_owned(),
            state: None,
            processed_inbox_id: None,
            outbox: vec![NewOutboxMessage {
                idempotency_key: format!("{customer}#0"),
                wa_message_id: "id".to_owned(),
                content: crate::ports::OutboundContent::Text(customer.to_owned()),
            }],
            charge: None,
        }
    }

    #[tokio::test]
    async fn concurrent_steps_share_transactions_and_a_bad_one_fails_alone() {
        let store = Arc::new(CountingStore::default());
        let writer = StepWriter::start(store.clone(), 64);
        let customers: Vec<String> = (0..40)
            .map(|n| {
                if n == 7 {
                    "bad".to_owned()
                } else {
                    format!("c{n}")
                }
            })
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        for (n, customer) in customers.iter().enumerate() {
            let writer = writer.clone();
            let step = step(customer);
            tasks.spawn(async move { (n, writer.record_step(&step).await) });
        }
        let mut outcomes: Vec<Option<Outcome>> = (0..customers.len()).map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            let (n, outcome) = joined.unwrap();
            outcomes[n] = Some(outcome);
        }
        let outcomes: Vec<Outcome> = outcomes.into_iter().map(Option::unwrap).collect();
        for (customer, outcome) in customers.iter().zip(&outcomes) {
            match outcome {
                Ok(stored) if customer != "bad" => assert_eq!(stored[0].chat_id, *customer),
                Err(_) if customer == "bad" => {}
                other => panic!("{customer}: {other:?}"),
            }
        }
        let largest = store.largest_batch.load(Ordering::SeqCst);
        assert!(largest > 1, "steps waiting together share a transaction");
    }
}
