//! The tenant's event feed: things the platform tells the business about
//! (quota warnings at 80 % and 100 % of the month's messages), newest first.

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
use crate::storage::models::TenantEvent;

/// The event routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

/// Events, newest first.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    events: Vec<TenantEvent>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<i64>,
}

/// The tenant's events, newest first (`quota.warning`, `quota.exhausted`).
#[utoipa::path(get, path = "/v1/events", tag = "events", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "OK", body = EventPage),
        (status = 400, description = "invalid page size", body = ErrorBody),
        (status = 401, description = "missing, unknown or expired credential", body = ErrorBody)))]
async fn list_events(
    member: Member,
    State(app): State<AppState>,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<EventPage>, ApiError> {
    let limit = page_size(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let events = app
        .store
        .list_events(member.tenant_id, query.cursor, limit)
        .await?;
    let next_cursor = next_cursor(&events, limit, |e| e.id);
    Ok(Json(EventPage {
        events,
        next_cursor,
    }))
}
