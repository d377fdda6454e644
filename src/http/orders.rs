//! The tenant's orders: filtered, paginated listing, one order, status
//! changes through the order state machine and pharmacists' reviews of
//! prescriptions (each notifies the customer on WhatsApp through the
//! actors), and CSV export.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wabot_actors::metrics::ORDER_STATUS_CHANGES;
use wabot_plugins::OrderStatus;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, Member, QueryParams, audit_entry, invalid, parse_id};
use super::paging::{DEFAULT_PAGE, MAX_PAGE, next_cursor, page_size};
use crate::storage::models::{Order, OrderChange, OrderFilter, Review};

/// Longest reason told to a customer.
const MAX_REASON_CHARS: usize = 500;

/// Most orders in one CSV export.
const MAX_EXPORT: i64 = 10_000;

/// The order routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(export_orders))
        .routes(routes!(get_order, update_order))
        .routes(routes!(review_prescription))
}

/// Filters and page.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Only this status.
    status: Option<String>,
    /// Placed at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Placed before (RFC 3339).
    to: Option<DateTime<Utc>>,
    /// Only this customer (chat id, `15551234567@c.us`).
    customer: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<i64>,
}

impl OrderQuery {
    fn filter(self, default_limit: i64, max_limit: i64) -> Result<OrderFilter, ApiError> {
        let status = self
            .status
            .map(|s| s.parse::<OrderStatus>())
            .transpose()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let limit = page_size(self.limit, default_limit, max_limit)?;
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from >= to
        {
            return Err(ApiError::BadRequest("from must be before to".to_owned()));
        }
        Ok(OrderFilter {
            status,
            from: self.from,
            to: self.to,
            customer: self.customer,
            before_number: self.cursor,
            limit,
        })
    }
}

/// A page of orders, newest first.
#[derive(Serialize, ToSchema)]
pub struct OrderPage {
    orders: Vec<Order>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<i64>,
}

/// Orders, newest first, with filters and cursor pagination.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", security(("bearer" = [])),
    params(OrderQuery),
    responses((status = 200, description = "OK", body = OrderPage), (status = 400, description = "malformed request", body = ErrorBody)))]
async fn list_orders(
    member: Member,
    State(app): State<AppState>,
    QueryParams(query): QueryParams<OrderQuery>,
) -> Result<Json<OrderPage>, ApiError> {
    let filter = query.filter(DEFAULT_PAGE, MAX_PAGE)?;
    let orders = app.store.find_orders(member.tenant_id, &filter).await?;
    let next_cursor = next_cursor(&orders, filter.limit, |o| o.order_number);
    Ok(Json(OrderPage {
        orders,
        next_cursor,
    }))
}

/// `cell` as a spreadsheet shows it as text, never as a formula: a cell
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` (OWASP, "CSV Injection"). Customers write delivery
/// addresses, so `=HYPERLINK(...)` must not become a live link.
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// The same filters as the listing, as CSV (at most 10,000 orders). Cells
/// customers wrote are made safe for spreadsheets.
#[utoipa::path(get, path = "/v1/orders/export.csv", tag = "orders",
    security(("bearer" = [])), params(OrderQuery),
    responses((status = 200, description = "CSV, one line per order", content_type = "text/csv")))]
async fn export_orders(
    member: Member,
    State(app): State<AppState>,
    QueryParams(query): QueryParams<OrderQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let filter = query.filter(MAX_EXPORT, MAX_EXPORT)?;
    let orders = app.store.find_orders(member.tenant_id, &filter).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| ApiError::Internal(e.to_string());
    writer
        .write_record([
            "order_number",
            "id",
            "created_at",
            "status",
            "customer_phone",
            "delivery_address",
            "items",
            "total",
        ])
        .map_err(csv_error)?;
    for order in &orders {
        let items = order
            .items
            .iter()
            .map(|line| format!("{}x {}", line.quantity, line.name))
            .collect::<Vec<_>>()
            .join("; ");
        writer
            .write_record([
                order.order_number.to_string(),
                order.id.to_string(),
                order.created_at.to_rfc3339(),
                order.status.to_string(),
                spreadsheet_safe(&order.customer_phone),
                spreadsheet_safe(&order.delivery_address),
                spreadsheet_safe(&items),
                order.total.to_string(),
            ])
            .map_err(csv_error)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"orders.csv\"",
            ),
        ],
        body,
    ))
}

/// One order.
#[utoipa::path(get, path = "/v1/orders/{order_id}", tag = "orders",
    security(("bearer" = [])), params(("order_id" = Uuid, Path)),
    responses((status = 200, description = "OK", body = Order), (status = 404, description = "not found (for this caller)", body = ErrorBody)))]
async fn get_order(
    member: Member,
    State(app): State<AppState>,
    Path(order_id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    let order_id = parse_id("order_id", &order_id)?;
    Ok(Json(app.store.get_order(member.tenant_id, order_id).await?))
}

/// The next status.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// `confirmed`, `preparing`, `out_for_delivery`, `delivered` or `cancelled`.
    #[schema(pattern = "^(confirmed|preparing|out_for_delivery|delivered|cancelled)$")]
    status: String,
    /// Why (up to 500 characters); the customer is told.
    #[serde(default)]
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// Moves an order along (`pending → confirmed → preparing →
/// out_for_delivery → delivered`, or `cancelled` before it is final); the
/// customer is told on WhatsApp.
#[utoipa::path(patch, path = "/v1/orders/{order_id}", tag = "orders",
    security(("bearer" = [])), params(("order_id" = Uuid, Path)),
    request_body = StatusChange,
    responses(
        (status = 200, description = "OK", body = Order),
        (status = 404, description = "not found (for this caller)", body = ErrorBody),
        (status = 409, description = "not allowed from the current status", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody),
    ))]
async fn update_order(
    member: Member,
    State(app): State<AppState>,
    Path(order_id): Path<String>,
    JsonBody(body): JsonBody<StatusChange>,
) -> Result<Json<Order>, ApiError> {
    let order_id = parse_id("order_id", &order_id)?;
    let order = change_status(&app, member.tenant_id, order_id, &body, &member.actor).await?;
    Ok(Json(order))
}

/// Applies a status change made by `actor`: moves the order along its state
/// machine, queues the customer's notice and audits the change.
pub async fn change_status(
    app: &AppState,
    tenant_id: Uuid,
    order_id: Uuid,
    change: &StatusChange,
    actor: &str,
) -> Result<Order, ApiError> {
    let status: OrderStatus = change
        .status
        .parse()
        .map_err(|e: wabot_plugins::UnknownOrderStatus| invalid(e.to_string()))?;
    let change = OrderChange {
        status,
        review: None,
        note: reason(change.reason.as_deref())?,
    };
    apply_change(app, tenant_id, order_id, &change, actor).await
}

/// The trimmed reason, if any (422 when too long).
fn reason(reason: Option<&str>) -> Result<Option<String>, ApiError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        Some(r) if r.chars().count() > MAX_REASON_CHARS => Err(invalid(format!(
            "reason must be at most {MAX_REASON_CHARS} characters"
        ))),
        _ => Ok(reason.map(str::to_owned)),
    }
}

/// Applies `change` made by `actor`, audits it and tells the customer.
async fn apply_change(
    app: &AppState,
    tenant_id: Uuid,
    order_id: Uuid,
    change: &OrderChange,
    actor: &str,
) -> Result<Order, ApiError> {
    let before = app.store.get_order(tenant_id, order_id).await?;
    let order = app.store.change_order(tenant_id, order_id, change).await?;
    let state = |order: &Order| {
        json!({
            "status": order.status,
            "prescription_review": order.prescription.as_ref().map(|p| p.review.as_str()),
            "reason": order.prescription.as_ref().and_then(|p| p.note.as_deref()),
        })
    };
    let action = if change.review.is_some() {
        "order.prescription_review"
    } else {
        "order.status"
    };
    app.store
        .record_audit(&audit_entry(
            tenant_id,
            actor,
            action,
            order_id.to_string(),
            Some(state(&before)),
            Some(state(&order)),
        ))
        .await?;
    app.runtime.order_status_changed(
        tenant_id,
        &order.customer_phone,
        order.order_number,
        order.status,
        change.note.clone(),
    )?;
    metrics::counter!(ORDER_STATUS_CHANGES, "status" => order.status.as_str()).increment(1);
    if order.status == OrderStatus::Cancelled {
        // Its stock came back: the bot shows the menu as it is now.
        app.runtime.reload_tenant(tenant_id);
    }
    tracing::info!(tenant = %tenant_id, order = order.order_number, status = %order.status, action, "order changed");
    Ok(order)
}

/// A pharmacist's decision on an order's prescription.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionDecision {
    /// `approve` (the order is confirmed) or `reject` (it is cancelled).
    #[schema(pattern = "^(approve|reject)$")]
    decision: String,
    /// Why; required to reject (the customer is told), up to 500 characters.
    #[serde(default)]
    reason: Option<String>,
}

/// Approves or rejects the prescription of an order waiting for review
/// (orders with prescription-only items); the order is confirmed or
/// cancelled and the customer is told, with the reason of a rejection.
#[utoipa::path(post, path = "/v1/orders/{order_id}/prescription", tag = "orders",
    security(("bearer" = [])), params(("order_id" = Uuid, Path)),
    request_body = PrescriptionDecision,
    responses(
        (status = 200, description = "OK", body = Order),
        (status = 404, description = "not found (for this caller)", body = ErrorBody),
        (status = 409, description = "no prescription of this order awaits review", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody),
    ))]
async fn review_prescription(
    member: Member,
    State(app): State<AppState>,
    Path(order_id): Path<String>,
    JsonBody(body): JsonBody<PrescriptionDecision>,
) -> Result<Json<Order>, ApiError> {
    let order_id = parse_id("order_id", &order_id)?;
    let review = match body.decision.as_str() {
        "approve" => Review::Approved,
        "reject" => Review::Rejected,
        other => {
            return Err(invalid(format!(
                "decision must be approve or reject, not '{other}'"
            )));
        }
    };
    let note = reason(body.reason.as_deref())?;
    if review == Review::Rejected && note.is_none() {
        return Err(invalid(
            "a rejection needs a reason for the customer".to_owned(),
        ));
    }
    let change = OrderChange {
        status: review.status(),
        review: Some(review),
        note,
    };
    let order = apply_change(&app, member.tenant_id, order_id, &change, &member.actor).await?;
    Ok(Json(order))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        assert_eq!(
            spreadsheet_safe("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        for risky in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(spreadsheet_safe(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(spreadsheet_safe("12 Baker Street"), "12 Baker Street");
    }
}
