//! The retry schedule wabot registers on every WAHA session webhook, and
//! the freshness window that follows from it.
//!
//! WAHA redelivers an event that was not answered 2xx (waha-api.md §4.11)
//! on the schedule a session's webhook names, and signs its creation time
//! in the envelope's `timestamp`. wabot refuses events older than a
//! window, so that a captured event cannot be replayed later on. Three
//! numbers must fit together, or messages are lost or replays let in:
//!
//! 1. **The schedule** ([`REGISTERED`]): exponential, 2 s doubling, 12
//!    attempts. Its retries cover an outage of wabot of about 68 minutes
//!    (2 + 4 + … + 2048 s = 4094 s), after which WAHA drops the event.
//! 2. **The window** ([`RetrySchedule::freshness_window`]): the latest
//!    moment the *last* retry can arrive, counted from the event's
//!    creation: every delay stretched by WAHA's +20 % jitter, plus a
//!    generous [`ATTEMPT_ALLOWANCE`] per attempt for the time each try
//!    takes to fail (a timeout), plus [`CLOCK_ALLOWANCE`] for the two
//!    clocks. About 88 minutes: the last retry is always accepted.
//! 3. **Dedupe keys**: every stored message keeps its `(session, message
//!    id)` row for good (only its text is erased after
//!    `inbox.text_retention_hours`), and that retention is checked to be
//!    longer than the window. So a replay of a message wabot stored is a
//!    duplicate, at any age; a replay of one it never stored is refused
//!    once the window has passed.

use std::time::Duration;

use serde_json::{Value, json};

/// Time allowed for one delivery attempt to fail (WAHA's request timeout
/// is not documented; a hanging wabot could hold each try this long).
pub const ATTEMPT_ALLOWANCE: Duration = Duration::from_secs(30);

/// Clock difference allowed between WAHA and wabot.
pub const CLOCK_ALLOWANCE: Duration = Duration::from_secs(60);

/// Largest upward jitter WAHA adds to an exponential delay (±20 %), in
/// percent.
const JITTER_PERCENT: u64 = 20;

/// WAHA's `retries: {policy: "exponential", delaySeconds, attempts}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    /// The first delay; each next one doubles.
    pub delay_secs: u64,
    /// Tries in all, the first delivery included.
    pub attempts: u32,
}

/// What wabot registers on every session it creates.
pub const REGISTERED: RetrySchedule = RetrySchedule {
    delay_secs: 2,
    attempts: 12,
};

impl RetrySchedule {
    /// The `retries` object of a WAHA webhook.
    pub fn as_json(&self) -> Value {
        json!({"policy": "exponential", "delaySeconds": self.delay_secs, "attempts": self.attempts})
    }

    /// The sum of the delays between tries, without jitter: how long an
    /// outage the retries bridge.
    pub fn outage_covered(&self) -> Duration {
        let retries = self.attempts.saturating_sub(1);
        let doubled = (0..retries).map(|n| self.delay_secs.saturating_mul(1 << n.min(40)));
        Duration::from_secs(doubled.fold(0, u64::saturating_add))
    }

    /// The latest the last try can arrive after the event was created.
    pub fn last_attempt_at_most(&self) -> Duration {
        let delays = self.outage_covered() * (100 + JITTER_PERCENT as u32) / 100;
        delays + ATTEMPT_ALLOWANCE * self.attempts
    }

    /// The oldest an event may be and still be accepted: the last try's
    /// latest arrival plus the clock allowance.
    pub fn freshness_window(&self) -> Duration {
        self.last_attempt_at_most() + CLOCK_ALLOWANCE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registered_schedule_and_its_window_fit() {
        assert_eq!(REGISTERED.outage_covered(), Duration::from_secs(4094));
        // 4094 s × 1.2 + 12 × 30 s.
        assert_eq!(
            REGISTERED.last_attempt_at_most(),
            Duration::from_millis(4_912_800 + 360_000)
        );
        let window = REGISTERED.freshness_window();
        assert!(window > REGISTERED.last_attempt_at_most());
        assert!(window < Duration::from_secs(2 * 3600), "{window:?}");
        assert_eq!(
            REGISTERED.as_json(),
            json!({"policy": "exponential", "delaySeconds": 2, "attempts": 12})
        );
    }
}
