//! The tenant's bot settings (`/v1/settings`): currency, language, greeting,
//! branding, delivery fee, minimum order and opening hours, checked against
//! the rules of the tenant's bot before anything is stored. The running bot
//! uses them from its next message on.

use axum::Json;
use axum::extract::State;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wabot_plugins::{BotSettings, plugin_for};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, Member, invalid};

/// The settings routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, put_settings))
}

/// The tenant's bot settings.
#[utoipa::path(get, path = "/v1/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = BotSettings),
        (status = 401, description = "missing, unknown or expired credential", body = ErrorBody)))]
async fn get_settings(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<BotSettings>, ApiError> {
    Ok(Json(app.store.get_tenant(member.tenant_id).await?.settings))
}

/// Replaces the bot settings (owner only); absent fields take their
/// defaults. Every broken rule is listed in one 422 and nothing changes.
#[utoipa::path(put, path = "/v1/settings", tag = "settings", security(("bearer" = [])),
    request_body = BotSettings,
    responses((status = 200, description = "OK", body = BotSettings),
        (status = 403, description = "not allowed for this role", body = ErrorBody),
        (status = 422, description = "settings break the bot's rules", body = ErrorBody)))]
async fn put_settings(
    member: Member,
    State(app): State<AppState>,
    JsonBody(settings): JsonBody<BotSettings>,
) -> Result<Json<BotSettings>, ApiError> {
    member.require_owner()?;
    let tenant = app.store.get_tenant(member.tenant_id).await?;
    let errors = plugin_for(tenant.plugin_type).check_settings(&settings);
    if !errors.is_empty() {
        let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
        return Err(invalid(reasons.join("; ")));
    }
    let before = app
        .store
        .replace_settings(member.tenant_id, &settings)
        .await?;
    app.store
        .record_audit(&member.audit(
            "settings.update",
            "settings",
            Some(json!(before)),
            Some(json!(settings)),
        ))
        .await?;
    app.runtime.reload_tenant(member.tenant_id);
    Ok(Json(settings))
}
