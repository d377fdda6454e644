//! The values of WAHA's webhook configuration (waha-api.md §2.2, §4.11) and
//! the record of each delivery attempt: plain data, shared by the memory
//! and the sender.

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// One entry of a session's `config.webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfig {
    /// Where to POST events.
    pub url: String,
    /// Event names to deliver; `*` means all.
    pub events: Vec<String>,
    /// Signing key; unsigned when absent.
    #[serde(default)]
    pub hmac: Option<HmacConfig>,
    /// Retry policy; WAHA's built-in 15 attempts 2 s apart when absent.
    #[serde(default)]
    pub retries: Option<RetryPolicy>,
    /// Extra request headers.
    #[serde(default)]
    pub custom_headers: Option<Vec<CustomHeader>>,
}

impl WebhookConfig {
    /// A webhook for `events`, signed with `hmac_key`, with WAHA's default retries.
    pub fn signed(url: impl Into<String>, events: &[&str], hmac_key: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            hmac: Some(HmacConfig {
                key: Some(hmac_key.into()),
            }),
            retries: None,
            custom_headers: None,
        }
    }

    pub(super) fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == event)
    }
}

/// `hmac: {key}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HmacConfig {
    /// The shared secret; `null` means unsigned.
    pub key: Option<String>,
}

/// `retries: {policy, delaySeconds, attempts}`; `attempts` counts every try.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// How delays grow.
    pub policy: RetryKind,
    /// Base delay (fractions allowed, for fast tests).
    pub delay_seconds: f64,
    /// Total tries, the first included.
    pub attempts: u32,
}

/// Delay growth between webhook tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetryKind {
    /// d, d, d, …
    Constant,
    /// d, 2d, 3d, …
    Linear,
    /// d, 2d, 4d, … with ±20 % jitter.
    Exponential,
}

impl RetryPolicy {
    pub(super) fn waha_default() -> Self {
        Self {
            policy: RetryKind::Constant,
            delay_seconds: 2.0,
            attempts: 15,
        }
    }

    /// Delay before try number `retry + 1` (`retry` starts at 1).
    pub(super) fn delay(&self, retry: u32) -> Duration {
        let base = self.delay_seconds.max(0.0);
        let seconds = match self.policy {
            RetryKind::Constant => base,
            RetryKind::Linear => base * f64::from(retry),
            RetryKind::Exponential => {
                let jitter = rand::rng().random_range(0.8..=1.2);
                base * 2f64.powi(retry.saturating_sub(1).min(20) as i32) * jitter
            }
        };
        Duration::from_secs_f64(seconds)
    }
}

/// `{name, value}` of `customHeaders`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomHeader {
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// One attempt to deliver one event to one URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryRecord {
    /// Envelope id (`evt_…`), the same across retries.
    pub event_id: String,
    /// Event name.
    pub event: String,
    /// Session name.
    pub session: String,
    /// Target URL.
    pub url: String,
    /// 1 for the first try.
    pub attempt: u32,
    /// HTTP status, or `None` on a network error.
    pub status: Option<u16>,
    /// `payload.id` of the event, when it has one (the message id).
    pub payload_id: Option<String>,
    /// Time from sending the request to its answer (or error), in µs.
    pub latency_us: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_follow_the_policy() {
        let policy = |policy| RetryPolicy {
            policy,
            delay_seconds: 2.0,
            attempts: 5,
        };
        assert_eq!(policy(RetryKind::Constant).delay(3), Duration::from_secs(2));
        assert_eq!(policy(RetryKind::Linear).delay(3), Duration::from_secs(6));
        let third = policy(RetryKind::Exponential).delay(3).as_secs_f64();
        assert!((6.4..=9.6).contains(&third), "8 s ± 20 %, got {third}");
    }
}
