//! Group commit for the hot-path writes. Callers hand one item each to a
//! [`Batcher`] and wait, as they would for their own transaction; it writes
//! every item waiting at that moment in one call of its [`BatchWrite`] (one
//! transaction) and answers each. While a batch is being written, new items
//! queue and form the next one, so load raises the batch size, not the
//! number of commits.
//!
//! A batch the database refuses is written again item by item, so one bad
//! item fails only its own caller, never the others of its batch.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::ports::StoreError;

/// A write that takes many items in one transaction.
#[async_trait]
pub trait BatchWrite<I, O>: Send + Sync + 'static {
    /// Writes `items` in one transaction; one outcome per item, in order.
    async fn write_batch(&self, items: &[I]) -> Result<Vec<O>, StoreError>;
}

type Reply<O> = oneshot::Sender<Result<O, StoreError>>;

/// The handle of a running batcher; it stops once every handle is dropped
/// and the items already queued are written.
pub struct Batcher<I, O> {
    queue: mpsc::UnboundedSender<(I, Reply<O>)>,
}

impl<I, O> Clone for Batcher<I, O> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<I: Send + Sync + 'static, O: Send + 'static> Batcher<I, O> {
    /// Starts a batcher that writes at most `batch_max` items per call of
    /// `writer`, recording each batch's size in the histogram `sizes`.
    pub fn start(writer: Arc<dyn BatchWrite<I, O>>, batch_max: usize, sizes: &'static str) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(writer, waiting, batch_max.max(1), sizes));
        Self { queue }
    }

    /// Queues `item` for the next batch and waits until it is written.
    pub async fn write(&self, item: I) -> Result<O, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((item, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the batch writer has stopped".to_owned())
}

/// The loop: takes every item queued now (up to `batch_max`), writes them
/// together, answers each, and starts over.
async fn write_batches<I: Send + Sync + 'static, O: Send + 'static>(
    writer: Arc<dyn BatchWrite<I, O>>,
    mut waiting: mpsc::UnboundedReceiver<(I, Reply<O>)>,
    batch_max: usize,
    sizes: &'static str,
) {
    let mut batch = Vec::with_capacity(batch_max);
    while waiting.recv_many(&mut batch, batch_max).await > 0 {
        ::metrics::histogram!(sizes).record(batch.len() as f64);
        let (items, replies): (Vec<I>, Vec<Reply<O>>) = batch.drain(..).unzip();
        let outcomes = write(writer.as_ref(), &items).await;
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // A caller that stopped waiting writes its item again later;
            // every batched write is idempotent.
            let _ = reply.send(outcome);
        }
    }
}

/// Writes `items` in one call, or, if the database refuses the batch, each
/// in its own.
async fn write<I: Send + Sync + 'static, O: Send + 'static>(
    writer: &dyn BatchWrite<I, O>,
    items: &[I],
) -> Vec<Result<O, StoreError>> {
    match writer.write_batch(items).await {
        Ok(outcomes) if outcomes.len() == items.len() => outcomes.into_iter().map(Ok).collect(),
        Ok(_) => (0..items.len())
            .map(|_| {
                Err(StoreError::Backend(
                    "a batch was written with too few outcomes".to_owned(),
                ))
            })
            .collect(),
        Err(error) if items.len() > 1 => {
            tracing::warn!(%error, items = items.len(), "a batch failed; writing its items one by one");
            let mut outcomes = Vec::with_capacity(items.len());
            for item in items {
                outcomes.push(
                    writer
                        .write_batch(std::slice::from_ref(item))
                        .await
                        .and_then(|mut outcomes| {
                            outcomes.pop().ok_or_else(|| {
                                StoreError::Backend("a write returned no outcome".to_owned())
                            })
                        }),
                );
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

    /// Doubles numbers; records the largest batch, refuses any batch
    /// holding 7.
    #[derive(Default)]
    struct Doubler {
        largest_batch: AtomicUsize,
    }

    #[async_trait]
    impl BatchWrite<u32, u32> for Doubler {
        async fn write_batch(&self, items: &[u32]) -> Result<Vec<u32>, StoreError> {
            self.largest_batch.fetch_max(items.len(), Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if items.contains(&7) {
                return Err(StoreError::Backend("refused".to_owned()));
            }
            Ok(items.iter().map(|n| n * 2).collect())
        }
    }

    #[tokio::test]
    async fn concurrent_items_share_batches_and_a_bad_one_fails_alone() {
        let writer = Arc::new(Doubler::default());
        let batcher = Batcher::start(writer.clone(), 64, "test_batch_size");
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..40u32 {
            let batcher = batcher.clone();
            tasks.spawn(async move { (n, batcher.write(n).await) });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined.unwrap() {
                (7, outcome) => assert!(outcome.is_err(), "7 is refused"),
                (n, outcome) => assert_eq!(outcome.unwrap(), n * 2, "{n} is written"),
            }
        }
        let largest = writer.largest_batch.load(Ordering::SeqCst);
        assert!(largest > 1, "items waiting together share a batch");
    }
}
