//! HTTP surface of the simulator: WAHA's REST API (`/api/...`, `/ping`) with
//! WAHA's status codes and bodies, plus test hooks under `/sim/...`:
//!
//! | hook | effect |
//! |---|---|
//! | `POST /sim/sessions/{s}/scan` `{phone, pushName}` | the phone scans the QR: `WORKING` |
//! | `POST /sim/sessions/{s}/unlink` | the phone unlinks the device: `FAILED` |
//! | `POST /sim/sessions/{s}/messages` `{from, body}` | a customer writes; emits `message` |
//! | `GET /sim/sent`, `GET /sim/deliveries` | what was sent, which webhooks were tried |
//! | `POST /sim/faults` `{failNextSends, status}` | the next sends fail with `status` |

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use super::customers;
use super::sessions::{self, transition};
use super::state::{SentRecord, SessionStatus, Shared, new_wa_id, normalise_chat_id, now_ms};
use super::webhooks::{self, Emission, WebhookConfig};
use super::{Engine, SimError, qr};

type Result<T> = std::result::Result<T, SimError>;
type SharedState = State<Arc<Shared>>;

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            SimError::SessionNotFound => (
                StatusCode::NOT_FOUND,
                json!({"message": "Session not found", "error": "Not Found", "statusCode": 404}),
            ),
            SimError::WrongStatus {
                session,
                status,
                expected,
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({
                    "error": "Session status is not as expected. Try again later or restart the session",
                    "session": session, "status": status, "expected": expected,
                }),
            ),
            SimError::SessionExists(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"message": self.to_string(), "error": "Unprocessable Entity", "statusCode": 422}),
            ),
            SimError::Invalid(messages) => (
                StatusCode::BAD_REQUEST,
                json!({"message": messages, "error": "Bad Request", "statusCode": 400}),
            ),
        };
        (status, Json(body)).into_response()
    }
}

/// The whole simulator router.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/api/sessions", post(create_session).get(list_sessions))
        .route(
            "/api/sessions/{session}",
            get(get_session).put(update_session).delete(delete_session),
        )
        .route("/api/sessions/{session}/start", post(start_session))
        .route("/api/sessions/{session}/stop", post(stop_session))
        .route("/api/sessions/{session}/restart", post(restart_session))
        .route("/api/sessions/{session}/logout", post(logout_session))
        .route("/api/sessions/{session}/me", get(me))
        .route("/api/files/{session}/{file}", get(download_file))
        .route("/api/{session}/auth/qr", get(qr_code))
        .route("/api/{session}/auth/request-code", post(request_code))
        .route("/api/{session}/new-message-id", get(new_message_id))
        .route("/api/sendText", post(send_text))
        .route("/api/sendImage", post(send_image))
        .route("/api/sendFile", post(send_file))
        .route("/api/sendSeen", post(send_seen))
        .route("/api/startTyping", post(start_typing))
        .route("/api/stopTyping", post(stop_typing))
        .route("/api/sendPoll", post(send_poll))
        .route("/api/sendList", post(send_list))
        .route("/api/reaction", put(reaction))
        .route("/sim/sessions/{session}/scan", post(hook_scan))
        .route("/sim/sessions/{session}/unlink", post(hook_unlink))
        .route(
            "/sim/sessions/{session}/messages",
            post(hook_customer_message),
        )
        .route("/sim/sent", get(hook_sent))
        .route("/sim/deliveries", get(hook_deliveries))
        .route("/sim/faults", post(hook_faults))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            require_api_key,
        ));
    Router::new()
        .route("/ping", get(|| async { Json(json!({"message": "pong"})) }))
        .merge(api)
        .with_state(shared)
}

/// `X-Api-Key` header or `?x-api-key=`; the configured key may be `sha512:<hex>`.
async fn require_api_key(State(shared): SharedState, request: Request, next: Next) -> Response {
    let from_header = request
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let from_query = request.uri().query().and_then(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "x-api-key")
            .map(|(_, v)| v.to_owned())
    });
    let expected = &shared.config.api_key;
    let matches = |given: &str| match expected.strip_prefix("sha512:") {
        Some(digest) => hex::encode(Sha512::digest(given.as_bytes())) == digest.to_lowercase(),
        None => given == expected,
    };
    if from_header.or(from_query).is_some_and(|key| matches(&key)) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Unauthorized", "statusCode": 401})),
        )
            .into_response()
    }
}

/// Parses a JSON body, answering NestJS-style 400s for bad JSON.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| SimError::Invalid(vec![e.to_string()]))
}

fn required_str<'a>(body: &'a Value, field: &str) -> Result<&'a str> {
    body.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| SimError::Invalid(vec![format!("{field} should not be empty")]))
}

// ---- sessions ---------------------------------------------------------------

#[derive(Deserialize)]
struct CreateSession {
    name: Option<String>,
    start: Option<bool>,
    #[serde(default)]
    config: SessionConfigBody,
}

#[derive(Deserialize, Default)]
struct SessionConfigBody {
    metadata: Option<Value>,
    #[serde(default)]
    webhooks: Vec<WebhookConfig>,
}

async fn create_session(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let request: CreateSession = parse(&body)?;
    let name = request
        .name
        .unwrap_or_else(|| format!("session_{}", ulid::Ulid::new().to_string().to_lowercase()));
    sessions::create_session(
        &shared,
        &name,
        request.config.webhooks,
        request.config.metadata,
        request.start.unwrap_or(true),
    )?;
    let dto = shared.with_session(&name, |s| s.dto())?;
    Ok((StatusCode::CREATED, Json(dto)).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

async fn list_sessions(State(shared): SharedState, Query(query): Query<ListQuery>) -> Json<Value> {
    let engine = shared.config.engine.as_str();
    let sessions: Vec<Value> = shared
        .session_names()
        .iter()
        .filter_map(|name| {
            shared
                .with_session(name, |s| {
                    (query.all || s.status != SessionStatus::Stopped).then(|| s.info(engine))
                })
                .ok()
                .flatten()
        })
        .collect();
    Json(Value::Array(sessions))
}

async fn get_session(State(shared): SharedState, Path(name): Path<String>) -> Result<Json<Value>> {
    let engine = shared.config.engine.as_str();
    Ok(Json(shared.with_session(&name, |s| s.info(engine))?))
}

#[derive(Deserialize)]
struct UpdateSession {
    config: SessionConfigBody,
}

async fn update_session(
    State(shared): SharedState,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
    let request: UpdateSession = parse(&body)?;
    sessions::update_session(
        &shared,
        &name,
        request.config.webhooks,
        request.config.metadata,
    )?;
    Ok(Json(shared.with_session(&name, |s| s.dto())?))
}

async fn delete_session(
    State(shared): SharedState,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    shared.remove_session(&name)?;
    Ok(StatusCode::OK)
}

fn created_dto(shared: &Shared, name: &str) -> Result<Response> {
    let dto = shared.with_session(name, |s| s.dto())?;
    Ok((StatusCode::CREATED, Json(dto)).into_response())
}

async fn start_session(State(shared): SharedState, Path(name): Path<String>) -> Result<Response> {
    let status = shared.with_session(&name, |s| s.status)?;
    if matches!(status, SessionStatus::Stopped | SessionStatus::Failed) {
        transition(&shared, &name, SessionStatus::Starting);
    }
    created_dto(&shared, &name)
}

async fn stop_session(State(shared): SharedState, Path(name): Path<String>) -> Result<Response> {
    if shared.with_session(&name, |s| s.status)? != SessionStatus::Stopped {
        transition(&shared, &name, SessionStatus::Stopped);
    }
    created_dto(&shared, &name)
}

async fn restart_session(State(shared): SharedState, Path(name): Path<String>) -> Result<Response> {
    shared.with_session(&name, |_| ())?;
    transition(&shared, &name, SessionStatus::Stopped);
    transition(&shared, &name, SessionStatus::Starting);
    created_dto(&shared, &name)
}

async fn logout_session(State(shared): SharedState, Path(name): Path<String>) -> Result<Response> {
    let was_running = shared.with_session(&name, |s| {
        s.authenticated = false;
        s.me = None;
        s.status != SessionStatus::Stopped
    })?;
    if was_running {
        transition(&shared, &name, SessionStatus::Starting);
    }
    created_dto(&shared, &name)
}

async fn me(State(shared): SharedState, Path(name): Path<String>) -> Result<Json<Value>> {
    Ok(Json(shared.with_session(&name, |s| {
        s.me.clone().unwrap_or(Value::Null)
    })?))
}

// ---- pairing ----------------------------------------------------------------

fn require_status(shared: &Shared, name: &str, wanted: SessionStatus) -> Result<()> {
    let status = shared.with_session(name, |s| s.status)?;
    if status == wanted {
        Ok(())
    } else {
        Err(SimError::WrongStatus {
            session: name.to_owned(),
            status,
            expected: vec![wanted],
        })
    }
}

#[derive(Deserialize)]
struct QrQuery {
    format: Option<String>,
}

async fn qr_code(
    State(shared): SharedState,
    Path(name): Path<String>,
    Query(query): Query<QrQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    require_status(&shared, &name, SessionStatus::ScanQrCode)?;
    let value = shared.with_session(&name, |s| s.qr_value.clone())?;
    if query.format.as_deref() == Some("raw") {
        return Ok(Json(json!({"value": value})).into_response());
    }
    let png = qr::png(&value);
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    if wants_json {
        let data = base64::engine::general_purpose::STANDARD.encode(png);
        return Ok(Json(json!({"mimetype": "image/png", "data": data})).into_response());
    }
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

async fn request_code(
    State(shared): SharedState,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    required_str(&body, "phoneNumber")?;
    require_status(&shared, &name, SessionStatus::ScanQrCode)?;
    let letters = new_wa_id();
    let code = format!("{}-{}", &letters[4..8], &letters[8..12]);
    Ok((StatusCode::CREATED, Json(json!({"code": code}))).into_response())
}

async fn new_message_id(
    State(shared): SharedState,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    shared.with_session(&name, |_| ())?;
    Ok(Json(json!({"id": new_wa_id()})))
}

// ---- sending ----------------------------------------------------------------

/// What a send-type call carries once validated.
struct SendCall {
    session: String,
    chat_id: String,
    kind: &'static str,
    text: Option<String>,
    body: Value,
}

/// What a send-type call answers.
enum SendReply {
    /// A message was sent: engine-shaped body, then `message.any` and acks.
    Message,
    /// A 201 with this fixed body.
    Fixed(Value),
}

fn send_call(
    body: &Bytes,
    kind: &'static str,
    text_field: Option<&str>,
    chat_field: &str,
) -> Result<SendCall> {
    let body: Value = parse(body)?;
    let session = required_str(&body, "session")?.to_owned();
    let chat_id = normalise_chat_id(required_str(&body, chat_field)?);
    let text = match text_field {
        Some("text") => Some(required_str(&body, "text")?.to_owned()),
        Some(field) => body.get(field).and_then(Value::as_str).map(str::to_owned),
        None => None,
    };
    Ok(SendCall {
        session,
        chat_id,
        kind,
        text,
        body,
    })
}

fn injected_failure(status: u16, path: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "statusCode": status.as_u16(), "timestamp": now_ms(),
        "exception": {"message": "simulated failure"},
        "request": {"path": path, "method": "POST"},
        "version": {"version": "2026.7.1"},
    });
    (status, Json(body)).into_response()
}

async fn perform(
    shared: Arc<Shared>,
    call: SendCall,
    reply: SendReply,
    path: &str,
) -> Result<Response> {
    shared.with_session(&call.session, |_| ())?;
    if let Some(delay) = shared.take_send_delay() {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = shared.take_send_fault() {
        return Ok(injected_failure(status, path));
    }
    shared.await_working(&call.session).await?;
    let wa_id = match reply {
        SendReply::Message => Some(
            call.body
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(new_wa_id, str::to_owned),
        ),
        SendReply::Fixed(_) => None,
    };
    let message_id = wa_id
        .as_ref()
        .map(|id| format!("true_{}_{id}", call.chat_id));
    // A message key WhatsApp has seen is the same message: a client's resend
    // (after a lost answer) is acknowledged again, not delivered twice.
    if let Some(message_id) = &message_id
        && shared.already_sent(&call.session, message_id)
    {
        let payload = outgoing_payload(&shared, &call, message_id);
        return Ok((StatusCode::CREATED, Json(payload)).into_response());
    }
    shared.record_sent(SentRecord {
        session: call.session.clone(),
        chat_id: call.chat_id.clone(),
        kind: call.kind.to_owned(),
        text: call.text.clone(),
        message_id: message_id.clone(),
        body: call.body.clone(),
        at_ms: now_ms(),
    });
    let (Some(wa_id), Some(message_id)) = (wa_id, message_id) else {
        let SendReply::Fixed(body) = reply else {
            unreachable!("messages have ids")
        };
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    };
    let payload = outgoing_payload(&shared, &call, &message_id);
    emit_sent_events(&shared, &call.session, payload.clone());
    let response = match shared.config.engine {
        Engine::Gows => payload,
        Engine::Noweb => json!({
            "key": {"remoteJid": call.chat_id.replace("@c.us", "@s.whatsapp.net"), "fromMe": true, "id": wa_id},
            "message": {"extendedTextMessage": {"text": call.text}},
            "messageTimestamp": (now_ms() / 1000).to_string(),
            "status": "PENDING",
        }),
    };
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

fn outgoing_payload(shared: &Shared, call: &SendCall, message_id: &str) -> Value {
    let from = shared
        .with_session(&call.session, |s| {
            s.me.as_ref().and_then(|m| m.get("id")).cloned()
        })
        .ok()
        .flatten();
    json!({
        "id": message_id, "timestamp": now_ms() / 1000, "from": from, "fromMe": true,
        "source": "api", "to": call.chat_id, "body": call.text,
        "hasMedia": call.kind == "image" || call.kind == "file", "media": null,
        "ack": 1, "ackName": "SERVER", "replyTo": null, "_data": {},
    })
}

/// `message.any` now, then `message.ack` climbing to DEVICE and READ.
fn emit_sent_events(shared: &Arc<Shared>, session: &str, payload: Value) {
    let emission = shared.with_session(session, |s| {
        Emission::new(s, "message.any", payload.clone())
    });
    if let Ok(emission) = emission {
        webhooks::emit(shared, emission);
    }
    let shared = shared.clone();
    let session = session.to_owned();
    tokio::spawn(async move {
        for (ack, name) in [(2, "DEVICE"), (3, "READ")] {
            tokio::time::sleep(shared.config.ack_delay).await;
            let ack_payload = json!({
                "id": payload["id"], "from": payload["to"], "to": payload["from"],
                "participant": null, "fromMe": true, "ack": ack, "ackName": name, "_data": {},
            });
            match shared.with_session(&session, |s| Emission::new(s, "message.ack", ack_payload)) {
                Ok(emission) => webhooks::emit(&shared, emission),
                Err(_) => return,
            }
        }
    });
}

async fn send_text(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "text", Some("text"), "chatId")?;
    perform(shared, call, SendReply::Message, "/api/sendText").await
}

fn require_file(call: &SendCall) -> Result<()> {
    let file = call.body.get("file").filter(|f| f.is_object());
    let has_source = file.is_some_and(|f| f.get("url").is_some() || f.get("data").is_some());
    if has_source {
        Ok(())
    } else {
        Err(SimError::Invalid(vec![
            "file must have url or data".to_owned(),
        ]))
    }
}

async fn send_image(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "image", Some("caption"), "chatId")?;
    require_file(&call)?;
    perform(shared, call, SendReply::Message, "/api/sendImage").await
}

async fn send_file(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "file", Some("caption"), "chatId")?;
    require_file(&call)?;
    perform(shared, call, SendReply::Message, "/api/sendFile").await
}

async fn send_seen(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "seen", None, "chatId")?;
    perform(shared, call, SendReply::Fixed(json!({})), "/api/sendSeen").await
}

async fn start_typing(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "typing_start", None, "chatId")?;
    perform(
        shared,
        call,
        SendReply::Fixed(json!({"result": true})),
        "/api/startTyping",
    )
    .await
}

async fn stop_typing(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "typing_stop", None, "chatId")?;
    perform(
        shared,
        call,
        SendReply::Fixed(json!({"result": true})),
        "/api/stopTyping",
    )
    .await
}

async fn send_poll(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "poll", None, "chatId")?;
    if call
        .body
        .pointer("/poll/options")
        .and_then(Value::as_array)
        .is_none()
    {
        return Err(SimError::Invalid(vec![
            "poll.options must be an array".to_owned(),
        ]));
    }
    perform(shared, call, SendReply::Message, "/api/sendPoll").await
}

async fn send_list(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "list", None, "chatId")?;
    if call
        .body
        .pointer("/message/sections")
        .and_then(Value::as_array)
        .is_none()
    {
        return Err(SimError::Invalid(vec![
            "message.sections must be an array".to_owned(),
        ]));
    }
    perform(shared, call, SendReply::Message, "/api/sendList").await
}

async fn reaction(State(shared): SharedState, body: Bytes) -> Result<Response> {
    let call = send_call(&body, "reaction", Some("reaction"), "messageId")?;
    let response = perform(shared, call, SendReply::Fixed(json!({})), "/api/reaction").await?;
    // WAHA answers reactions with 200, not 201.
    Ok((StatusCode::OK, response.into_body()).into_response())
}

// ---- test hooks -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScanHook {
    phone: String,
    #[serde(default)]
    push_name: String,
}

async fn hook_scan(
    State(shared): SharedState,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let hook: ScanHook = parse(&body)?;
    sessions::scan(&shared, &name, &hook.phone, &hook.push_name)?;
    created_dto(&shared, &name)
}

async fn hook_unlink(State(shared): SharedState, Path(name): Path<String>) -> Result<Response> {
    sessions::unlink(&shared, &name)?;
    created_dto(&shared, &name)
}

#[derive(Deserialize)]
struct CustomerMessageHook {
    from: String,
    body: String,
}

async fn hook_customer_message(
    State(shared): SharedState,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let hook: CustomerMessageHook = parse(&body)?;
    let id = customers::inject_customer_message(&shared, &name, &hook.from, &hook.body)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

/// A customer's media file, as WAHA serves it (404 once expired), with
/// the mimetype the message announced when that is a valid header value
/// (a forged one, with line breaks, gets `application/octet-stream`).
async fn download_file(
    State(shared): SharedState,
    Path((session, file)): Path<(String, String)>,
) -> Response {
    match shared.file(&format!("/api/files/{session}/{file}")) {
        Some((bytes, mimetype)) => {
            let content_type = axum::http::HeaderValue::from_str(&mimetype).unwrap_or(
                axum::http::HeaderValue::from_static("application/octet-stream"),
            );
            ([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "File not found", "statusCode": 404})),
        )
            .into_response(),
    }
}

async fn hook_sent(State(shared): SharedState) -> Json<Value> {
    Json(json!(shared.sent()))
}

async fn hook_deliveries(State(shared): SharedState) -> Json<Value> {
    Json(json!(shared.deliveries()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FaultsHook {
    fail_next_sends: u32,
    #[serde(default = "server_error")]
    status: u16,
}

fn server_error() -> u16 {
    500
}

async fn hook_faults(State(shared): SharedState, body: Bytes) -> Result<StatusCode> {
    let hook: FaultsHook = parse(&body)?;
    shared.fail_next_sends(hook.fail_next_sends, hook.status);
    Ok(StatusCode::NO_CONTENT)
}
