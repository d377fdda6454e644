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

/// The answers the shared layers can give on any operation, before or
/// around its handler: a request that does not parse, a NUL character in
/// the path or query, credentials, rate limits, body size and type, and a
/// dependency that is down. Each operation gets those that apply to it,
/// unless it documents the status itself.
struct CommonErrors;

/// Components of the shared error answers: (status, name, description,
/// whether the answer carries `Retry-After`).
const COMMON_ERRORS: [(&str, &str, &str, bool); 9] = [
    (
        "400",
        "BadRequest",
        "malformed request: a body, query or path that does not parse",
        false,
    ),
    (
        "401",
        "Unauthorized",
        "missing, unknown or expired credential",
        false,
    ),
    (
        "403",
        "Forbidden",
        "not allowed for this credential, role or tier",
        false,
    ),
    (
        "404",
        "NotFound",
        "no such resource (for this caller)",
        false,
    ),
    (
        "413",
        "PayloadTooLarge",
        "request body larger than server.max_body_bytes",
        false,
    ),
    (
        "415",
        "UnsupportedMediaType",
        "the body is not sent as the type this operation reads",
        false,
    ),
    (
        "422",
        "Invalid",
        "invalid values, or a NUL character in a field, the path or the query",
        false,
    ),
    (
        "429",
        "TooManyRequests",
        "over a rate limit; retry after `Retry-After` seconds",
        true,
    ),
    (
        "503",
        "Unavailable",
        "a dependency (storage, the WhatsApp gateway) or the server is busy; retry after `Retry-After` seconds",
        true,
    ),
];

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description, retry_after) in COMMON_ERRORS {
            let mut response = ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            );
            if retry_after {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .description(Some("seconds to wait before retrying"))
                        .build(),
                );
            }
            components
                .responses
                .insert(name.to_owned(), RefOr::T(response.build()));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                for (status, name, _, _) in COMMON_ERRORS {
                    let applies = match status {
                        "401" | "403" | "429" => secured,
                        "404" => path.contains('{'),
                        "413" | "415" => has_body,
                        _ => true,
                    };
                    if applies {
                        operation
                            .responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                    }
                }
            }
        }
    }
}

/// The documented routes as a plain router, plus `/openapi.json` and `/docs`.
pub fn serve_with_docs(routes: OpenApiRouter<AppState>) -> Router<AppState> {
    let (router, mut api) = with_info(routes).split_for_parts();
    CommonErrors.modify(&mut api);
    router.merge(SwaggerUi::new("/docs").url("/openapi.json", api))
}

/// The OpenAPI document of `routes`.
pub fn document(routes: OpenApiRouter<AppState>) -> utoipa::openapi::OpenApi {
    let mut api = with_info(routes).into_openapi();
    CommonErrors.modify(&mut api);
    api
}

fn with_info(routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(routes)
}
