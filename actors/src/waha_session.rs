//! `WahaSession` actor: one per WhatsApp session (one business number),
//! supervised by the shard supervisor of its WAHA instance.
//!
//! It is the single way out to WhatsApp for its session. Replies to
//! different customers are sent in parallel (at most
//! `max_parallel_sends` chats at once), each chat's own replies in order,
//! one at a time. Anti-ban pacing is a *rate* shared by the session's sends
//! (governor), not a queue; typing indicators of different chats overlap.
//! `sendSeen` runs on its own and never delays a reply. Network errors and
//! 5xx are retried with capped exponential backoff and jitter.
//!
//! Outbox messages are marked sent once WAHA accepts them and are sent with
//! their pre-generated WhatsApp id, so a resend is recognisable (and shows
//! no typing again). When WAHA cannot take a message (session not WORKING,
//! instance down, breaker open) the session *holds*: the message goes back
//! to the front of its chat's queue, no new send starts, and sending
//! resumes after a growing delay, or at once when WAHA reports the session
//! WORKING. WAHA's final refusals (other 4xx) are recorded on the outbox
//! row and not retried.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rand::Rng;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::breaker::CircuitBreaker;
use crate::ingress::ReplyTicket;
use crate::metrics;
use crate::ports::{OutboundContent, OutboxMessage, OutboxStore, SentMark};
use crate::settings::WahaSettings;
use crate::storage_retry::with_patience;
use crate::waha_client::{WahaClient, WahaError};

/// Longest wait before sending resumes after WAHA could not take a message.
const MAX_HOLD_DELAY: Duration = Duration::from_secs(30);

/// A message for one customer.
#[derive(Debug)]
pub struct Outbound {
    /// The customer's chat id.
    pub chat_id: String,
    /// What to send.
    pub content: OutboundContent,
    /// Its outbox row `(tenant, id)`, marked sent on success; `None` for
    /// best-effort notices that are not stored.
    pub outbox: Option<(Uuid, i64)>,
    /// WhatsApp id to send it under, if pre-generated.
    pub wa_message_id: Option<String>,
    /// When the customer's triggering webhook arrived, if this is a reply.
    pub received_at: Option<Instant>,
    /// Its place in the budget of replies waiting for WAHA, kept until WAHA
    /// takes it, so replies WAHA cannot take yet make the webhook answer
    /// 429/503 instead of piling up in memory.
    pub ticket: Option<ReplyTicket>,
    /// Whether the typing indicator is shown first (not for a resend: the
    /// customer may have seen it already).
    pub show_typing: bool,
}

impl Outbound {
    /// An outbox message, ready to send for the first time.
    pub fn from_outbox(
        message: OutboxMessage,
        received_at: Option<Instant>,
        ticket: Option<ReplyTicket>,
    ) -> Self {
        Self {
            chat_id: message.chat_id,
            content: message.content,
            outbox: Some((message.tenant_id, message.id)),
            wa_message_id: Some(message.wa_message_id),
            received_at,
            ticket,
            show_typing: true,
        }
    }
}

/// Messages of the `WahaSession` actor.
#[derive(Debug)]
pub enum WahaSessionMsg {
    /// Send a message (paced, with typing and retries; held if WAHA cannot
    /// take it now).
    Send(Outbound),
    /// Mark a customer's message as read (best effort).
    MarkSeen {
        /// The customer's chat id.
        chat_id: String,
        /// WAHA message id.
        message_id: String,
    },
    /// WAHA reported a new session status through `session.status`.
    StatusChanged(String),
    /// From a send task: the chat's send is over; `returned` is the message
    /// when WAHA could not take it now.
    SendOver {
        /// The chat whose send ended.
        chat_id: String,
        /// The message, back for a later try.
        returned: Option<Outbound>,
    },
    /// Self-scheduled: resume sending after a hold.
    Resume,
}

/// A session actor is not running (stopping, or restarting).
#[derive(Debug, thiserror::Error)]
#[error("the WahaSession actor is not running")]
pub struct SessionGone;

/// How every other actor talks to a `WahaSession` actor: typed calls
/// instead of hand-built messages.
#[derive(Debug, Clone)]
pub struct WahaSessionHandle {
    actor: ActorRef<WahaSessionMsg>,
}

impl WahaSessionHandle {
    /// The handle of `actor`.
    pub fn new(actor: ActorRef<WahaSessionMsg>) -> Self {
        Self { actor }
    }

    /// The actor behind the handle.
    pub fn actor(&self) -> &ActorRef<WahaSessionMsg> {
        &self.actor
    }

    /// Sends `message` (paced, with typing and retries; held if WAHA
    /// cannot take it now).
    pub fn send(&self, message: Outbound) -> Result<(), SessionGone> {
        self.actor
            .cast(WahaSessionMsg::Send(message))
            .map_err(|_| SessionGone)
    }

    /// Sends again a stored outbox message left unsent at a stop, without
    /// typing; it is marked sent once WAHA takes it.
    pub fn resend_stored(&self, message: OutboxMessage) -> Result<(), SessionGone> {
        self.send(Outbound {
            show_typing: false,
            ..Outbound::from_outbox(message, None, None)
        })
    }

    /// Sends `text` to `chat_id` as a best-effort notice that is not stored
    /// (an apology after a crash).
    pub fn send_notice(&self, chat_id: String, text: String) -> Result<(), SessionGone> {
        self.send(Outbound {
            chat_id,
            content: OutboundContent::Text(text),
            outbox: None,
            wa_message_id: None,
            received_at: None,
            ticket: None,
            show_typing: true,
        })
    }

    /// Marks the customer's message `message_id` as read (best effort,
    /// never delaying a reply).
    pub fn mark_seen(&self, chat_id: String, message_id: String) -> Result<(), SessionGone> {
        self.actor
            .cast(WahaSessionMsg::MarkSeen {
                chat_id,
                message_id,
            })
            .map_err(|_| SessionGone)
    }

    /// WAHA reported `status` for the session.
    pub fn status_changed(&self, status: &str) -> Result<(), SessionGone> {
        self.actor
            .cast(WahaSessionMsg::StatusChanged(status.to_owned()))
            .map_err(|_| SessionGone)
    }
}

/// Everything needed to (re)start a session actor.
#[derive(Clone)]
pub struct WahaSessionArgs {
    /// WAHA session name.
    pub session: String,
    /// Client of the WAHA instance the session lives on.
    pub client: WahaClient,
    /// The instance's circuit breaker.
    pub breaker: Arc<CircuitBreaker>,
    /// Where sent messages are recorded.
    pub outbox: Arc<dyn OutboxStore>,
    /// Pacing, typing and retry settings.
    pub settings: WahaSettings,
}

/// What every send task of a session shares.
struct Sender {
    args: WahaSessionArgs,
    /// The session's pacing, shared by its parallel sends.
    limiter: DefaultDirectRateLimiter,
}

/// State: the chats' queues, which chats are sending, the hold.
pub struct WahaSessionState {
    sender: Arc<Sender>,
    /// Messages waiting, per chat, in order.
    queues: HashMap<String, VecDeque<Outbound>>,
    /// Chats with waiting messages and no send under way, oldest first.
    ready: VecDeque<String>,
    /// Chats with a send under way (at most one each).
    sending: HashSet<String>,
    /// WAHA could not take a message: no send starts until `Resume`.
    holding: bool,
    hold_delay: Duration,
    status: Option<String>,
    /// Send, `sendSeen` and outbox-marking tasks; awaited at stop.
    tasks: JoinSet<()>,
}

/// The actor.
pub struct WahaSession;

/// How one message's send ended.
enum Delivery {
    /// WAHA took it.
    Sent,
    /// WAHA refused it for good (recorded on its outbox row).
    Refused,
    /// WAHA cannot take it now; try again later.
    Hold(Outbound),
}

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
            hold_delay: args.settings.backoff_base,
            sender: Arc::new(Sender {
                args,
                limiter: RateLimiter::direct(quota),
            }),
            queues: HashMap::new(),
            ready: VecDeque::new(),
            sending: HashSet::new(),
            holding: false,
            status: None,
            tasks: JoinSet::new(),
        })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        while state.tasks.join_next().await.is_some() {}
        let waiting: usize = state.queues.values().map(VecDeque::len).sum();
        let unsettled = waiting + state.sending.len();
        if unsettled > 0 {
            tracing::warn!(session = %state.sender.args.session, waiting,
                "stopping with unsent messages; they stay in the outbox and are sent after the restart");
            ::metrics::gauge!(metrics::OUTBOX_HELD).decrement(unsettled as f64);
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: WahaSessionMsg,
        state: &mut WahaSessionState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            WahaSessionMsg::Send(outbound) => {
                ::metrics::gauge!(metrics::OUTBOX_HELD).increment(1.0);
                let chat = outbound.chat_id.clone();
                let queue = state.queues.entry(chat.clone()).or_default();
                queue.push_back(outbound);
                if queue.len() == 1 && !state.sending.contains(&chat) {
                    state.ready.push_back(chat);
                }
                start_sends(&myself, state);
            }
            WahaSessionMsg::SendOver { chat_id, returned } => {
                state.sending.remove(&chat_id);
                match returned {
                    Some(outbound) => {
                        state
                            .queues
                            .entry(chat_id.clone())
                            .or_default()
                            .push_front(outbound);
                        hold(&myself, state);
                    }
                    None => {
                        ::metrics::gauge!(metrics::OUTBOX_HELD).decrement(1.0);
                        if !state.holding {
                            state.hold_delay = state.sender.args.settings.backoff_base;
                        }
                    }
                }
                if state
                    .queues
                    .get(&chat_id)
                    .is_some_and(|queue| !queue.is_empty())
                {
                    state.ready.push_back(chat_id);
                } else {
                    state.queues.remove(&chat_id);
                }
                start_sends(&myself, state);
            }
            WahaSessionMsg::Resume => {
                state.holding = false;
                start_sends(&myself, state);
            }
            WahaSessionMsg::MarkSeen {
                chat_id,
                message_id,
            } => {
                let sender = state.sender.clone();
                reap(&mut state.tasks);
                state.tasks.spawn(async move {
                    let args = &sender.args;
                    let result = with_retries(&args.settings, || {
                        args.client.send_seen(&args.session, &chat_id, &message_id)
                    })
                    .await;
                    if let Err(error) = result {
                        record_failure(&args.session, args.breaker.instance(), "sendSeen", &error);
                    }
                });
            }
            WahaSessionMsg::StatusChanged(status) => {
                tracing::info!(session = %state.sender.args.session, previous = ?state.status, %status, "WAHA session status changed");
                if status == "WORKING" && state.holding {
                    state.hold_delay = state.sender.args.settings.backoff_base;
                    myself.cast(WahaSessionMsg::Resume)?;
                }
                state.status = Some(status);
            }
        }
        Ok(())
    }
}

/// Starts a send for each ready chat, up to `max_parallel_sends` at once,
/// unless the session holds.
fn start_sends(myself: &ActorRef<WahaSessionMsg>, state: &mut WahaSessionState) {
    let limit = state.sender.args.settings.max_parallel_sends.max(1);
    while !state.holding && state.sending.len() < limit {
        let Some(chat) = state.ready.pop_front() else {
            break;
        };
        let Some(outbound) = state.queues.get_mut(&chat).and_then(VecDeque::pop_front) else {
            continue;
        };
        state.sending.insert(chat.clone());
        let sender = state.sender.clone();
        let myself = myself.clone();
        reap(&mut state.tasks);
        state.tasks.spawn(async move {
            let row = outbound.outbox;
            let delivery = deliver(&sender, outbound).await;
            let sent = matches!(delivery, Delivery::Sent);
            let returned = match delivery {
                Delivery::Hold(outbound) => Some(outbound),
                Delivery::Sent | Delivery::Refused => None,
            };
            // The chat's next reply need not wait for the mark's commit. If
            // the actor is gone, the message stays unsent in the outbox and
            // goes out after the restart.
            let _ = myself.cast(WahaSessionMsg::SendOver {
                chat_id: chat,
                returned,
            });
            if let (true, Some((tenant_id, id))) = (sent, row) {
                mark_sent(&sender, tenant_id, id).await;
            }
        });
    }
}

/// Stops starting sends until `Resume`, which comes after a delay that
/// grows while WAHA keeps refusing (or at once when it reports WORKING).
fn hold(myself: &ActorRef<WahaSessionMsg>, state: &mut WahaSessionState) {
    if state.holding {
        return;
    }
    state.holding = true;
    let delay = state
        .sender
        .args
        .breaker
        .wait()
        .unwrap_or_default()
        .max(state.hold_delay);
    state.hold_delay = (state.hold_delay * 2).min(MAX_HOLD_DELAY);
    myself.send_after(delay, || WahaSessionMsg::Resume);
}

/// Drops finished tasks, so the set holds only the running ones.
fn reap(tasks: &mut JoinSet<()>) {
    while tasks.try_join_next().is_some() {}
}

/// Marks an outbox message sent. If this is lost (crash, database error),
/// the message is resent after a restart under the same WhatsApp id, which
/// WhatsApp treats as the same message.
async fn mark_sent(sender: &Sender, tenant_id: Uuid, id: i64) {
    let args = &sender.args;
    let mark = [SentMark { tenant_id, id }];
    let marked = with_patience("mark an outbox message sent", || {
        args.outbox.mark_sent(&mark)
    })
    .await;
    if let Err(error) = marked {
        tracing::error!(session = %args.session, %error, id, "could not mark an outbox message sent");
    }
}

/// Sends one message; records a final refusal on its outbox row.
async fn deliver(sender: &Sender, outbound: Outbound) -> Delivery {
    let args = &sender.args;
    match send(sender, &outbound).await {
        Ok(()) => {
            ::metrics::counter!(metrics::MESSAGES_OUT, "kind" => outbound.content.kind())
                .increment(1);
            if let Some(received_at) = outbound.received_at {
                ::metrics::histogram!(metrics::REPLY_LATENCY)
                    .record(received_at.elapsed().as_secs_f64());
            }
            Delivery::Sent
        }
        Err(NotSent::Refused(error)) => {
            record_failure(
                &args.session,
                args.breaker.instance(),
                outbound.content.kind(),
                &error,
            );
            if let Some((tenant_id, id)) = outbound.outbox
                && let Err(store_error) = args
                    .outbox
                    .mark_failed(tenant_id, id, &error.to_string())
                    .await
            {
                tracing::error!(session = %args.session, error = %store_error, id, "could not mark an outbox message failed");
            }
            Delivery::Refused
        }
        Err(NotSent::Hold) => Delivery::Hold(outbound),
    }
}

/// Why a message could not go now.
enum NotSent {
    /// WAHA cannot take it now; keep it and try later.
    Hold,
    /// WAHA refused it for good.
    Refused(WahaError),
}

async fn send(sender: &Sender, outbound: &Outbound) -> Result<(), NotSent> {
    let args = &sender.args;
    let settings = &args.settings;
    let session = &args.session;
    let client = &args.client;
    let breaker = &args.breaker;
    if breaker.wait().is_some() {
        return Err(NotSent::Hold);
    }
    sender.limiter.until_ready().await;
    let typing = settings
        .typing_per_char
        .saturating_mul(outbound.content.len() as u32)
        .min(settings.typing_max);
    if outbound.show_typing && !typing.is_zero() {
        // Typing is cosmetic: a failure is logged and the reply still goes out.
        if let Err(error) = client.typing(session, &outbound.chat_id, true).await {
            record_failure(session, breaker.instance(), "startTyping", &error);
        }
        tokio::time::sleep(typing).await;
        if let Err(error) = client.typing(session, &outbound.chat_id, false).await {
            record_failure(session, breaker.instance(), "stopTyping", &error);
        }
    }
    let id = outbound.wa_message_id.as_deref();
    let result = with_retries(settings, || async {
        let started = Instant::now();
        let result = match &outbound.content {
            OutboundContent::Text(text) => {
                client.send_text(session, &outbound.chat_id, text, id).await
            }
            OutboundContent::Image { url, caption } => {
                client
                    .send_image(session, &outbound.chat_id, url, caption, id)
                    .await
            }
        };
        ::metrics::histogram!(metrics::WAHA_REQUEST,
            "waha_instance" => breaker.instance().to_owned(), "call" => outbound.content.kind())
        .record(started.elapsed().as_secs_f64());
        match &result {
            Ok(()) => breaker.record_success(),
            Err(error) if error.is_retryable() => breaker.record_failure(),
            Err(_) => {}
        }
        result
    })
    .await;
    match result {
        Ok(()) => Ok(()),
        Err(error @ WahaError::Rejected { .. }) => Err(NotSent::Refused(error)),
        Err(error) => {
            record_failure(session, breaker.instance(), outbound.content.kind(), &error);
            Err(NotSent::Hold)
        }
    }
}

fn record_failure(session: &str, instance: &str, call: &str, error: &WahaError) {
    ::metrics::counter!(metrics::WAHA_SEND_ERRORS, "waha_instance" => instance.to_owned(), "reason" => error.reason())
        .increment(1);
    tracing::warn!(%session, call, %error, "WAHA call failed");
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
                tracing::debug!(%error, attempt, ?delay, "WAHA call failed, retrying");
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

/// A fresh WhatsApp-style message id (`3EB0` and 18 hex digits), sent as
/// WAHA's `id` so the message can be recognised if it is ever resent.
pub fn new_wa_message_id() -> String {
    let hex = Uuid::new_v4().simple().to_string().to_uppercase();
    format!("3EB0{}", &hex[..18])
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

    #[test]
    fn message_ids_look_like_whatsapp_ids() {
        let id = new_wa_message_id();
        assert_eq!(id.len(), 22);
        assert!(id.starts_with("3EB0") && id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, new_wa_message_id());
    }
}
