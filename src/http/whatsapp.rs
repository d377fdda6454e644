//! The tenant's WhatsApp session: placed on the WAHA instance with the most
//! free capacity, created there with wabot's webhook and the tenant's HMAC
//! key, then paired by QR code or pairing code. Status, restart and logout
//! go to WAHA; `session.status` webhooks keep the stored status current, and
//! the bot answers once the session is `WORKING`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wabot_actors::waha_client::sessions::SessionConfig;
use wabot_actors::{WahaClient, WahaError, WahaSessionSpec};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, Member, QueryParams, invalid};
use crate::domain;
use crate::storage::models::{Tenant, WahaInstance};

/// How long a session call to WAHA may take (QR fetches poll up to 5 s).
const WAHA_ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The session routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_session, session_status))
        .routes(routes!(qr_code))
        .routes(routes!(pairing_code))
        .routes(routes!(restart_session))
        .routes(routes!(logout_session))
}

/// The tenant's session.
#[derive(Serialize, ToSchema)]
pub struct WhatsappSession {
    /// WAHA session name.
    name: String,
    /// The WAHA instance holding it.
    waha_instance: String,
    /// `STOPPED`, `STARTING`, `SCAN_QR_CODE`, `WORKING` or `FAILED`.
    status: String,
    /// Whether customers get answers now (the session is `WORKING`).
    live: bool,
}

impl WhatsappSession {
    fn new(tenant: &Tenant, instance: &WahaInstance, status: String) -> Self {
        Self {
            name: tenant.session_name.clone(),
            waha_instance: instance.name.clone(),
            live: status == "WORKING",
            status,
        }
    }
}

/// A client for admin calls to `instance`.
pub(crate) fn client(instance: &WahaInstance) -> WahaClient {
    WahaClient::new(&instance.base_url, &instance.api_key, WAHA_ADMIN_TIMEOUT)
}

/// WAHA's failures as answers the tenant can act on.
pub(crate) fn waha_failure(error: WahaError) -> ApiError {
    match error {
        WahaError::Network(_) | WahaError::Server(_) => ApiError::DependencyUnavailable {
            what: "the WhatsApp gateway",
            cause: error.to_string(),
        },
        WahaError::SessionNotWorking(status) => ApiError::Conflict(format!(
            "the session is {status}; this needs SCAN_QR_CODE (restart the session if it FAILED)"
        )),
        WahaError::Rejected { status: 404, .. } => ApiError::Conflict(
            "the gateway does not know this session; start it with POST /v1/whatsapp/session"
                .to_owned(),
        ),
        WahaError::Rejected { .. } | WahaError::TooLarge(_) => {
            ApiError::Internal(format!("WAHA refused a session call: {error}"))
        }
    }
}

/// The tenant and the instance its session was placed on (409 if none yet).
async fn placed(app: &AppState, tenant_id: Uuid) -> Result<(Tenant, WahaInstance), ApiError> {
    let tenant = app.store.get_tenant(tenant_id).await?;
    let instance_id = tenant.waha_instance_id.ok_or_else(|| {
        ApiError::Conflict(
            "no WhatsApp session yet; start one with POST /v1/whatsapp/session".to_owned(),
        )
    })?;
    let instance = app.store.get_waha_instance(instance_id).await?;
    Ok((tenant, instance))
}

/// Now, in ms since the epoch: when a call to WAHA is sent.
fn asked_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Records a status WAHA answered to a call sent at `asked_at_ms`, and
/// answers with the session. The answer shows WAHA's state at some moment
/// after the call was sent, so it is stamped with that instant: a
/// `session.status` event WAHA stamped later (say WORKING, reached while the
/// call was under way) is not overwritten by the answer's older status.
async fn reported(
    app: &AppState,
    tenant: &Tenant,
    instance: &WahaInstance,
    status: String,
    asked_at_ms: i64,
) -> Result<Json<WhatsappSession>, ApiError> {
    if app
        .store
        .set_session_status(&tenant.session_name, &status, asked_at_ms)
        .await?
    {
        app.runtime
            .session_status_changed(&tenant.session_name, &status);
    }
    Ok(Json(WhatsappSession::new(tenant, instance, status)))
}

/// Starts the tenant's WhatsApp session (owner only): places it, creates it
/// in WAHA with wabot's webhook, and starts it. Asking again is harmless.
#[utoipa::path(post, path = "/v1/whatsapp/session", tag = "whatsapp",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = WhatsappSession),
        (status = 403, description = "not the owner, or no WAHA capacity left", body = ErrorBody),
        (status = 503, description = "WAHA unreachable", body = ErrorBody),
    ))]
async fn start_session(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<WhatsappSession>, ApiError> {
    member.require_owner()?;
    let instance = app.store.place_session(member.tenant_id).await?;
    let tenant = app.store.get_tenant(member.tenant_id).await?;
    let route = app.store.session_route(member.tenant_id).await?;
    let config = SessionConfig {
        name: tenant.session_name.clone(),
        webhook_url: format!("{}/webhooks/waha", app.public_url),
        webhook_secret: route.webhook_secret.clone(),
        tenant_id: tenant.id.to_string(),
    };
    // Route first: WAHA may post the first status before it answers.
    app.sessions.insert(route);
    app.runtime
        .add_session(WahaSessionSpec {
            session: tenant.session_name.clone(),
            instance_id: instance.id,
        })
        .await?;
    let asked_at = asked_now();
    let state = client(&instance)
        .create_session(&config)
        .await
        .map_err(waha_failure)?;
    app.store
        .record_audit(&member.audit(
            "whatsapp_session.start",
            &tenant.session_name,
            None,
            Some(json!({"waha_instance": instance.name, "status": state.status})),
        ))
        .await?;
    tracing::info!(tenant = %tenant.id, session = %tenant.session_name, instance = %instance.name, "WhatsApp session started");
    reported(&app, &tenant, &instance, state.status, asked_at).await
}

/// The session's current status, from WAHA.
#[utoipa::path(get, path = "/v1/whatsapp/session", tag = "whatsapp",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = WhatsappSession),
        (status = 409, description = "no session yet", body = ErrorBody),
    ))]
async fn session_status(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<WhatsappSession>, ApiError> {
    let (tenant, instance) = placed(&app, member.tenant_id).await?;
    let asked_at = asked_now();
    let state = client(&instance)
        .session(&tenant.session_name)
        .await
        .map_err(waha_failure)?;
    reported(&app, &tenant, &instance, state.status, asked_at).await
}

/// How to return the QR code.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// `image` (a PNG, the default) or `raw` (JSON `{"value": ...}` to
    /// render yourself).
    format: Option<String>,
}

/// The QR code to scan in WhatsApp (owner only). Only while the session is
/// `SCAN_QR_CODE`; fetch it again after each `SCAN_QR_CODE` status, as it
/// rotates.
#[utoipa::path(get, path = "/v1/whatsapp/session/qr", tag = "whatsapp",
    security(("bearer" = [])), params(QrQuery),
    responses(
        (status = 200, description = "PNG, or `{\"value\": ...}` with format=raw", content_type = "image/png"),
        (status = 409, description = "the session is not waiting for a scan", body = ErrorBody),
    ))]
async fn qr_code(
    member: Member,
    State(app): State<AppState>,
    QueryParams(query): QueryParams<QrQuery>,
) -> Result<Response, ApiError> {
    member.require_owner()?;
    let (tenant, instance) = placed(&app, member.tenant_id).await?;
    let waha = client(&instance);
    match query.format.as_deref() {
        None | Some("image") => {
            let png = waha
                .qr_png(&tenant.session_name)
                .await
                .map_err(waha_failure)?;
            Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
        }
        Some("raw") => {
            let value = waha
                .qr_raw(&tenant.session_name)
                .await
                .map_err(waha_failure)?;
            Ok(Json(json!({"value": value})).into_response())
        }
        Some(other) => Err(ApiError::BadRequest(format!(
            "format must be 'image' or 'raw', got '{other}'"
        ))),
    }
}

/// Asks for a pairing code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingCodeRequest {
    /// The WhatsApp number to link (default: the tenant's).
    #[serde(default)]
    phone_number: Option<String>,
}

/// A pairing code to type in WhatsApp under Linked devices.
#[derive(Serialize, ToSchema)]
pub struct PairingCode {
    code: String,
}

/// A pairing code, to link by phone number instead of scanning (owner only).
#[utoipa::path(post, path = "/v1/whatsapp/session/pairing-code", tag = "whatsapp",
    security(("bearer" = [])), request_body = PairingCodeRequest,
    responses(
        (status = 200, description = "OK", body = PairingCode),
        (status = 409, description = "the session is not waiting for pairing", body = ErrorBody),
    ))]
async fn pairing_code(
    member: Member,
    State(app): State<AppState>,
    JsonBody(body): JsonBody<PairingCodeRequest>,
) -> Result<Json<PairingCode>, ApiError> {
    member.require_owner()?;
    let (tenant, instance) = placed(&app, member.tenant_id).await?;
    let phone = match &body.phone_number {
        Some(number) => domain::phone_number(number).map_err(invalid)?,
        None => tenant.phone_number.clone(),
    };
    let code = client(&instance)
        .pairing_code(&tenant.session_name, &phone)
        .await
        .map_err(waha_failure)?;
    Ok(Json(PairingCode { code }))
}

async fn session_action(
    member: &Member,
    app: &AppState,
    action: &str,
) -> Result<Json<WhatsappSession>, ApiError> {
    member.require_owner()?;
    let (tenant, instance) = placed(app, member.tenant_id).await?;
    let asked_at = asked_now();
    let state = client(&instance)
        .session_action(&tenant.session_name, action)
        .await
        .map_err(waha_failure)?;
    app.store
        .record_audit(&member.audit(
            &format!("whatsapp_session.{action}"),
            &tenant.session_name,
            None,
            Some(json!({"status": state.status})),
        ))
        .await?;
    reported(app, &tenant, &instance, state.status, asked_at).await
}

/// Restarts the session (owner only): the first remedy for `FAILED`.
#[utoipa::path(post, path = "/v1/whatsapp/session/restart", tag = "whatsapp",
    security(("bearer" = [])),
    responses((status = 200, description = "OK", body = WhatsappSession), (status = 409, description = "conflicts with the current state", body = ErrorBody)))]
async fn restart_session(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<WhatsappSession>, ApiError> {
    session_action(&member, &app, "restart").await
}

/// Logs the session out (owner only): unlinks the phone; a new QR follows.
#[utoipa::path(post, path = "/v1/whatsapp/session/logout", tag = "whatsapp",
    security(("bearer" = [])),
    responses((status = 200, description = "OK", body = WhatsappSession), (status = 409, description = "conflicts with the current state", body = ErrorBody)))]
async fn logout_session(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<WhatsappSession>, ApiError> {
    session_action(&member, &app, "logout").await
}
