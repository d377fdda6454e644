//! The tenant's own bot as a flow (`/v1/flow`, enterprise tier): upload a
//! flow, checked against the rules and the current menu with every problem
//! named, and it becomes the tenant's bot at once; read it back.

use axum::Json;
use axum::extract::State;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wabot_plugins::{Flow, Menu};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, Member, invalid};
use crate::tiers::Tier;

/// The flow routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_flow, put_flow))
}

/// The tenant's flow.
#[utoipa::path(get, path = "/v1/flow", tag = "flow", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Flow),
        (status = 404, description = "no flow uploaded", body = ErrorBody)))]
async fn get_flow(member: Member, State(app): State<AppState>) -> Result<Json<Flow>, ApiError> {
    app.store
        .get_flow(member.tenant_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no flow uploaded".to_owned()))
}

/// Uploads the tenant's flow (owner, enterprise tier) and makes it the bot.
/// A malformed flow (unknown node type or field) answers 400; a flow that
/// breaks a rule answers 422 naming every problem, and nothing changes.
#[utoipa::path(put, path = "/v1/flow", tag = "flow", security(("bearer" = [])),
    request_body = Flow,
    responses((status = 200, description = "stored; the bot runs it from now on", body = Flow),
        (status = 400, description = "not a flow", body = ErrorBody),
        (status = 403, description = "not the owner, or not on the enterprise tier", body = ErrorBody),
        (status = 422, description = "the flow breaks a rule", body = ErrorBody)))]
async fn put_flow(
    member: Member,
    State(app): State<AppState>,
    JsonBody(flow): JsonBody<Flow>,
) -> Result<Json<Flow>, ApiError> {
    member.require_owner()?;
    let tenant = app.store.get_tenant(member.tenant_id).await?;
    if Tier::parse(&tenant.subscription_tier) != Some(Tier::Enterprise) {
        return Err(ApiError::Forbidden(
            "flow bots are part of the enterprise tier".to_owned(),
        ));
    }
    let menu = Menu::new(app.store.list_menu(member.tenant_id).await?);
    let errors = flow.errors(&menu);
    if !errors.is_empty() {
        return Err(invalid(format!(
            "the flow has {} problem(s): {}",
            errors.len(),
            errors.join("; ")
        )));
    }
    app.store.save_flow(member.tenant_id, &flow).await?;
    app.store
        .record_audit(&member.audit(
            "flow.upload",
            "flow",
            None,
            Some(json!({"start": flow.start, "nodes": flow.nodes.len()})),
        ))
        .await?;
    app.runtime.reload_tenant(member.tenant_id);
    Ok(Json(flow))
}
