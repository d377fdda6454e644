//! `WahaSession` actor: one per WhatsApp session (one business number),
//! supervised by the shard supervisor of its WAHA instance.
//!
//! It is the single way out to WhatsApp for its session: a serial queue that
//! paces sends (anti-ban), shows typing, marks messages seen, and retries
//! network errors and 5xx with capped exponential backoff and jitter.

use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rand::Rng;

use crate::metrics;
use crate::settings::WahaSettings;
use crate::waha_client::{WahaClient, WahaError};

/// What to send.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboundContent {
    /// A text message.
    Text(String),
    /// A picture by URL, with a caption.
    Image {
        /// Public URL WAHA downloads.
        url: String,
        /// Caption.
        caption: String,
    },
}

impl OutboundContent {
    fn kind(&self) -> &'static str {
        match self {
            OutboundContent::Text(_) => "text",
            OutboundContent::Image { .. } => "image",
        }
    }

    fn len(&self) -> usize {
        match self {
            OutboundContent::Text(text) => text.chars().count(),
            OutboundContent::Image { caption, .. } => caption.chars().count(),
        }
    }
}

/// A message for one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    /// The customer's chat id.
    pub chat_id: String,
    /// What to send.
    pub content: OutboundContent,
    /// When the customer's triggering webhook arrived, if this is a reply.
    pub received_at: Option<Instant>,
}

/// Messages of the `WahaSession` actor.
#[derive(Debug)]
pub enum WahaSessionMsg {
    /// Send a message (paced, with typing and retries).
    Send(Outbound),
    /// Mark a customer's message as read.
    MarkSeen {
        /// The customer's chat id.
        chat_id: String,
        /// WAHA message id.
        message_id: String,
    },
    /// WAHA reported a new session status through `session.status`.
    StatusChanged(String),
}

/// State: the client, the pacing limiter, and the last known status.
pub struct WahaSessionState {
    args: WahaSessionArgs,
    limiter: DefaultDirectRateLimiter,
    status: Option<String>,
}

/// Everything needed to (re)start a session actor.
#[derive(Clone)]
pub struct WahaSessionArgs {
    /// WAHA session name.
    pub session: String,
    /// Client of the WAHA instance the session lives on.
    pub client: WahaClient,
    /// Pacing, typing and retry settings.
    pub settings: WahaSettings,
}

/// The actor.
pub struct WahaSession;

impl Actor for WahaSession {
    type Msg = WahaSessionMsg;
    type State = WahaSessionState;
    type Arguments = WahaSessionArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: WahaSessionArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let quota =
            Quota::per_second(args.settings.messages_per_second).allow_burst(args.settings.burst);
        Ok(WahaSessionState {
            args,
            limiter: RateLimiter::direct(quota),
            status: None,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: WahaSessionMsg,
        state: &mut WahaSessionState,
    ) -> Result<(), ActorProcessingErr> {
        let session = state.args.session.clone();
        match message {
            WahaSessionMsg::Send(outbound) => send(state, &outbound).await,
            WahaSessionMsg::MarkSeen {
                chat_id,
                message_id,
            } => {
                let client = state.args.client.clone();
                let result = with_retries(&state.args.settings, || {
                    client.send_seen(&session, &chat_id, &message_id)
                })
                .await;
                if let Err(error) = result {
                    record_failure(&session, "sendSeen", &error);
                }
            }
            WahaSessionMsg::StatusChanged(status) => {
                tracing::info!(%session, previous = ?state.status, %status, "WAHA session status changed");
                state.status = Some(status);
            }
        }
        Ok(())
    }
}

async fn send(state: &WahaSessionState, outbound: &Outbound) {
    let settings = &state.args.settings;
    let session = &state.args.session;
    let client = &state.args.client;
    state.limiter.until_ready().await;
    let typing = settings
        .typing_per_char
        .saturating_mul(outbound.content.len() as u32)
        .min(settings.typing_max);
    if !typing.is_zero() {
        // Typing is cosmetic: a failure is logged and the reply still goes out.
        if let Err(error) = client.typing(session, &outbound.chat_id, true).await {
            record_failure(session, "startTyping", &error);
        }
        tokio::time::sleep(typing).await;
        if let Err(error) = client.typing(session, &outbound.chat_id, false).await {
            record_failure(session, "stopTyping", &error);
        }
    }
    let result = with_retries(settings, || async {
        match &outbound.content {
            OutboundContent::Text(text) => client.send_text(session, &outbound.chat_id, text).await,
            OutboundContent::Image { url, caption } => {
                client
                    .send_image(session, &outbound.chat_id, url, caption)
                    .await
            }
        }
    })
    .await;
    match result {
        Ok(()) => {
            ::metrics::counter!(metrics::MESSAGES_OUT, "kind" => outbound.content.kind())
                .increment(1);
            if let Some(received_at) = outbound.received_at {
                ::metrics::histogram!(metrics::REPLY_LATENCY)
                    .record(received_at.elapsed().as_secs_f64());
            }
        }
        Err(error) => record_failure(session, outbound.content.kind(), &error),
    }
}

fn record_failure(session: &str, call: &str, error: &WahaError) {
    ::metrics::counter!(metrics::WAHA_SEND_ERRORS, "reason" => error.reason()).increment(1);
    tracing::error!(%session, call, %error, "WAHA call failed");
}

/// Runs `call` until it succeeds, fails for good, or runs out of attempts.
async fn with_retries<F, Fut>(settings: &WahaSettings, mut call: F) -> Result<(), WahaError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), WahaError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(error) if error.is_retryable() && attempt < settings.max_attempts => {
                let delay = backoff(settings, attempt);
                tracing::warn!(%error, attempt, ?delay, "WAHA call failed, retrying");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// `base × 2^(attempt-1)`, capped, times a jitter in [0.5, 1.0].
fn backoff(settings: &WahaSettings, attempt: u32) -> Duration {
    let exponential = settings
        .backoff_base
        .saturating_mul(1u32 << (attempt - 1).min(16))
        .min(settings.backoff_max);
    exponential.mul_f64(rand::rng().random_range(0.5..=1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stays_under_the_cap() {
        let settings = WahaSettings {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(500),
            ..WahaSettings::default()
        };
        let third = backoff(&settings, 3);
        assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
        assert!(backoff(&settings, 30) <= Duration::from_millis(500));
    }
}
