//! The audit log: every change made through the API (who, what, when,
//! before and after), readable by the tenant for its own rows.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{Member, QueryParams};
use super::paging::{DEFAULT_PAGE, MAX_PAGE, PageQuery, next_cursor, page_size};
use crate::storage::models::AuditRecord;

/// The audit routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Entries, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditRecord>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// The tenant's audit log, newest first (owner only).
#[utoipa::path(get, path = "/v1/audit-log", tag = "audit", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "OK", body = AuditPage), (status = 403, description = "not allowed for this role or tier", body = ErrorBody)))]
async fn list_audit(
    member: Member,
    State(app): State<AppState>,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    member.require_owner()?;
    let limit = page_size(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let entries = app
        .store
        .list_audit(member.tenant_id, query.cursor, limit)
        .await?;
    let next_cursor = next_cursor(&entries, limit, |e| e.id);
    Ok(Json(AuditPage {
        entries,
        next_cursor,
    }))
}
