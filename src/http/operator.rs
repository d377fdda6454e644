//! The operator API (`/v1/operator/...`, bearer token): register WAHA
//! instances, create tenants, put menus, and move orders along (which
//! notifies the customer). The first resources of the admin API; tenant
//! self-service builds on the same handlers' patterns.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wabot_actors::{StoreError, WahaInstanceSpec, WahaSessionSpec};
use wabot_plugins::{MenuItem, OrderStatus, PluginKind};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, Operator, invalid, parse_id};
use super::orders::change_status;
use crate::domain;
use crate::storage::models::{
    NewTenant, NewWahaInstance, Order, SessionRoute, Tenant, TenantSettings, WahaInstance,
};

/// The operator routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_instance, list_instances))
        .routes(routes!(create_tenant))
        .routes(routes!(get_tenant))
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
    if !(0..=100_000).contains(&capacity) {
        return Err(invalid("capacity must be between 0 and 100000".to_owned()));
    }
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

/// The registered WAHA instances.
#[utoipa::path(get, path = "/v1/operator/waha-instances", tag = "operator",
    security(("operator" = [])),
    responses((status = 200, description = "OK", body = Vec<WahaInstance>), (status = 401, description = "missing, unknown or expired credential", body = ErrorBody)))]
async fn list_instances(
    _: Operator,
    State(app): State<AppState>,
) -> Result<Json<Vec<WahaInstance>>, ApiError> {
    Ok(Json(app.store.list_waha_instances().await?))
}

/// A tenant onboarded by the operator onto an existing WAHA session.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    business_name: String,
    phone_number: String,
    /// `restaurant`.
    plugin_type: String,
    /// The WAHA session already configured for this number.
    session_name: String,
    /// The HMAC key that session's webhooks are signed with (16+ characters).
    webhook_secret: String,
    waha_instance_id: Uuid,
    #[serde(default)]
    currency_symbol: Option<String>,
}

/// Creates a tenant on an existing WAHA session (self-service tenants use
/// `/v1/signup` and `/v1/whatsapp/session` instead).
#[utoipa::path(post, path = "/v1/operator/tenants", tag = "operator",
    security(("operator" = [])), request_body = CreateTenant,
    responses(
        (status = 201, description = "created", body = Tenant),
        (status = 409, description = "conflicts with the current state", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody),
    ))]
async fn create_tenant(
    _: Operator,
    State(app): State<AppState>,
    JsonBody(body): JsonBody<CreateTenant>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    let plugin: PluginKind = body
        .plugin_type
        .parse()
        .map_err(|e: wabot_plugins::UnknownPluginKind| invalid(e.to_string()))?;
    let mut settings = TenantSettings::default();
    if let Some(symbol) = &body.currency_symbol {
        settings.currency_symbol = domain::text("currency_symbol", symbol, 4).map_err(invalid)?;
    }
    let new = NewTenant {
        business_name: domain::text("business_name", &body.business_name, 120).map_err(invalid)?,
        phone_number: domain::phone_number(&body.phone_number).map_err(invalid)?,
        plugin,
        session_name: domain::session_name(&body.session_name).map_err(invalid)?,
        webhook_secret: domain::webhook_secret(&body.webhook_secret).map_err(invalid)?,
        waha_instance_id: Some(body.waha_instance_id),
        settings,
    };
    match app.store.get_waha_instance(body.waha_instance_id).await {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => {
            return Err(invalid(format!(
                "waha_instance_id {} is not a registered WAHA instance",
                body.waha_instance_id
            )));
        }
        Err(error) => return Err(error.into()),
    }
    let tenant = app.store.create_tenant(&new).await?;
    app.sessions.insert(SessionRoute {
        session: tenant.session_name.clone(),
        tenant_id: tenant.id,
        webhook_secret: new.webhook_secret,
        waha_instance_id: body.waha_instance_id,
    });
    app.runtime
        .add_session(WahaSessionSpec {
            session: tenant.session_name.clone(),
            instance_id: body.waha_instance_id,
        })
        .await?;
    tracing::info!(tenant = %tenant.id, session = %tenant.session_name, "tenant created");
    Ok((StatusCode::CREATED, Json(tenant)))
}

/// One tenant.
#[utoipa::path(get, path = "/v1/operator/tenants/{tenant_id}", tag = "operator",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "OK", body = Tenant), (status = 404, description = "not found (for this caller)", body = ErrorBody)))]
async fn get_tenant(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<Json<Tenant>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    Ok(Json(app.store.get_tenant(tenant_id).await?))
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
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
    JsonBody(body): JsonBody<WholeMenu>,
) -> Result<Json<WholeMenu>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    let items = domain::menu((1..).zip(body.items)).map_err(ApiError::InvalidRows)?;
    app.store.replace_menu(tenant_id, &items).await?;
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

/// The next status of an order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrder {
    status: String,
}

/// Moves a tenant's order along; the customer is told on WhatsApp.
#[utoipa::path(patch, path = "/v1/operator/tenants/{tenant_id}/orders/{order_id}",
    operation_id = "operator_update_order",
    tag = "operator", security(("operator" = [])),
    params(("tenant_id" = Uuid, Path), ("order_id" = Uuid, Path)),
    request_body = UpdateOrder,
    responses((status = 200, description = "OK", body = Order), (status = 404, description = "not found (for this caller)", body = ErrorBody),
        (status = 409, description = "conflicts with the current state", body = ErrorBody)))]
async fn update_order(
    _: Operator,
    State(app): State<AppState>,
    Path((tenant_id, order_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateOrder>,
) -> Result<Json<Order>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    let order_id = parse_id("order_id", &order_id)?;
    let status: OrderStatus = body
        .status
        .parse()
        .map_err(|e: wabot_plugins::UnknownOrderStatus| invalid(e.to_string()))?;
    Ok(Json(
        change_status(&app, tenant_id, order_id, status).await?,
    ))
}
