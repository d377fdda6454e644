//! The HTTP surface: WAHA webhook ingress, the operator API, `/metrics` and
//! `/healthz`. Each resource module owns its router and its types.

pub mod error;
pub mod operator;
pub mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::trace::TraceLayer;
use wabot_actors::Runtime;

use crate::config::Settings;
use crate::session_directory::SessionDirectory;
use crate::storage::Store;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
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
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.server.max_body_bytes;
    Router::new()
        .merge(webhook::router())
        .merge(operator::router())
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn render_metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}
