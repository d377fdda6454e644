//! Waiting out storage outages. A database restart must not turn into lost
//! messages or apologies: actors retry storage calls that failed in the
//! backend (never `NotFound` or `Conflict`) with capped exponential backoff,
//! for up to [`STORAGE_PATIENCE`]. Meanwhile their mailboxes wait, and the
//! in-flight budgets at the webhook turn the backlog into 429/503s that WAHA
//! retries.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::metrics;
use crate::ports::StoreError;

/// How long a storage call is retried before the caller gives up.
pub const STORAGE_PATIENCE: Duration = Duration::from_secs(60);

/// First retry delay; doubles up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(50);
const MAX_DELAY: Duration = Duration::from_secs(2);

/// Runs `call` until it succeeds, fails for a reason other than the backend,
/// or [`STORAGE_PATIENCE`] runs out; `what` names the call in the logs and,
/// with the time it took, in [`STORAGE_CALL`](metrics::STORAGE_CALL).
pub async fn with_patience<T, F, Fut>(what: &'static str, mut call: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let started = Instant::now();
    let mut delay = FIRST_DELAY;
    let result = loop {
        match call().await {
            Err(error @ StoreError::Backend(_)) if started.elapsed() < STORAGE_PATIENCE => {
                tracing::warn!(%error, what, ?delay, "storage failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DELAY);
            }
            result => break result,
        }
    };
    ::metrics::histogram!(metrics::STORAGE_CALL, "op" => what)
        .record(started.elapsed().as_secs_f64());
    result
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn backend_failures_are_retried_and_others_are_not() {
        let calls = AtomicU32::new(0);
        let result = with_patience("test", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(StoreError::Backend("down".into())),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(result, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_patience("test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::NotFound("tenant"))
        })
        .await;
        assert_eq!(result, Err(StoreError::NotFound("tenant")));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
