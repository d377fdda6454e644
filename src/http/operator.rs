//! The operator API for the WAHA fleet and tenants' content (`/v1/operator/...`,
//! operator token): register WAHA instances, change their capacity, drain
//! them, check their health; put a tenant's menu and move its orders along
//! (which notifies the customer). Tenant management is in
//! [`operator_tenants`](super::operator_tenants).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Instant;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use wabot_actors::WahaInstanceSpec;
use wabot_plugins::MenuItem;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, OPERATOR_ACTOR, Operator, invalid, parse_id};
use super::orders::{StatusChange, change_status};
use super::whatsapp::client;
use crate::domain;
use crate::storage::models::{InstanceChange, NewWahaInstance, Order, WahaInstance};

/// The operator routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_instance, list_instances))
        .routes(routes!(change_instance))
        .routes(routes!(instance_health))
        .routes(routes!(get_menu, put_menu))
        .routes(routes!(list_orders))
        .routes(routes!(update_order))
}

/// The tenant id in the path, checked to exist (404 otherwise).
async fn existing_tenant(app: &AppState, raw: &str) -> Result<Uuid, ApiError> {
    let tenant_id = parse_id("tenant_id", raw)?;
    app.store.get_tenant(tenant_id).await?;
    Ok(tenant_id)
}

/// A WAHA instance to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstance {
    /// Unique name.
    name: String,
    /// `http(s)://host:port` of the WAHA container.
    base_url: String,
    /// Its `WAHA_API_KEY`.
    api_key: String,
    /// Sessions it may hold (default 100).
    #[serde(default)]
    capacity: Option<i32>,
}

/// Registers a WAHA instance; new sessions are placed on it by free capacity.
#[utoipa::path(post, path = "/v1/operator/waha-instances", tag = "operator",
    security(("operator" = [])), request_body = CreateInstance,
    responses(
        (status = 201, description = "created", body = WahaInstance),
        (status = 401, description = "missing, unknown or expired credential", body = ErrorBody),
        (status = 409, description = "name taken", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody),
    ))]
async fn create_instance(
    _: Operator,
    State(app): State<AppState>,
    JsonBody(body): JsonBody<CreateInstance>,
) -> Result<(StatusCode, Json<WahaInstance>), ApiError> {
    let capacity = body.capacity.unwrap_or(100);
    valid_capacity(capacity)?;
    let new = NewWahaInstance {
        name: domain::text("name", &body.name, 64).map_err(invalid)?,
        base_url: domain::base_url(&body.base_url).map_err(invalid)?,
        api_key: domain::text("api_key", &body.api_key, 256).map_err(invalid)?,
        capacity,
    };
    let instance = app.store.create_waha_instance(&new).await?;
    app.runtime
        .add_instance(WahaInstanceSpec {
            id: instance.id,
            name: instance.name.clone(),
            base_url: instance.base_url.clone(),
            api_key: instance.api_key.clone(),
        })
        .await?;
    tracing::info!(instance = %instance.name, "WAHA instance registered");
    Ok((StatusCode::CREATED, Json(instance)))
}

/// A WAHA instance and how full it is.
#[derive(Serialize, ToSchema)]
pub struct InstanceLoad {
    #[serde(flatten)]
    instance: WahaInstance,
    /// Tenants' sessions placed on it.
    sessions: i64,
    /// Sessions it can still take (0 while draining).
    free: i64,
}

/// The registered WAHA instances with their load.
#[utoipa::path(get, path = "/v1/operator/waha-instances", tag = "operator",
    security(("operator" = [])),
    responses((status = 200, description = "OK", body = Vec<InstanceLoad>), (status = 401, description = "missing, unknown or expired credential", body = ErrorBody)))]
async fn list_instances(
    _: Operator,
    State(app): State<AppState>,
) -> Result<Json<Vec<InstanceLoad>>, ApiError> {
    let placed = app.store.sessions_per_instance().await?;
    let instances = app.store.list_waha_instances().await?;
    Ok(Json(
        instances
            .into_iter()
            .map(|instance| {
                let sessions = placed.get(&instance.id).copied().unwrap_or(0);
                let free = if instance.draining {
                    0
                } else {
                    (i64::from(instance.capacity) - sessions).max(0)
                };
                InstanceLoad {
                    instance,
                    sessions,
                    free,
                }
            })
            .collect(),
    ))
}

/// A change to an instance; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInstance {
    /// Sessions it may hold, 0 to 100000.
    capacity: Option<i32>,
    /// `true` stops placing new sessions on it (the ones there keep running).
    draining: Option<bool>,
}

/// Changes an instance's capacity or drains it.
#[utoipa::path(patch, path = "/v1/operator/waha-instances/{instance_id}", tag = "operator",
    security(("operator" = [])), params(("instance_id" = Uuid, Path)),
    request_body = ChangeInstance,
    responses((status = 200, description = "OK", body = WahaInstance),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody)))]
async fn change_instance(
    _: Operator,
    State(app): State<AppState>,
    Path(instance_id): Path<String>,
    JsonBody(body): JsonBody<ChangeInstance>,
) -> Result<Json<WahaInstance>, ApiError> {
    let instance_id = parse_id("instance_id", &instance_id)?;
    if let Some(capacity) = body.capacity {
        valid_capacity(capacity)?;
    }
    let change = InstanceChange {
        capacity: body.capacity,
        draining: body.draining,
    };
    let instance = app.store.change_waha_instance(instance_id, &change).await?;
    tracing::info!(instance = %instance.name, capacity = instance.capacity,
        draining = instance.draining, "WAHA instance changed");
    Ok(Json(instance))
}

fn valid_capacity(capacity: i32) -> Result<(), ApiError> {
    if (0..=100_000).contains(&capacity) {
        Ok(())
    } else {
        Err(invalid("capacity must be between 0 and 100000".to_owned()))
    }
}

/// What an instance answered when asked for its sessions.
#[derive(Serialize, ToSchema)]
pub struct InstanceHealth {
    /// Instance name.
    name: String,
    /// WAHA answered.
    reachable: bool,
    /// How long it took, in milliseconds.
    latency_ms: u64,
    /// Sessions WAHA holds (absent when unreachable).
    waha_sessions: Option<usize>,
    /// Of those, `WORKING` ones.
    working_sessions: Option<usize>,
    /// Why it is not reachable or not healthy.
    error: Option<String>,
}

/// Asks the instance for its sessions (`GET /api/sessions?all=true`); an
/// unreachable instance is reported, not an error.
#[utoipa::path(get, path = "/v1/operator/waha-instances/{instance_id}/health", tag = "operator",
    security(("operator" = [])), params(("instance_id" = Uuid, Path)),
    responses((status = 200, description = "OK", body = InstanceHealth),
        (status = 404, description = "not found", body = ErrorBody)))]
async fn instance_health(
    _: Operator,
    State(app): State<AppState>,
    Path(instance_id): Path<String>,
) -> Result<Json<InstanceHealth>, ApiError> {
    let instance_id = parse_id("instance_id", &instance_id)?;
    let instance = app.store.get_waha_instance(instance_id).await?;
    let started = Instant::now();
    let answer = client(&instance).sessions().await;
    let latency_ms = started.elapsed().as_millis() as u64;
    Ok(Json(match answer {
        Ok(sessions) => InstanceHealth {
            name: instance.name,
            reachable: true,
            latency_ms,
            waha_sessions: Some(sessions.len()),
            working_sessions: Some(sessions.iter().filter(|s| s.status == "WORKING").count()),
            error: None,
        },
        Err(error) => InstanceHealth {
            name: instance.name,
            reachable: false,
            latency_ms,
            waha_sessions: None,
            working_sessions: None,
            error: Some(error.to_string()),
        },
    }))
}

/// A whole menu.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WholeMenu {
    items: Vec<MenuItem>,
}

/// A tenant's menu.
#[utoipa::path(get, path = "/v1/operator/tenants/{tenant_id}/menu", tag = "operator",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "OK", body = WholeMenu), (status = 404, description = "not found (for this caller)", body = ErrorBody)))]
async fn get_menu(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<Json<WholeMenu>, ApiError> {
    let tenant_id = existing_tenant(&app, &tenant_id).await?;
    let items = app.store.list_menu(tenant_id).await?;
    Ok(Json(WholeMenu { items }))
}

/// Replaces a tenant's whole menu (no tier limit: the operator decides).
#[utoipa::path(put, path = "/v1/operator/tenants/{tenant_id}/menu", tag = "operator",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path)),
    request_body = WholeMenu,
    responses((status = 200, description = "OK", body = WholeMenu), (status = 404, description = "not found (for this caller)", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody)))]
async fn put_menu(
    operator: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
    JsonBody(body): JsonBody<WholeMenu>,
) -> Result<Json<WholeMenu>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    let items = domain::menu((1..).zip(body.items)).map_err(ApiError::InvalidRows)?;
    super::menu::checked_image_urls(&app, &items).await?;
    let before = app.store.list_menu(tenant_id).await?;
    app.store.replace_menu(tenant_id, &items).await?;
    app.store
        .record_audit(&operator.audit(
            tenant_id,
            "menu.replace",
            "menu",
            Some(json!(before)),
            Some(json!(items)),
        ))
        .await?;
    app.runtime.reload_tenant(tenant_id);
    Ok(Json(WholeMenu { items }))
}

/// A tenant's orders.
#[derive(Serialize, ToSchema)]
pub struct OrderList {
    orders: Vec<Order>,
}

/// A tenant's orders, newest first.
#[utoipa::path(get, path = "/v1/operator/tenants/{tenant_id}/orders", tag = "operator",
    operation_id = "operator_list_orders",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "OK", body = OrderList), (status = 404, description = "not found (for this caller)", body = ErrorBody)))]
async fn list_orders(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<Json<OrderList>, ApiError> {
    let tenant_id = existing_tenant(&app, &tenant_id).await?;
    let orders = app.store.list_orders(tenant_id).await?;
    Ok(Json(OrderList { orders }))
}

/// Moves a tenant's order along; the customer is told on WhatsApp.
#[utoipa::path(patch, path = "/v1/operator/tenants/{tenant_id}/orders/{order_id}",
    operation_id = "operator_update_order",
    tag = "operator", security(("operator" = [])),
    params(("tenant_id" = Uuid, Path), ("order_id" = Uuid, Path)),
    request_body = StatusChange,
    responses((status = 200, description = "OK", body = Order), (status = 404, description = "not found (for this caller)", body = ErrorBody),
        (status = 409, description = "conflicts with the current state", body = ErrorBody)))]
async fn update_order(
    _: Operator,
    State(app): State<AppState>,
    Path((tenant_id, order_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<StatusChange>,
) -> Result<Json<Order>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    let order_id = parse_id("order_id", &order_id)?;
    let order = change_status(&app, tenant_id, order_id, &body, OPERATOR_ACTOR).await?;
    Ok(Json(order))
}
