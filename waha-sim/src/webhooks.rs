//! Webhook delivery as WAHA does it (waha-api.md §4): one envelope per event,
//! built and signed once, POSTed to every matching webhook, retried on
//! network errors and non-2xx answers per the webhook's retry policy.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha512;

use super::state::{Session, Shared, now_ms};
pub use super::webhook_types::{
    CustomHeader, DeliveryRecord, HmacConfig, RetryKind, RetryPolicy, WebhookConfig,
};

/// WAHA version the simulator claims to be.
const WAHA_VERSION: &str = "2026.7.1";

/// An event about to leave, with the webhooks that want it.
pub(super) struct Emission {
    event: &'static str,
    session: String,
    metadata: Option<Value>,
    me: Option<Value>,
    payload: Value,
    targets: Vec<WebhookConfig>,
    /// When the event happened: taken while the session is locked, so the
    /// envelopes' timestamps follow the order of the changes even when a
    /// later event is emitted first.
    timestamp_ms: u64,
}

impl Emission {
    /// An event of `session`, stamped now; call it under the session's lock.
    pub(super) fn new(session: &Session, event: &'static str, payload: Value) -> Self {
        Self {
            timestamp_ms: now_ms(),
            event,
            session: session.name.clone(),
            metadata: session.metadata.clone(),
            me: session.me.clone(),
            payload,
            targets: session
                .webhooks
                .iter()
                .filter(|w| w.wants(event))
                .cloned()
                .collect(),
        }
    }
}

/// Lowercase hex HMAC-SHA512 of `body` under `key`, as `X-Webhook-Hmac` carries it.
pub fn sign(key: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha512>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Builds the envelope once and starts one delivery task per target.
pub(super) fn emit(shared: &Arc<Shared>, emission: Emission) {
    if emission.targets.is_empty() {
        return;
    }
    let engine = shared.config.engine.as_str();
    let event_id = format!("evt_{}", ulid::Ulid::new().to_string().to_lowercase());
    let payload_id = emission
        .payload
        .get("id")
        .and_then(|id| id.as_str())
        .map(str::to_owned);
    let envelope = json!({
        "id": event_id,
        "timestamp": emission.timestamp_ms,
        "event": emission.event,
        "session": emission.session,
        "metadata": emission.metadata,
        "me": emission.me,
        "payload": emission.payload,
        "engine": engine,
        "environment": {
            "version": WAHA_VERSION, "engine": engine, "tier": "CORE", "browser": null,
            "platform": "linux/x64", "worker": {"id": shared.config.worker_id},
        },
    });
    let body: Arc<[u8]> = serde_json::to_vec(&envelope)
        .expect("a JSON value always serialises")
        .into();
    for target in emission.targets {
        let record = DeliveryRecord {
            event_id: event_id.clone(),
            event: emission.event.to_owned(),
            session: emission.session.clone(),
            url: target.url.clone(),
            attempt: 0,
            status: None,
            payload_id: payload_id.clone(),
            latency_us: 0,
        };
        tokio::spawn(deliver(shared.clone(), target, body.clone(), record));
    }
}

async fn deliver(
    shared: Arc<Shared>,
    target: WebhookConfig,
    body: Arc<[u8]>,
    mut record: DeliveryRecord,
) {
    let policy = target
        .retries
        .clone()
        .unwrap_or_else(RetryPolicy::waha_default);
    let signature = target
        .hmac
        .as_ref()
        .and_then(|h| h.key.as_deref())
        .map(|key| sign(key, &body));
    for attempt in 1..=policy.attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(policy.delay(attempt - 1)).await;
        }
        let mut request = shared
            .http
            .post(&target.url)
            .header("Content-Type", "application/json")
            .header("User-Agent", format!("WAHA/{WAHA_VERSION}"))
            .header("X-Webhook-Request-Id", ulid::Ulid::new().to_string())
            .header("X-Webhook-Timestamp", now_ms().to_string());
        if let Some(signature) = &signature {
            request = request
                .header("X-Webhook-Hmac", signature)
                .header("X-Webhook-Hmac-Algorithm", "sha512");
        }
        for header in target.custom_headers.iter().flatten() {
            request = request.header(&header.name, &header.value);
        }
        let started = std::time::Instant::now();
        let status = request
            .body(body.to_vec())
            .send()
            .await
            .ok()
            .map(|r| r.status());
        record.latency_us = started.elapsed().as_micros() as u64;
        record.attempt = attempt;
        record.status = status.map(|s| s.as_u16());
        shared.record_delivery(record.clone());
        if status.is_some_and(|s| s.is_success()) {
            return;
        }
    }
    tracing::warn!(event_id = %record.event_id, url = %record.url, "webhook dropped after the last attempt");
    if let Some(payload_id) = &record.payload_id {
        shared.record_given_up(payload_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_documented_test_vector() {
        let body = br#"{"event":"message","session":"default","engine":"WEBJS"}"#;
        assert_eq!(
            sign("my-secret-key", body),
            "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
        );
    }
}
