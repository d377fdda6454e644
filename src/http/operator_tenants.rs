//! The operator's tenant management (`/v1/operator/tenants...`): onboard a
//! tenant onto an existing session, list and inspect tenants, change their
//! plan (tier, metered overage), suspend and reactivate them, read their
//! audit log, and delete them with everything they own. Plan changes reach
//! the running tenant actor at once and are audited.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wabot_actors::{StoreError, WahaSessionSpec};
use wabot_plugins::{BotSettings, PluginKind};

use super::AppState;
use super::audit::AuditPage;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, Operator, QueryParams, invalid, parse_id};
use super::paging::{DEFAULT_PAGE, MAX_PAGE, PageQuery, next_cursor, page_size};
use super::whatsapp::{client, waha_failure};
use crate::domain;
use crate::storage::models::{NewTenant, SessionRoute, Tenant, TenantFilter, TenantPlanChange};
use crate::tiers::Tier;

/// The operator's tenant routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant, list_tenants))
        .routes(routes!(get_tenant, change_tenant, delete_tenant))
        .routes(routes!(suspend_tenant))
        .routes(routes!(reactivate_tenant))
        .routes(routes!(tenant_audit_log))
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
    /// `free` (the default), `basic`, `premium` or `enterprise`.
    #[serde(default)]
    subscription_tier: Option<String>,
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
    let mut settings = BotSettings::default();
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
    let tier = body
        .subscription_tier
        .as_deref()
        .map(known_tier)
        .transpose()?;
    let mut tenant = app.store.create_tenant(&new).await?;
    if let Some(tier) = tier.filter(|t| *t != Tier::Free) {
        let plan = TenantPlanChange {
            tier: Some(tier.as_str().to_owned()),
            ..TenantPlanChange::default()
        };
        (_, tenant) = app.store.change_tenant_plan(tenant.id, &plan).await?;
    }
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
    app.store
        .record_audit(&Operator.audit(
            tenant.id,
            "tenant.create",
            tenant.id.to_string(),
            None,
            Some(json!(tenant)),
        ))
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

/// Filters and page of the tenant listing.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantQuery {
    /// Only this status: `trial`, `active` or `suspended`.
    status: Option<String>,
    /// Only this tier: `free`, `basic`, `premium` or `enterprise`.
    tier: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<Uuid>,
}

/// A page of tenants, by id.
#[derive(Serialize, ToSchema)]
pub struct TenantPage {
    tenants: Vec<Tenant>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<Uuid>,
}

/// The tenants, filtered by status and tier.
#[utoipa::path(get, path = "/v1/operator/tenants", tag = "operator",
    security(("operator" = [])), params(TenantQuery),
    responses((status = 200, description = "OK", body = TenantPage),
        (status = 400, description = "invalid page size", body = ErrorBody),
        (status = 422, description = "unknown status or tier", body = ErrorBody)))]
async fn list_tenants(
    _: Operator,
    State(app): State<AppState>,
    QueryParams(query): QueryParams<TenantQuery>,
) -> Result<Json<TenantPage>, ApiError> {
    let limit = page_size(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
    if let Some(status) = &query.status {
        known_status(status, &["trial", "active", "suspended"])?;
    }
    if let Some(tier) = &query.tier {
        known_tier(tier)?;
    }
    let filter = TenantFilter {
        status: query.status,
        tier: query.tier,
        after: query.cursor,
        limit,
    };
    let tenants = app.store.list_tenants(&filter).await?;
    let next_cursor = (tenants.len() as i64 == limit)
        .then(|| tenants.last().map(|t| t.id))
        .flatten();
    Ok(Json(TenantPage {
        tenants,
        next_cursor,
    }))
}

fn known_status(status: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&status) {
        Ok(())
    } else {
        Err(invalid(format!(
            "status must be one of {}, not {status:?}",
            allowed.join(", ")
        )))
    }
}

fn known_tier(tier: &str) -> Result<Tier, ApiError> {
    Tier::parse(tier).ok_or_else(|| {
        invalid(format!(
            "tier must be free, basic, premium or enterprise, not {tier:?}"
        ))
    })
}

/// A change to a tenant's plan; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeTenant {
    /// `active` or `suspended`.
    status: Option<String>,
    /// `free`, `basic`, `premium` or `enterprise`.
    tier: Option<String>,
    /// Allow messages beyond the quota, billed as overage (basic and premium only).
    overage_allowed: Option<bool>,
}

/// Changes a tenant's status, tier or overage permission. Moving to a tier
/// without overage turns overage off. The running bot applies it at once.
#[utoipa::path(patch, path = "/v1/operator/tenants/{tenant_id}", tag = "operator",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path)),
    request_body = ChangeTenant,
    responses((status = 200, description = "OK", body = Tenant),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody)))]
async fn change_tenant(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
    JsonBody(body): JsonBody<ChangeTenant>,
) -> Result<Json<Tenant>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    if let Some(status) = &body.status {
        known_status(status, &["active", "suspended"])?;
    }
    let current = app.store.get_tenant(tenant_id).await?;
    let tier = match &body.tier {
        Some(tier) => known_tier(tier)?,
        None => known_tier(&current.subscription_tier)?,
    };
    let overage_allowed = match body.overage_allowed {
        Some(true) if !tier.allows_overage() => {
            return Err(invalid(format!(
                "the {} tier has no metered overage; only basic and premium do",
                tier.as_str()
            )));
        }
        Some(allowed) => Some(allowed),
        None if current.overage_allowed && !tier.allows_overage() => Some(false),
        None => None,
    };
    let change = TenantPlanChange {
        status: body.status,
        tier: body.tier,
        overage_allowed,
    };
    apply_plan_change(&app, tenant_id, &change).await
}

/// Stores a plan change, audits it and tells the running tenant actor.
async fn apply_plan_change(
    app: &AppState,
    tenant_id: Uuid,
    change: &TenantPlanChange,
) -> Result<Json<Tenant>, ApiError> {
    let (before, after) = app.store.change_tenant_plan(tenant_id, change).await?;
    app.store
        .record_audit(&Operator.audit(
            tenant_id,
            "tenant.plan",
            tenant_id.to_string(),
            Some(plan_of(&before)),
            Some(plan_of(&after)),
        ))
        .await?;
    app.runtime.reload_tenant(tenant_id);
    tracing::info!(tenant = %tenant_id, status = %after.status, tier = %after.subscription_tier,
        overage_allowed = after.overage_allowed, "tenant plan changed");
    Ok(Json(after))
}

fn plan_of(tenant: &Tenant) -> serde_json::Value {
    json!({
        "status": tenant.status,
        "subscription_tier": tenant.subscription_tier,
        "overage_allowed": tenant.overage_allowed,
    })
}

/// Suspends a tenant: its bot answers no customer (each is told once a
/// month); its team can still sign in, read and export.
#[utoipa::path(post, path = "/v1/operator/tenants/{tenant_id}/suspend", tag = "operator",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "OK", body = Tenant),
        (status = 404, description = "not found", body = ErrorBody)))]
async fn suspend_tenant(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<Json<Tenant>, ApiError> {
    set_status(&app, &tenant_id, "suspended").await
}

/// Reactivates a suspended (or trial) tenant.
#[utoipa::path(post, path = "/v1/operator/tenants/{tenant_id}/reactivate", tag = "operator",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "OK", body = Tenant),
        (status = 404, description = "not found", body = ErrorBody)))]
async fn reactivate_tenant(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<Json<Tenant>, ApiError> {
    set_status(&app, &tenant_id, "active").await
}

async fn set_status(app: &AppState, raw: &str, status: &str) -> Result<Json<Tenant>, ApiError> {
    let tenant_id = parse_id("tenant_id", raw)?;
    let change = TenantPlanChange {
        status: Some(status.to_owned()),
        ..TenantPlanChange::default()
    };
    apply_plan_change(app, tenant_id, &change).await
}

/// Deletes a tenant: its WhatsApp session is deleted in WAHA first (503 if
/// WAHA cannot be reached, and nothing changes), then every row it owns
/// (users, keys, menu, orders, conversations, usage, audit log).
#[utoipa::path(delete, path = "/v1/operator/tenants/{tenant_id}", tag = "operator",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path)),
    responses((status = 204, description = "deleted"),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 503, description = "WAHA unreachable; nothing deleted", body = ErrorBody)))]
async fn delete_tenant(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    let tenant = app.store.get_tenant(tenant_id).await?;
    let session = match tenant.waha_instance_id {
        Some(instance_id) => {
            let instance = app.store.get_waha_instance(instance_id).await?;
            client(&instance)
                .delete_session(&tenant.session_name)
                .await
                .map_err(waha_failure)?;
            Some(WahaSessionSpec {
                session: tenant.session_name.clone(),
                instance_id,
            })
        }
        None => None,
    };
    app.sessions.remove(&tenant.session_name);
    app.runtime.remove_tenant(tenant_id, session).await?;
    // Files first: their index goes with the tenant's rows.
    app.media.delete_tenant_files(tenant_id).await?;
    app.store.delete_tenant(tenant_id).await?;
    tracing::warn!(tenant = %tenant_id, business = %tenant.business_name,
        session = %tenant.session_name, "tenant deleted with all its data");
    Ok(StatusCode::NO_CONTENT)
}

/// A tenant's audit log, newest first.
#[utoipa::path(get, path = "/v1/operator/tenants/{tenant_id}/audit-log", tag = "operator",
    operation_id = "operator_tenant_audit_log",
    security(("operator" = [])), params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "OK", body = AuditPage),
        (status = 404, description = "not found", body = ErrorBody)))]
async fn tenant_audit_log(
    _: Operator,
    State(app): State<AppState>,
    Path(tenant_id): Path<String>,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let tenant_id = parse_id("tenant_id", &tenant_id)?;
    app.store.get_tenant(tenant_id).await?;
    let limit = page_size(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let entries = app.store.list_audit(tenant_id, query.cursor, limit).await?;
    let next_cursor = next_cursor(&entries, limit, |e| e.id);
    Ok(Json(AuditPage {
        entries,
        next_cursor,
    }))
}
