//! `POST /webhooks/waha`: WAHA's events in, verified and routed.
//!
//! Order of checks, each with its own clear answer: body size (413), a
//! readable `session` (400), a known session (404), the HMAC-SHA512 of the
//! raw body under that session's key (401), the full envelope (400), no
//! NUL character in the payload (422), its age (401). Nothing is stored or routed before every check passed. A
//! customer message is then stored in the durable inbox (group commit)
//! before the 200; a redelivery of a stored message (same session and WAHA
//! message id) gets 200 `duplicate` and goes no further. Past the in-flight
//! budget the answer is 429 (this tenant) or 503 (the server) with
//! `Retry-After`, before anything is stored: WAHA retries later.
//! Customer `message` events go to the tenant's actors; our own messages,
//! groups, channels, broadcasts and stories are acknowledged and ignored, so
//! WAHA does not retry them.

mod envelope;
mod signature;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wabot_actors::metrics::WEBHOOKS;
use wabot_actors::{Appended, NewInboxEvent};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::nul_in_field;
use crate::domain;
use envelope::{Envelope, MessagePayload, SessionPeek, StatusPayload};

/// Every outcome a webhook request is counted under.
pub(crate) const OUTCOMES: [&str; 9] = [
    "accepted",
    "duplicate",
    "ignored",
    "malformed",
    "throttled",
    "too_large",
    "unauthorized",
    "unavailable",
    "unknown_session",
];

/// The webhook routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive))
}

fn count(outcome: &'static str) {
    debug_assert!(OUTCOMES.contains(&outcome), "{outcome} is not in OUTCOMES");
    metrics::counter!(WEBHOOKS, "outcome" => outcome).increment(1);
}

/// Answers 200 with what happened to the event.
fn ack(status: &str, reason: Option<&str>) -> Json<Value> {
    match reason {
        Some(reason) => Json(json!({"status": status, "reason": reason})),
        None => Json(json!({"status": status})),
    }
}

/// WAHA's events (waha-api.md §4), signed with the session's HMAC key.
#[utoipa::path(post, path = "/webhooks/waha", tag = "waha",
    request_body(content = serde_json::Value, description = "a WAHA event envelope"),
    params(
        ("X-Webhook-Hmac" = String, Header, description = "HMAC-SHA512 of the body, hex"),
        ("X-Webhook-Hmac-Algorithm" = String, Header, description = "sha512"),
    ),
    responses(
        (status = 200, description = "stored, a duplicate, or ignored: `{\"status\": ...}`"),
        (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "missing, unknown or expired credential", body = ErrorBody),
        (status = 404, description = "unknown session", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody),
        (status = 422, description = "a field holds a character that cannot be stored (NUL)", body = ErrorBody),
        (status = 429, description = "this tenant is over its in-flight budget", body = ErrorBody),
        (status = 503, description = "the server is over its in-flight budget", body = ErrorBody),
    ))]
async fn receive(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let received_at = Instant::now();
    let result = check_and_route(&app, &headers, body, received_at).await;
    match &result {
        Ok(_) => {}
        Err(ApiError::PayloadTooLarge(_)) => count("too_large"),
        Err(ApiError::BadRequest(_) | ApiError::Unprocessable(_)) => count("malformed"),
        Err(ApiError::NotFound(_)) => count("unknown_session"),
        Err(ApiError::Unauthorized(_)) => count("unauthorized"),
        Err(ApiError::TooManyRequests(_)) => count("throttled"),
        Err(_) => count("unavailable"),
    }
    result
}

async fn check_and_route(
    app: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    received_at: Instant,
) -> Result<Json<Value>, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(app.settings.server.max_body_bytes)
        } else {
            ApiError::BadRequest(rejection.body_text())
        }
    })?;
    let peek: SessionPeek = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a WAHA event: {e}")))?;
    let route = app
        .sessions
        .get(&peek.session)
        .ok_or_else(|| ApiError::NotFound(format!("unknown session '{}'", peek.session)))?;
    signature::verify(headers, &body, &route.webhook_secret)?;
    let envelope: Envelope = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("malformed WAHA event: {e}")))?;
    // A NUL character cannot be stored (PostgreSQL refuses it in text and
    // jsonb): refuse this one event here, so it never reaches, and never
    // fails, a batch shared with other tenants' messages.
    if let Some(path) = domain::nul_character_at(&envelope.payload) {
        return Err(nul_in_field(&format!("payload.{path}")));
    }
    if let Some(window) = app.settings.webhook.freshness_window() {
        check_freshness(envelope.timestamp, window)?;
    }

    match envelope.event.as_str() {
        "message" => {
            let mut message: MessagePayload = serde_json::from_value(envelope.payload)
                .map_err(|e| ApiError::BadRequest(format!("malformed message payload: {e}")))?;
            if let Some(reason) = message.ignore_reason() {
                count("ignored");
                return Ok(ack("ignored", Some(reason)));
            }
            let customer = message.customer();
            if !app
                .limits
                .customer_message(route.tenant_id, &customer)
                .await
            {
                // 429, not a 200 that drops it: WAHA retries later, so a
                // customer's burst is slowed down and nothing is lost.
                return Err(ApiError::TooManyRequests(
                    "this customer sends too many messages; retry later".to_owned(),
                ));
            }
            let event = NewInboxEvent {
                tenant_id: route.tenant_id,
                session: route.session,
                customer,
                media: message.media().map(Box::new),
                message_id: message.id,
                text: message.body.unwrap_or_default(),
            };
            let permit = app.runtime.admit(route.tenant_id)?;
            match app.runtime.accept(event, received_at, permit).await? {
                Appended::Stored(_) => {
                    count("accepted");
                    Ok(ack("accepted", None))
                }
                Appended::Duplicate => {
                    count("duplicate");
                    Ok(ack("duplicate", Some("already received")))
                }
            }
        }
        "session.status" => {
            let status: StatusPayload = serde_json::from_value(envelope.payload).map_err(|e| {
                ApiError::BadRequest(format!("malformed session.status payload: {e}"))
            })?;
            // Events arrive concurrently and retried ones late: only a
            // report newer than the stored one changes anything.
            let newer = app
                .store
                .set_session_status(&route.session, &status.status, envelope.timestamp)
                .await?;
            if !newer {
                count("ignored");
                return Ok(ack("ignored", Some("an older session status")));
            }
            app.runtime
                .session_status_changed(&route.session, &status.status);
            count("accepted");
            Ok(ack("accepted", None))
        }
        _ => {
            count("ignored");
            Ok(ack("ignored", Some("event not handled")))
        }
    }
}

/// Largest clock skew accepted for events stamped in the future.
const FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;

/// Refuses (401) an event created more than `window` ago (or stamped far
/// in the future). The window fits WAHA's retries (see
/// `webhook_retries`): the last retry of a stored message still arrives
/// inside it, and a replay of a stored message is a duplicate whatever
/// its age.
fn check_freshness(timestamp_ms: i64, window: Duration) -> Result<(), ApiError> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let age_ms = now_ms - timestamp_ms;
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    if age_ms > window_ms || age_ms < -FUTURE_SKEW_MS {
        return Err(ApiError::Unauthorized(format!(
            "stale event: timestamp {timestamp_ms} is outside the accepted window of {} s",
            window.as_secs()
        )));
    }
    Ok(())
}
