//! Retention of customer messages: once an hour, the text (and file link)
//! of every message handled more than `inbox.text_retention_hours` ago is
//! erased. The row stays as the message's dedupe key, so a replayed or
//! late-retried webhook is still recognised as a duplicate.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;

use crate::storage::Store;

/// How often the erase runs.
const EVERY: Duration = Duration::from_secs(3600);

/// Starts the hourly erase of texts older than `retention`.
pub fn spawn(store: Arc<dyn Store>, retention: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(EVERY);
        loop {
            hourly.tick().await;
            let Ok(age) = chrono::Duration::from_std(retention) else {
                return;
            };
            match store.erase_handled_texts(Utc::now() - age).await {
                Ok(0) => {}
                Ok(erased) => tracing::info!(erased, "erased the texts of old customer messages"),
                Err(error) => tracing::warn!(%error, "could not erase old customer messages"),
            }
        }
    })
}
