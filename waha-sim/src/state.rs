//! The simulator's memory: sessions with WAHA's status machine, what it was
//! asked to send, and the webhook deliveries it made.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::webhooks::{self, DeliveryRecord, WebhookConfig};
use super::{CustomerMedia, SimError, SimulatorConfig};

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
const QR_CODES_BEFORE_FAILED: u32 = 6;

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

struct SendFault {
    remaining: u32,
    status: u16,
}

#[derive(Default)]
struct Memory {
    sessions: BTreeMap<String, Session>,
    sent: Vec<SentRecord>,
    deliveries: Vec<DeliveryRecord>,
    send_fault: Option<SendFault>,
    /// `(remaining, delay)`: the next sends answer only after `delay`.
    slow_sends: Option<(u32, Duration)>,
    /// Text and image messages sent per chat id (for waits under load).
    messages_per_chat: std::collections::HashMap<String, usize>,
    /// First 2xx delivery per payload id (for waits under load).
    delivered: std::collections::HashMap<String, DeliveryRecord>,
    /// Payload ids of events dropped after their last attempt.
    given_up: std::collections::HashSet<String>,
    /// Media of customer messages by URL path, until they expire.
    files: std::collections::HashMap<String, StoredFile>,
}

/// A customer's media file, served at `/api/files/...` like WAHA's.
struct StoredFile {
    bytes: Vec<u8>,
    mimetype: String,
    stored_at: std::time::Instant,
}

/// State shared by the HTTP handlers, timers and webhook senders.
pub(super) struct Shared {
    pub(super) config: SimulatorConfig,
    pub(super) http: reqwest::Client,
    memory: Mutex<Memory>,
    /// Bumped whenever a record is added, so waiters wake without polling.
    changes: watch::Sender<u64>,
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

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
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

    /// Waits until `chat_id` has received `count` text or image messages;
    /// returns how many it has.
    pub(super) async fn wait_for_messages_to(
        &self,
        chat_id: &str,
        count: usize,
        timeout: Duration,
    ) -> usize {
        self.wait_until(timeout, |memory| {
            let sent = memory.messages_per_chat.get(chat_id).copied().unwrap_or(0);
            (sent >= count, sent)
        })
        .await
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

    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut(&Memory) -> (bool, T),
    ) -> T {
        let mut changes = self.changes.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (done, value) = probe(&self.memory());
            if done {
                return value;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                return probe(&self.memory()).1;
            }
        }
    }

    pub(super) async fn wait_for_sent(
        &self,
        filter: impl Fn(&SentRecord) -> bool,
        count: usize,
        timeout: Duration,
    ) -> Vec<SentRecord> {
        self.wait_until(timeout, |memory| {
            let matching: Vec<_> = memory.sent.iter().filter(|r| filter(r)).cloned().collect();
            (matching.len() >= count, matching)
        })
        .await
    }

    pub(super) async fn wait_for_status(
        &self,
        name: &str,
        wanted: SessionStatus,
        timeout: Duration,
    ) -> Option<SessionStatus> {
        self.wait_until(timeout, |memory| {
            let status = memory.sessions.get(name).map(|s| s.status);
            (status == Some(wanted), status)
        })
        .await
    }

    /// The first 2xx delivery of the event whose payload id is `payload_id`.
    pub(super) async fn wait_for_delivered(
        &self,
        payload_id: &str,
        timeout: Duration,
    ) -> Option<DeliveryRecord> {
        self.wait_until(timeout, |memory| {
            let found = memory.delivered.get(payload_id).cloned();
            (found.is_some(), found)
        })
        .await
    }

    pub(super) async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<DeliveryRecord> {
        self.wait_until(timeout, |memory| {
            (memory.deliveries.len() >= count, memory.deliveries.clone())
        })
        .await
    }

    /// Waits up to `not_working_wait` for the session to be `WORKING`, as WAHA
    /// does before answering 422.
    pub(super) async fn await_working(&self, name: &str) -> Result<(), SimError> {
        let wait = self.config.not_working_wait;
        let status = self
            .wait_until(wait, |memory| {
                let status = memory.sessions.get(name).map(|s| s.status);
                (
                    status != Some(SessionStatus::Starting)
                        && status != Some(SessionStatus::ScanQrCode),
                    status,
                )
            })
            .await;
        match status {
            None => Err(SimError::SessionNotFound),
            Some(SessionStatus::Working) => Ok(()),
            Some(status) => Err(SimError::WrongStatus {
                session: name.to_owned(),
                status,
                expected: vec![SessionStatus::Working],
            }),
        }
    }
}

/// Moves a session to `status`, emits `session.status`, and arms the timer
/// that the new status implies (STARTING → next, QR rotation).
pub(super) fn transition(shared: &Arc<Shared>, name: &str, status: SessionStatus) {
    transition_with_qr(shared, name, status, 0);
}

fn transition_with_qr(shared: &Arc<Shared>, name: &str, status: SessionStatus, qr_index: u32) {
    let now = now_ms();
    let event = shared.with_session(name, |session| {
        session.status = status;
        session.epoch += 1;
        session.history.push_back((status, now));
        while session.history.len() > 3 {
            session.history.pop_front();
        }
        if status == SessionStatus::ScanQrCode {
            session.qr_value = format!("2@{}", new_wa_id());
        }
        let statuses: Vec<Value> = session
            .history
            .iter()
            .map(|(s, ts)| json!({"status": s, "timestamp": ts}))
            .collect();
        let payload = json!({"name": name, "status": status, "statuses": statuses, "data": null});
        (
            session.epoch,
            webhooks::Emission::new(session, "session.status", payload),
        )
    });
    let Ok((epoch, emission)) = event else { return };
    shared.bump();
    webhooks::emit(shared, emission);

    let next = match status {
        SessionStatus::Starting => Some((shared.config.starting_delay, 0)),
        SessionStatus::ScanQrCode => {
            let ttl = if qr_index == 0 {
                shared.config.first_qr_ttl
            } else {
                shared.config.next_qr_ttl
            };
            Some((ttl, qr_index + 1))
        }
        _ => None,
    };
    if let Some((delay, next_qr)) = next {
        let shared = shared.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let current = shared
                .with_session(&name, |s| (s.epoch, s.authenticated))
                .ok();
            let Some((now_epoch, authenticated)) = current else {
                return;
            };
            if now_epoch != epoch {
                return;
            }
            match status {
                SessionStatus::Starting if authenticated => {
                    transition(&shared, &name, SessionStatus::Working)
                }
                SessionStatus::Starting => transition(&shared, &name, SessionStatus::ScanQrCode),
                _ if next_qr >= QR_CODES_BEFORE_FAILED => {
                    transition(&shared, &name, SessionStatus::Failed)
                }
                _ => transition_with_qr(&shared, &name, SessionStatus::ScanQrCode, next_qr),
            }
        });
    }
}

pub(super) fn create_session(
    shared: &Arc<Shared>,
    name: &str,
    webhooks: Vec<WebhookConfig>,
    metadata: Option<Value>,
    start: bool,
) -> Result<(), SimError> {
    let config = json!({"metadata": metadata, "webhooks": webhooks, "proxy": null, "debug": false});
    shared.insert_session(Session {
        name: name.to_owned(),
        status: SessionStatus::Stopped,
        config,
        webhooks,
        metadata,
        me: None,
        authenticated: false,
        history: VecDeque::new(),
        epoch: 0,
        qr_value: String::new(),
    })?;
    if start {
        transition(shared, name, SessionStatus::Starting);
    }
    Ok(())
}

/// Replaces the session's webhooks and metadata, as `PUT /api/sessions/{s}`
/// does: a running session is stopped and started again (its stored auth
/// brings it back to WORKING).
pub(super) fn update_session(
    shared: &Arc<Shared>,
    name: &str,
    webhooks: Vec<WebhookConfig>,
    metadata: Option<Value>,
) -> Result<(), SimError> {
    let was_running = shared.with_session(name, |s| {
        s.config =
            json!({"metadata": metadata, "webhooks": webhooks, "proxy": null, "debug": false});
        s.webhooks = webhooks;
        s.metadata = metadata;
        s.status != SessionStatus::Stopped
    })?;
    if was_running {
        transition(shared, name, SessionStatus::Stopped);
        transition(shared, name, SessionStatus::Starting);
    }
    Ok(())
}

pub(super) fn scan(
    shared: &Arc<Shared>,
    name: &str,
    phone: &str,
    push_name: &str,
) -> Result<(), SimError> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    shared.with_session(name, |session| {
        if session.status != SessionStatus::ScanQrCode {
            return Err(SimError::WrongStatus {
                session: name.to_owned(),
                status: session.status,
                expected: vec![SessionStatus::ScanQrCode],
            });
        }
        session.authenticated = true;
        session.me = Some(json!({"id": format!("{digits}@c.us"), "pushName": push_name}));
        Ok(())
    })??;
    transition(shared, name, SessionStatus::Working);
    Ok(())
}

pub(super) fn unlink(shared: &Arc<Shared>, name: &str) -> Result<(), SimError> {
    shared.with_session(name, |session| {
        if session.status != SessionStatus::Working {
            return Err(SimError::WrongStatus {
                session: name.to_owned(),
                status: session.status,
                expected: vec![SessionStatus::Working],
            });
        }
        session.authenticated = false;
        session.me = None;
        Ok(())
    })??;
    transition(shared, name, SessionStatus::Failed);
    Ok(())
}

pub(super) fn inject_customer_message(
    shared: &Arc<Shared>,
    name: &str,
    from: &str,
    body: &str,
) -> Result<String, SimError> {
    inject(shared, name, from, body, None)
}

/// The customer sends `media` with `caption`; the file is served at a URL in
/// `media.url` (under `base_url`) for `files_lifetime`, like WAHA's local
/// file storage.
pub(super) fn inject_customer_media(
    shared: &Arc<Shared>,
    base_url: &str,
    name: &str,
    from: &str,
    caption: &str,
    media: CustomerMedia,
) -> Result<String, SimError> {
    inject(shared, name, from, caption, Some((base_url, media)))
}

fn extension(mimetype: &str) -> &'static str {
    match mimetype {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

fn inject(
    shared: &Arc<Shared>,
    name: &str,
    from: &str,
    body: &str,
    media: Option<(&str, CustomerMedia)>,
) -> Result<String, SimError> {
    let from = normalise_chat_id(from);
    let emissions = shared.with_session(name, |session| {
        if session.status != SessionStatus::Working {
            return Err(SimError::WrongStatus {
                session: name.to_owned(),
                status: session.status,
                expected: vec![SessionStatus::Working],
            });
        }
        let id = format!("false_{from}_{}", new_wa_id());
        let to = session.me.as_ref().and_then(|me| me.get("id")).cloned();
        let (has_media, media_json, file) = match media {
            Some((base_url, media)) => {
                let path = format!("/api/files/{name}/{id}.{}", extension(&media.mimetype));
                let json = json!({
                    "url": format!("{base_url}{path}"), "mimetype": media.mimetype,
                    "filename": media.filename, "error": null,
                });
                (true, json, Some((path, media)))
            }
            None => (false, Value::Null, None),
        };
        let payload = json!({
            "id": id, "timestamp": now_ms() / 1000, "from": from, "fromMe": false,
            "source": "app", "to": to, "participant": null, "body": body,
            "hasMedia": has_media, "media": media_json, "ack": 2, "ackName": "DEVICE",
            "replyTo": null, "vCards": [], "_data": {},
        });
        Ok((
            id,
            file,
            [
                webhooks::Emission::new(session, "message", payload.clone()),
                webhooks::Emission::new(session, "message.any", payload),
            ],
        ))
    })??;
    let (id, file, emissions) = emissions;
    if let Some((path, media)) = file {
        shared.memory().files.insert(
            path,
            StoredFile {
                bytes: media.bytes,
                mimetype: media.mimetype,
                stored_at: std::time::Instant::now(),
            },
        );
    }
    for emission in emissions {
        webhooks::emit(shared, emission);
    }
    Ok(id)
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
