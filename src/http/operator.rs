//! The operator API (`/v1/operator/...`, bearer token): register WAHA
//! instances, create tenants, put menus, and move orders along (which
//! notifies the customer). The first resources of the admin API; tenant
//! self-service builds on the same handlers' patterns.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use uuid::Uuid;
use wabot_actors::{WahaInstanceSpec, WahaSessionSpec};
use wabot_plugins::{MenuItem, OrderStatus, PluginKind};

use super::AppState;
use super::error::ApiError;
use crate::domain;
use crate::storage::models::{
    NewTenant, NewWahaInstance, Order, SessionRoute, Tenant, TenantSettings, WahaInstance,
};

/// The operator routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/operator/waha-instances",
            post(create_instance).get(list_instances),
        )
        .route("/v1/operator/tenants", post(create_tenant))
        .route("/v1/operator/tenants/{tenant_id}", get(get_tenant))
        .route(
            "/v1/operator/tenants/{tenant_id}/menu",
            get(get_menu).put(put_menu),
        )
        .route("/v1/operator/tenants/{tenant_id}/orders", get(list_orders))
        .route(
            "/v1/operator/tenants/{tenant_id}/orders/{order_id}",
            patch(update_order),
        )
}

/// Proof that the request carries the operator's bearer token.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "missing 'Authorization: Bearer <operator token>'".to_owned(),
                )
            })?;
        if bool::from(token.as_bytes().ct_eq(state.operator_token.as_bytes())) {
            Ok(Operator)
        } else {
            Err(ApiError::Unauthorized("wrong operator token".to_owned()))
        }
    }
}

/// A JSON body whose rejections use the API's error shape.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(JsonRejection::BytesRejection(r))
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::BadRequest("request body too large".to_owned()))
            }
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::Unprocessable(message)
}

fn parse_id(what: &str, raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} must be a UUID, got '{raw}'")))
}

/// The tenant id in the path, checked to exist (404 otherwise).
async fn existing_tenant(app: &AppState, raw: &str) -> Result<Uuid, ApiError> {
    let tenant_id = parse_id("tenant_id", raw)?;
    app.store.get_tenant(tenant_id).await?;
    Ok(tenant_id)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateInstance {
    name: String,
    base_url: String,
    api_key: String,
}

async fn create_instance(
    _: Operator,
    State(app): State<AppState>,
    JsonBody(body): JsonBody<CreateInstance>,
) -> Result<(StatusCode, Json<WahaInstance>), ApiError> {
    let new = NewWahaInstance {
        name: domain::text("name", &body.name, 64).map_err(invalid)?,
        base_url: domain::base_url(&body.base_url).map_err(invalid)?,
        api_key: domain::text("api_key", &body.api_key, 256).map_err(invalid)?,
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

async fn list_instances(
    _: Operator,
    State(app): State<AppState>,
) -> Result<Json<Vec<WahaInstance>>, ApiError> {
    Ok(Json(app.store.list_waha_instances().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTenant {
    business_name: String,
    phone_number: String,
    plugin_type: String,
    session_name: String,
    webhook_secret: String,
    waha_instance_id: Uuid,
    #[serde(default)]
    currency_symbol: Option<String>,
}

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
        waha_instance_id: body.waha_instance_id,
        settings,
    };
    let instances = app.store.list_waha_instances().await?;
    if !instances.iter().any(|i| i.id == new.waha_instance_id) {
        return Err(invalid(format!(
            "waha_instance_id {} is not a registered WAHA instance",
            new.waha_instance_id
        )));
    }
    let tenant = app.store.create_tenant(&new).await?;
    app.sessions.insert(SessionRoute {
        session: tenant.session_name.clone(),
        tenant_id: tenant.id,
        webhook_secret: new.webhook_secret,
        waha_instance_id: tenant.waha_instance_id,
    });
    app.runtime
        .add_session(WahaSessionSpec {
            session: tenant.session_name.clone(),
            instance_id: tenant.waha_instance_id,
        })
        .await?;
    tracing::info!(tenant = %tenant.id, session = %tenant.session_name, "tenant created");
    Ok((StatusCode::CREATED, Json(tenant)))
}

async fn get_tenant(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<Json<Tenant>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    Ok(Json(app.store.get_tenant(tenant_id).await?))
}

async fn get_menu(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant_id = existing_tenant(&app, &tenant_id).await?;
    let items = app.store.list_menu(tenant_id).await?;
    Ok(Json(json!({"items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutMenu {
    items: Vec<MenuItem>,
}

async fn put_menu(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
    JsonBody(body): JsonBody<PutMenu>,
) -> Result<Json<Value>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    let items = domain::menu(body.items).map_err(invalid)?;
    app.store.replace_menu(tenant_id, &items).await?;
    app.runtime.reload_tenant(tenant_id);
    Ok(Json(json!({"items": items})))
}

async fn list_orders(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant_id = existing_tenant(&app, &tenant_id).await?;
    let orders = app.store.list_orders(tenant_id).await?;
    Ok(Json(json!({"orders": orders})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateOrder {
    status: String,
}

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
    let order = app
        .store
        .update_order_status(tenant_id, order_id, status)
        .await?;
    app.runtime.order_status_changed(
        tenant_id,
        &order.customer_phone,
        order.order_number,
        order.status,
    )?;
    tracing::info!(tenant = %tenant_id, order = order.order_number, status = %order.status, "order status changed");
    Ok(Json(order))
}
