//! The HTTP surface: WAHA webhook ingress, the tenant admin API, the
//! operator API, the OpenAPI document, `/metrics` and `/healthz`. Each
//! resource module owns its router and its types.

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod conversations;
pub mod error;
pub mod events;
pub mod extract;
pub mod flow;
pub mod media;
pub mod menu;
pub mod openapi;
pub mod operator;
pub mod operator_tenants;
pub mod orders;
pub mod paging;
pub mod settings;
pub mod team;
pub mod uniform_errors;
pub mod usage;
pub mod webhook;
pub mod whatsapp;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::{Json, Router, middleware};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use tower_http::trace::TraceLayer;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wabot_actors::Runtime;

use crate::auth::PasswordHashing;
use crate::config::Settings;
use crate::media::MediaLibrary;
use crate::rate_limits::RateLimits;
use crate::session_directory::SessionDirectory;
use crate::storage::Store;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Customers' files.
    pub media: Arc<MediaLibrary>,
    /// The actor tree.
    pub runtime: Arc<Runtime>,
    /// Session → tenant routes.
    pub sessions: SessionDirectory,
    /// Settings.
    pub settings: Arc<Settings>,
    /// The operator API's bearer token.
    pub operator_token: Arc<str>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Request-rate limits.
    pub limits: Arc<RateLimits>,
    /// The URL WAHA reaches this server at (for session webhooks).
    pub public_url: Arc<str>,
    /// The threads that hash and check passwords.
    pub passwords: Arc<PasswordHashing>,
}

/// Every route, with its OpenAPI description.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(team::router())
        .merge(whatsapp::router())
        .merge(menu::router())
        .merge(orders::router())
        .merge(media::router())
        .merge(conversations::router())
        .merge(audit::router())
        .merge(events::router())
        .merge(analytics::router())
        .merge(usage::router())
        .merge(settings::router())
        .merge(flow::router())
        .merge(operator::router())
        .merge(operator_tenants::router())
        .merge(webhook::router())
        .routes(routes!(render_metrics))
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// The OpenAPI document of every route (what `/openapi.json` serves).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::document(documented_routes())
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.server.max_body_bytes;
    openapi::serve_with_docs(documented_routes())
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(uniform_errors::refuse_nul_in_uri))
        .layer(middleware::from_fn_with_state(
            body_limit,
            uniform_errors::json_error_bodies,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Prometheus metrics, text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
async fn render_metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}

/// Liveness: answers while the process serves HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "ok", content_type = "text/plain")))]
async fn health() -> &'static str {
    "ok"
}

/// What readiness found of each dependency: `ok`, `not configured`, or the error.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    status: &'static str,
    /// The database.
    database: String,
    /// Redis (shared rate limits).
    redis: String,
}

/// Readiness: 200 when the database and (if configured) Redis answer,
/// else 503 naming what failed. Load balancers send traffic only to ready
/// nodes.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready", body = Readiness),
        (status = 503, description = "a dependency does not answer", body = Readiness)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = state.store.ping().await.map_err(|e| e.to_string());
    let redis = state.limits.redis_ready().await;
    let ready = database.is_ok() && !matches!(redis, Some(Err(_)));
    let readiness = Readiness {
        status: if ready { "ready" } else { "not ready" },
        database: database.err().unwrap_or_else(|| "ok".to_owned()),
        redis: match redis {
            None => "not configured".to_owned(),
            Some(Ok(())) => "ok".to_owned(),
            Some(Err(error)) => error,
        },
    };
    let status = if ready {
        StatusCode::OK
    } else {
        tracing::warn!(database = %readiness.database, redis = %readiness.redis, "not ready");
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}
