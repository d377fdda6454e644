//! An in-memory WAHA server that follows `waha-api.md`: sessions and their
//! status machine, QR codes, the send endpoints, `X-Api-Key` auth, and
//! webhooks signed with HMAC-SHA512 and retried per the session's policy.
//!
//! Start one with [`Simulator::start`]; drive customers and pairing through
//! the handle's methods or the `/sim/...` HTTP hooks (see `routes`).
//! [`driver`] plays a platform's operator and its customers against a
//! running wabot, with a simulator as their WAHA. The simulator backs
//! `wabot demo`, the test suites, the load generator and the `waha-sim`
//! binary, and talks to wabot only over HTTP, as WAHA would.

mod customers;
pub mod driver;
mod qr;
mod routes;
mod sessions;
mod state;
mod waiting;
mod webhook_types;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use state::{SentRecord, SessionStatus, install_tls_provider};
pub use webhooks::{DeliveryRecord, RetryKind, RetryPolicy, WebhookConfig, sign};

use state::Shared;

/// Which engine's response shapes the simulator imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "UPPERCASE")]
pub enum Engine {
    /// WebSocket engine in Go: `WAMessage`-like send responses.
    Gows,
    /// Baileys engine: raw `{key, message, status}` send responses.
    Noweb,
}

impl Engine {
    /// The name WAHA puts in `engine` fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Gows => "GOWS",
            Engine::Noweb => "NOWEB",
        }
    }
}

/// How the simulator behaves. The defaults follow WAHA's documented timings.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Address to listen on; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Required `X-Api-Key`: plain, or `sha512:<hex digest>` as WAHA accepts.
    pub api_key: String,
    /// Engine whose response shapes to imitate.
    pub engine: Engine,
    /// Time a session spends in `STARTING`.
    pub starting_delay: Duration,
    /// Lifetime of the first QR code.
    pub first_qr_ttl: Duration,
    /// Lifetime of each later QR code (six codes in all, then `FAILED`).
    pub next_qr_ttl: Duration,
    /// How long a send waits for a session to become `WORKING` before 422.
    pub not_working_wait: Duration,
    /// Delay between the ack levels (1 → 2 → 3) of a sent message.
    pub ack_delay: Duration,
    /// `environment.worker.id` in webhook envelopes.
    pub worker_id: String,
    /// How long customers' media files can be downloaded (WAHA's
    /// `WHATSAPP_FILES_LIFETIME`, 180 s by default; zero keeps them).
    pub files_lifetime: Duration,
}

/// A file a customer sends (a photo, a PDF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMedia {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// `image/jpeg`, `application/pdf`, …
    pub mimetype: String,
    /// The document's name, if it has one.
    pub filename: Option<String>,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: "waha-sim-key".to_owned(),
            engine: Engine::Gows,
            starting_delay: Duration::from_secs(1),
            first_qr_ttl: Duration::from_secs(60),
            next_qr_ttl: Duration::from_secs(20),
            not_working_wait: Duration::from_secs(5),
            ack_delay: Duration::from_millis(500),
            worker_id: "waha-sim-1".to_owned(),
            files_lifetime: Duration::from_secs(180),
        }
    }
}

impl SimulatorConfig {
    /// Timings for tests and the demo: no waiting anywhere it can be avoided.
    pub fn fast() -> Self {
        Self {
            starting_delay: Duration::ZERO,
            not_working_wait: Duration::from_millis(100),
            ack_delay: Duration::from_millis(20),
            ..Self::default()
        }
    }
}

/// What the simulator refuses, with the status WAHA would answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// 404: no session of that name.
    #[error("Session not found")]
    SessionNotFound,
    /// 422: the session is not in a status that allows the call.
    #[error("Session status is not as expected: {status:?}, expected {expected:?}")]
    WrongStatus {
        /// Session name.
        session: String,
        /// Its status now.
        status: SessionStatus,
        /// Statuses that would have been accepted.
        expected: Vec<SessionStatus>,
    },
    /// 422: a session with that name exists already.
    #[error("Session '{0}' already exists. Use PUT to update it.")]
    SessionExists(String),
    /// 400: the request body failed validation.
    #[error("Bad Request: {0:?}")]
    Invalid(Vec<String>),
}

/// The serving task and its stop switch.
struct Serving {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Serving {
    fn spawn(listener: TcpListener, shared: Arc<Shared>) -> Self {
        let app = routes::router(shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "WAHA simulator stopped with an error");
            }
        });
        Self { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    serving: std::sync::Mutex<Option<Serving>>,
}

impl Simulator {
    /// Binds, starts serving in the background and returns the handle.
    pub async fn start(config: SimulatorConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let serving = Serving::spawn(listener, shared.clone());
        Ok(Self {
            addr,
            shared,
            serving: std::sync::Mutex::new(Some(serving)),
        })
    }

    /// `http://127.0.0.1:<port>`, the base URL to give the bot.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The plain API key clients must send (unless configured as a digest).
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// Creates (and optionally starts) a session, as `POST /api/sessions` does.
    pub fn create_session(
        &self,
        name: &str,
        webhooks: Vec<WebhookConfig>,
        metadata: Option<serde_json::Value>,
        start: bool,
    ) -> Result<(), SimError> {
        sessions::create_session(&self.shared, name, webhooks, metadata, start)
    }

    /// Replaces the session's webhooks, as `PUT /api/sessions/{s}` does, and
    /// waits (up to `timeout`) for it to be WORKING again.
    pub async fn set_webhooks(
        &self,
        session: &str,
        webhooks: Vec<WebhookConfig>,
        timeout: Duration,
    ) -> Result<(), SimError> {
        let metadata = self.shared.with_session(session, |s| s.metadata.clone())?;
        sessions::update_session(&self.shared, session, webhooks, metadata)?;
        match self
            .wait_for_status(session, SessionStatus::Working, timeout)
            .await
        {
            Some(SessionStatus::Working) => Ok(()),
            status => Err(SimError::WrongStatus {
                session: session.to_owned(),
                status: status.unwrap_or(SessionStatus::Stopped),
                expected: vec![SessionStatus::Working],
            }),
        }
    }

    /// Plays the phone scanning the QR code: `SCAN_QR_CODE` → `WORKING`.
    pub fn scan(&self, session: &str, phone: &str, push_name: &str) -> Result<(), SimError> {
        sessions::scan(&self.shared, session, phone, push_name)
    }

    /// Waits (up to `timeout`) for the session to reach `status`; returns the
    /// status it has then.
    pub async fn wait_for_status(
        &self,
        session: &str,
        status: SessionStatus,
        timeout: Duration,
    ) -> Option<SessionStatus> {
        self.shared.wait_for_status(session, status, timeout).await
    }

    /// Waits (up to `timeout`) for the session to reach `SCAN_QR_CODE`, then
    /// scans: the usual way a test pairs a freshly started session.
    pub async fn pair(
        &self,
        session: &str,
        phone: &str,
        push_name: &str,
        timeout: Duration,
    ) -> Result<(), SimError> {
        self.wait_for_status(session, SessionStatus::ScanQrCode, timeout)
            .await;
        self.scan(session, phone, push_name)
    }

    /// Plays the phone unlinking the device: `WORKING` → `FAILED`.
    pub fn unlink(&self, session: &str) -> Result<(), SimError> {
        sessions::unlink(&self.shared, session)
    }

    /// The status a session is in now.
    pub fn session_status(&self, session: &str) -> Option<SessionStatus> {
        self.shared.session_status(session)
    }

    /// Plays a customer writing to the session's number; emits `message` and
    /// `message.any`. Returns the WAHA message id.
    pub fn inject_customer_message(
        &self,
        session: &str,
        from: &str,
        body: &str,
    ) -> Result<String, SimError> {
        customers::inject_customer_message(&self.shared, session, from, body)
    }

    /// Plays a customer sending `media` with `caption`: the `message` event
    /// has `hasMedia: true` and a `media.url` to download with the API key,
    /// valid for `files_lifetime`. Returns the WAHA message id.
    pub fn inject_customer_media(
        &self,
        session: &str,
        from: &str,
        caption: &str,
        media: CustomerMedia,
    ) -> Result<String, SimError> {
        customers::inject_customer_media(
            &self.shared,
            &self.base_url(),
            session,
            from,
            caption,
            media,
        )
    }

    /// Makes the next `count` send calls fail with HTTP `status`.
    pub fn fail_next_sends(&self, count: u32, status: u16) {
        self.shared.fail_next_sends(count, status);
    }

    /// Makes the next `count` send calls answer only after `delay`.
    pub fn slow_next_sends(&self, count: u32, delay: Duration) {
        self.shared.slow_next_sends(count, delay);
    }

    /// Every send-type call the simulator accepted, oldest first.
    pub fn sent(&self) -> Vec<SentRecord> {
        self.shared.sent()
    }

    /// Every webhook delivery attempt, oldest first.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.shared.deliveries()
    }

    /// Waits until at least `count` records match `filter`, or `timeout`
    /// passes; returns the matching records either way.
    pub async fn wait_for_sent(
        &self,
        filter: impl Fn(&SentRecord) -> bool,
        count: usize,
        timeout: Duration,
    ) -> Vec<SentRecord> {
        self.shared.wait_for_sent(filter, count, timeout).await
    }

    /// Waits until `count` webhook delivery attempts were made (or
    /// `timeout`); returns all delivery records.
    pub async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<DeliveryRecord> {
        self.shared.wait_for_deliveries(count, timeout).await
    }

    /// Waits (up to `timeout`) until `chat_id` has received `count` text or
    /// image messages; returns how many it has. Cheap under load.
    pub async fn wait_for_messages_to(
        &self,
        chat_id: &str,
        count: usize,
        timeout: Duration,
    ) -> usize {
        self.shared
            .wait_for_messages_to(chat_id, count, timeout)
            .await
    }

    /// Waits (up to `timeout`) until the event carrying message `payload_id`
    /// was acknowledged with a 2xx; returns that delivery.
    pub async fn wait_for_delivered(
        &self,
        payload_id: &str,
        timeout: Duration,
    ) -> Option<DeliveryRecord> {
        self.shared.wait_for_delivered(payload_id, timeout).await
    }

    fn take_serving(&self) -> Option<Serving> {
        self.serving
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// Plays WAHA being unreachable: stops listening (connections are then
    /// refused) while sessions, records and webhook retries carry on.
    pub async fn go_offline(&self) {
        if let Some(serving) = self.take_serving() {
            serving.stop().await;
        }
    }

    /// Listens again on the same address after [`Simulator::go_offline`].
    pub async fn go_online(&self) -> std::io::Result<()> {
        let listener = TcpListener::bind(self.addr).await?;
        let serving = Serving::spawn(listener, self.shared.clone());
        *self
            .serving
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(serving);
        Ok(())
    }

    /// Text and image messages sent to `chat_id` so far.
    pub fn sent_count_to(&self, chat_id: &str) -> usize {
        self.shared.sent_count_to(chat_id)
    }

    /// Whether the event carrying message `payload_id` was acknowledged with
    /// a 2xx (`Some(true)`), dropped after its last attempt (`Some(false)`),
    /// or is still being retried (`None`).
    pub fn delivery_outcome(&self, payload_id: &str) -> Option<bool> {
        self.shared.delivery_outcome(payload_id)
    }

    /// Stops serving and waits for the server task.
    pub async fn stop(self) {
        self.go_offline().await;
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(serving) = self.take_serving() {
            let _ = serving.stop.send(());
        }
    }
}
