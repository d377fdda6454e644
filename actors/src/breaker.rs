//! A circuit breaker per WAHA instance, shared by its session actors: after
//! `threshold` consecutive failed calls it opens for `cooldown`, during which
//! sessions hold their messages instead of hammering a dead instance; then
//! one call is let through, and a success closes it again.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::metrics;

/// The breaker of one WAHA instance.
#[derive(Debug)]
pub struct CircuitBreaker {
    instance: String,
    threshold: u32,
    cooldown: Duration,
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
}

impl CircuitBreaker {
    /// A closed breaker for `instance` (its name labels the metric).
    pub fn new(instance: &str, threshold: u32, cooldown: Duration) -> Self {
        ::metrics::gauge!(metrics::BREAKER_OPEN, "waha_instance" => instance.to_owned()).set(0.0);
        metrics::register_instance(instance);
        Self {
            instance: instance.to_owned(),
            threshold: threshold.max(1),
            cooldown,
            failures: AtomicU32::new(0),
            open_until: Mutex::new(None),
        }
    }

    /// The instance's name.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    fn open_until(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.open_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long calls must still wait, or `None` when a call may go.
    pub fn wait(&self) -> Option<Duration> {
        let until = (*self.open_until())?;
        until.checked_duration_since(Instant::now())
    }

    /// A call succeeded: close.
    pub fn record_success(&self) {
        self.failures.store(0, Ordering::Relaxed);
        if self.open_until().take().is_some() {
            tracing::info!(instance = %self.instance, "WAHA instance answers again; circuit closed");
            ::metrics::gauge!(metrics::BREAKER_OPEN, "waha_instance" => self.instance.clone())
                .set(0.0);
        }
    }

    /// A call failed in a way that says the instance is unwell: count it,
    /// and open at the threshold.
    pub fn record_failure(&self) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures >= self.threshold {
            *self.open_until() = Some(Instant::now() + self.cooldown);
            tracing::warn!(instance = %self.instance, failures, cooldown = ?self.cooldown, "WAHA instance failing; circuit open");
            ::metrics::gauge!(metrics::BREAKER_OPEN, "waha_instance" => self.instance.clone())
                .set(1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_at_the_threshold_and_closes_on_success() {
        let breaker = CircuitBreaker::new("w", 3, Duration::from_secs(30));
        breaker.record_failure();
        breaker.record_failure();
        assert!(breaker.wait().is_none(), "still closed below the threshold");
        breaker.record_failure();
        assert!(breaker.wait().is_some_and(|d| d > Duration::from_secs(29)));
        breaker.record_success();
        assert!(breaker.wait().is_none());
    }

    #[test]
    fn lets_a_call_through_after_the_cooldown() {
        let breaker = CircuitBreaker::new("w", 1, Duration::ZERO);
        breaker.record_failure();
        assert!(breaker.wait().is_none(), "a zero cooldown is over at once");
    }
}
