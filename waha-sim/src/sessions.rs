//! WAHA's session status machine (waha-api.md §2.3): STARTING, the QR
//! codes and their rotation, WORKING once scanned, FAILED after too many
//! unscanned codes, STOPPED; each change announced with `session.status`.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::{Value, json};

use super::SimError;
use super::state::{QR_CODES_BEFORE_FAILED, Session, SessionStatus, Shared, new_wa_id, now_ms};
use super::webhook_types::WebhookConfig;
use super::webhooks;

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
