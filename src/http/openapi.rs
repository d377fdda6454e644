//! The OpenAPI 3 document, generated from the handlers' annotations as the
//! routers are assembled (so every routed endpoint is described), served at
//! `/openapi.json` with a Swagger UI at `/docs`.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use super::AppState;

/// Title, description, tags and security schemes of the document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "wabot",
        description = "Multi-tenant WhatsApp ordering bots. Tenant routes take a tenant's API key or login token (`Authorization: Bearer ...`); operator routes take the operator token. Every error has the shape `{\"error\": {\"code\", \"message\"}}`."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "accounts", description = "Signup, login, API keys"),
        (name = "whatsapp", description = "The tenant's WhatsApp session: start, QR, pairing"),
        (name = "menu", description = "Menu or catalog items, categories, bulk import"),
        (name = "orders", description = "Orders: listing, status changes, export"),
        (name = "analytics", description = "Sales and traffic over a period"),
        (name = "usage", description = "This month's billable messages, quota and invoice preview"),
        (name = "audit", description = "Who changed what"),
        (name = "settings", description = "The bot's settings: currency, greeting, branding, fees, opening hours"),
        (name = "conversations", description = "Customer conversations: hand back to the bot after a person took over"),
        (name = "flow", description = "The tenant's own bot as a flow (enterprise tier)"),
        (name = "events", description = "Notices for the business: quota warnings, customers asking for a person"),
        (name = "operator", description = "Platform operator: WAHA instances, tenants, plans, platform usage"),
        (name = "waha", description = "WAHA's webhook events in"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer =
            || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("bearer", bearer());
        components.add_security_scheme("operator", bearer());
    }
}

/// The documented routes as a plain router, plus `/openapi.json` and `/docs`.
pub fn serve_with_docs(routes: OpenApiRouter<AppState>) -> Router<AppState> {
    let (router, api) = with_info(routes).split_for_parts();
    router.merge(SwaggerUi::new("/docs").url("/openapi.json", api))
}

/// The OpenAPI document of `routes`.
pub fn document(routes: OpenApiRouter<AppState>) -> utoipa::openapi::OpenApi {
    with_info(routes).into_openapi()
}

fn with_info(routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(routes)
}
