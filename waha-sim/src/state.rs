//! The simulator's memory: its sessions, what it was asked to send, the
//! webhook deliveries it made, and customers' files; with the accessors
//! that read and record them. The status machine is in `sessions`, the
//! customers in `customers`, and the waits on this memory in `waiting`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::webhook_types::{DeliveryRecord, WebhookConfig};
use super::{SimError, SimulatorConfig};

/// WAHA session statuses (waha-api.md §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionStatus {
    /// Not running.
    Stopped,
    /// Booting or connecting.
    Starting,
    /// Waiting for a QR scan or pairing code.
    ScanQrCode,
    /// Authenticated and connected; the only status that can send.
    Working,
    /// Broken: unscanned QR, unlinked phone.
    Failed,
}

/// Number of QR codes shown before the session gives up with `FAILED`.
pub(super) const QR_CODES_BEFORE_FAILED: u32 = 6;

/// One call to a send-type endpoint that the simulator accepted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentRecord {
    /// Session that sent.
    pub session: String,
    /// Normalised chat id (`15551234567@c.us`).
    pub chat_id: String,
    /// `text`, `image`, `file`, `seen`, `typing_start`, `typing_stop`,
    /// `reaction`, `poll` or `list`.
    pub kind: String,
    /// Text or caption, when the call had one.
    pub text: Option<String>,
    /// The WAHA id of the sent message, for message-type sends.
    pub message_id: Option<String>,
    /// The request body as received.
    pub body: Value,
    /// Unix ms when accepted.
    pub at_ms: u64,
}

pub(super) struct Session {
    pub(super) name: String,
    pub(super) status: SessionStatus,
    pub(super) config: Value,
    pub(super) webhooks: Vec<WebhookConfig>,
    pub(super) metadata: Option<Value>,
    pub(super) me: Option<Value>,
    /// Whether simulated auth data is stored (set by a scan, wiped by logout).
    pub(super) authenticated: bool,
    /// Last three `(status, unix ms)` transitions.
    pub(super) history: VecDeque<(SessionStatus, u64)>,
    /// Bumped on every transition so stale timers do nothing.
    pub(super) epoch: u64,
    pub(super) qr_value: String,
}

impl Session {
    pub(super) fn dto(&self) -> Value {
        json!({"name": self.name, "status": self.status, "config": self.config})
    }

    pub(super) fn info(&self, engine: &str) -> Value {
        json!({
            "name": self.name, "status": self.status, "config": self.config,
            "me": self.me, "engine": {"engine": engine}, "apps": null,
            "assignedWorker": null, "presence": null, "timestamps": {"activity": null},
        })
    }
}

pub(super) struct SendFault {
    remaining: u32,
    status: u16,
}

#[derive(Default)]
pub(super) struct Memory {
    pub(super) sessions: BTreeMap<String, Session>,
    pub(super) sent: Vec<SentRecord>,
    pub(super) deliveries: Vec<DeliveryRecord>,
    pub(super) send_fault: Option<SendFault>,
    /// `(remaining, delay)`: the next sends answer only after `delay`.
    pub(super) slow_sends: Option<(u32, Duration)>,
    /// Text and image messages sent per chat id (for waits under load).
    pub(super) messages_per_chat: std::collections::HashMap<String, usize>,
    /// First 2xx delivery per payload id (for waits under load).
    pub(super) delivered: std::collections::HashMap<String, DeliveryRecord>,
    /// Payload ids of events dropped after their last attempt.
    pub(super) given_up: std::collections::HashSet<String>,
    /// Media of customer messages by URL path, until they expire.
    pub(super) files: std::collections::HashMap<String, StoredFile>,
}

/// A customer's media file, served at `/api/files/...` like WAHA's.
pub(super) struct StoredFile {
    pub(super) bytes: Vec<u8>,
    pub(super) mimetype: String,
    pub(super) stored_at: std::time::Instant,
}

/// State shared by the HTTP handlers, timers and webhook senders.
pub(super) struct Shared {
    pub(super) config: SimulatorConfig,
    pub(super) http: reqwest::Client,
    memory: Mutex<Memory>,
    /// Bumped whenever a record is added, so waiters wake without polling.
    pub(super) changes: watch::Sender<u64>,
}

/// reqwest is built without a bundled TLS provider (ring keeps builds lean);
/// install ring once per process before the first client is built.
pub fn install_tls_provider() {
    // An error only means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A WhatsApp-style message key: `3EB0` and 18 uppercase hex digits.
pub(super) fn new_wa_id() -> String {
    let mut rng = rand::rng();
    format!("3EB0{:018X}", rng.random::<u128>() & ((1u128 << 72) - 1))
}

/// WAHA adds `@c.us` to bare numbers; everything else passes unchanged.
pub(super) fn normalise_chat_id(chat_id: &str) -> String {
    if chat_id.contains('@') {
        chat_id.to_owned()
    } else {
        format!("{}@c.us", chat_id.trim_start_matches('+'))
    }
}

impl Shared {
    pub(super) fn new(config: SimulatorConfig) -> Self {
        install_tls_provider();
        Self {
            config,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a plain HTTP client always builds"),
            memory: Mutex::new(Memory::default()),
            changes: watch::channel(0).0,
        }
    }

    pub(super) fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn bump(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    pub(super) fn with_session<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut Session) -> T,
    ) -> Result<T, SimError> {
        self.memory()
            .sessions
            .get_mut(name)
            .map(f)
            .ok_or(SimError::SessionNotFound)
    }

    pub(super) fn session_names(&self) -> Vec<String> {
        self.memory().sessions.keys().cloned().collect()
    }

    pub(super) fn insert_session(&self, session: Session) -> Result<(), SimError> {
        let mut memory = self.memory();
        if memory.sessions.contains_key(&session.name) {
            return Err(SimError::SessionExists(session.name));
        }
        memory.sessions.insert(session.name.clone(), session);
        Ok(())
    }

    pub(super) fn remove_session(&self, name: &str) -> Result<(), SimError> {
        self.memory()
            .sessions
            .remove(name)
            .map(|_| ())
            .ok_or(SimError::SessionNotFound)
    }

    pub(super) fn session_status(&self, name: &str) -> Option<SessionStatus> {
        self.memory().sessions.get(name).map(|s| s.status)
    }

    pub(super) fn fail_next_sends(&self, count: u32, status: u16) {
        self.memory().send_fault = (count > 0).then_some(SendFault {
            remaining: count,
            status,
        });
    }

    pub(super) fn slow_next_sends(&self, count: u32, delay: Duration) {
        self.memory().slow_sends = (count > 0).then_some((count, delay));
    }

    /// The injected delay for this send, if one is pending.
    pub(super) fn take_send_delay(&self) -> Option<Duration> {
        let mut memory = self.memory();
        let (remaining, delay) = memory.slow_sends.as_mut()?;
        *remaining -= 1;
        let delay = *delay;
        if *remaining == 0 {
            memory.slow_sends = None;
        }
        Some(delay)
    }

    /// The injected failure status for this send, if one is pending.
    pub(super) fn take_send_fault(&self) -> Option<u16> {
        let mut memory = self.memory();
        let fault = memory.send_fault.as_mut()?;
        fault.remaining -= 1;
        let status = fault.status;
        if fault.remaining == 0 {
            memory.send_fault = None;
        }
        Some(status)
    }

    pub(super) fn record_sent(&self, record: SentRecord) {
        let mut memory = self.memory();
        if record.kind == "text" || record.kind == "image" {
            *memory
                .messages_per_chat
                .entry(record.chat_id.clone())
                .or_default() += 1;
        }
        memory.sent.push(record);
        drop(memory);
        self.bump();
    }

    pub(super) fn record_delivery(&self, record: DeliveryRecord) {
        let mut memory = self.memory();
        if let Some(id) = &record.payload_id
            && record.status.is_some_and(|s| (200..300).contains(&s))
        {
            memory
                .delivered
                .entry(id.clone())
                .or_insert_with(|| record.clone());
        }
        memory.deliveries.push(record);
        drop(memory);
        self.bump();
    }

    /// Records that the event carrying `payload_id` was dropped after its
    /// last delivery attempt, as WAHA drops it.
    pub(super) fn record_given_up(&self, payload_id: &str) {
        self.memory().given_up.insert(payload_id.to_owned());
        self.bump();
    }

    /// `Some(true)` once the event carrying `payload_id` got a 2xx,
    /// `Some(false)` once it was dropped, `None` while retries go on.
    pub(super) fn delivery_outcome(&self, payload_id: &str) -> Option<bool> {
        let memory = self.memory();
        if memory.delivered.contains_key(payload_id) {
            Some(true)
        } else if memory.given_up.contains(payload_id) {
            Some(false)
        } else {
            None
        }
    }

    /// Text and image messages sent to `chat_id` so far.
    pub(super) fn sent_count_to(&self, chat_id: &str) -> usize {
        self.memory()
            .messages_per_chat
            .get(chat_id)
            .copied()
            .unwrap_or(0)
    }

    /// Whether a message with this WAHA id was already sent by `session`.
    pub(super) fn already_sent(&self, session: &str, message_id: &str) -> bool {
        self.memory()
            .sent
            .iter()
            .any(|r| r.session == session && r.message_id.as_deref() == Some(message_id))
    }

    pub(super) fn sent(&self) -> Vec<SentRecord> {
        self.memory().sent.clone()
    }

    pub(super) fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.memory().deliveries.clone()
    }
}

impl Shared {
    /// A customer's media file and its type, unless unknown or expired.
    pub(super) fn file(&self, path: &str) -> Option<(Vec<u8>, String)> {
        let lifetime = self.config.files_lifetime;
        let mut memory = self.memory();
        let expired = memory
            .files
            .get(path)
            .is_some_and(|f| !lifetime.is_zero() && f.stored_at.elapsed() > lifetime);
        if expired {
            memory.files.remove(path);
        }
        memory
            .files
            .get(path)
            .map(|f| (f.bytes.clone(), f.mimetype.clone()))
    }
}
