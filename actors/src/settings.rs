//! Tunables of the runtime, filled from the server's configuration.

use std::num::NonZeroU32;
use std::time::Duration;

/// Runtime behaviour.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// A conversation with no message for this long is saved and stopped.
    pub conversation_idle: Duration,
    /// Timeout for calls between actors.
    pub call_timeout: Duration,
    /// Most customer messages accepted and not yet handled, in all.
    pub max_in_flight: usize,
    /// Most such messages for one tenant.
    pub max_in_flight_per_tenant: usize,
    /// Replies committed and not yet taken by WAHA, server-wide; past it,
    /// new messages are refused (503).
    pub max_waiting_replies: usize,
    /// The same per tenant (429).
    pub max_waiting_replies_per_tenant: usize,
    /// Most inbox events written in one transaction.
    pub inbox_batch_max: usize,
    /// Longest an inbox event waits for others to share its transaction.
    pub inbox_batch_delay: Duration,
    /// Most conversation steps per transaction of the step writer.
    pub step_batch_max: usize,
    /// How sessions talk to WAHA.
    pub waha: WahaSettings,
}

/// How a `WahaSession` actor talks to WAHA.
#[derive(Debug, Clone)]
pub struct WahaSettings {
    /// Timeout of one HTTP request to WAHA.
    pub request_timeout: Duration,
    /// Tries per outbound message (first included) on network errors and 5xx.
    pub max_attempts: u32,
    /// First retry delay; doubles per retry, with jitter.
    pub backoff_base: Duration,
    /// Cap of the retry delay.
    pub backoff_max: Duration,
    /// Sustained outbound messages per second per session (anti-ban pacing).
    pub messages_per_second: NonZeroU32,
    /// Messages a session may send back to back before pacing applies.
    pub burst: NonZeroU32,
    /// Typing indicator time per reply character; zero turns typing off.
    pub typing_per_char: Duration,
    /// Cap of the typing indicator time.
    pub typing_max: Duration,
    /// Chats of one session whose replies may be in flight at once.
    pub max_parallel_sends: usize,
    /// Consecutive failed calls that open an instance's circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker holds calls back.
    pub breaker_cooldown: Duration,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            conversation_idle: Duration::from_secs(300),
            call_timeout: Duration::from_secs(5),
            max_in_flight: 10_000,
            max_in_flight_per_tenant: 1_000,
            max_waiting_replies: 20_000,
            max_waiting_replies_per_tenant: 2_000,
            inbox_batch_max: 256,
            inbox_batch_delay: Duration::from_millis(2),
            step_batch_max: 256,
            waha: WahaSettings::default(),
        }
    }
}

impl Default for WahaSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(15),
            max_attempts: 5,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(8),
            messages_per_second: NonZeroU32::new(5).expect("non-zero"),
            burst: NonZeroU32::new(10).expect("non-zero"),
            typing_per_char: Duration::from_millis(15),
            typing_max: Duration::from_millis(1500),
            max_parallel_sends: 32,
            breaker_threshold: 10,
            breaker_cooldown: Duration::from_secs(10),
        }
    }
}
