//! Analytics over a period: orders, revenue, average order value, top
//! items, orders per day, messages in and out, and how many of the
//! customers who wrote went on to order. Cancelled orders count as orders
//! but not as revenue.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wabot_plugins::OrderStatus;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{Member, QueryParams};
use crate::storage::models::{Activity, OrderFilter};

/// Most orders one report reads.
const MAX_ORDERS: i64 = 100_000;

/// The analytics routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(analytics))
}

/// The period (default: the last 30 days).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// Start, inclusive (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// End, exclusive (RFC 3339; default now).
    to: Option<DateTime<Utc>>,
}

/// One item's sales.
#[derive(Serialize, ToSchema)]
pub struct ItemSales {
    item_id: String,
    name: String,
    quantity: u64,
    revenue: Decimal,
}

/// One day's orders.
#[derive(Serialize, ToSchema)]
pub struct DaySales {
    date: NaiveDate,
    orders: u64,
    revenue: Decimal,
}

/// The report.
#[derive(Serialize, ToSchema)]
pub struct Report {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    orders: u64,
    cancelled: u64,
    revenue: Decimal,
    average_order_value: Decimal,
    /// Up to 10, by quantity.
    top_items: Vec<ItemSales>,
    per_day: Vec<DaySales>,
    activity: Activity,
    /// Distinct customers who placed an order in the period.
    ordering_customers: u64,
}

/// Sales and traffic over a period.
#[utoipa::path(get, path = "/v1/analytics", tag = "analytics", security(("bearer" = [])),
    params(Period),
    responses((status = 200, description = "OK", body = Report),
        (status = 400, description = "malformed request", body = ErrorBody)))]
async fn analytics(
    member: Member,
    State(app): State<AppState>,
    QueryParams(period): QueryParams<Period>,
) -> Result<Json<Report>, ApiError> {
    let to = period.to.unwrap_or_else(Utc::now);
    let from = period.from.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(ApiError::BadRequest("from must be before to".to_owned()));
    }
    let filter = OrderFilter {
        from: Some(from),
        to: Some(to),
        limit: MAX_ORDERS,
        ..OrderFilter::default()
    };
    let orders = app.store.find_orders(member.tenant_id, &filter).await?;
    let activity = app.store.activity(member.tenant_id, from, to).await?;

    let mut revenue = Decimal::ZERO;
    let mut cancelled = 0;
    let mut items: BTreeMap<String, ItemSales> = BTreeMap::new();
    let mut days: BTreeMap<NaiveDate, DaySales> = BTreeMap::new();
    let mut customers = std::collections::HashSet::new();
    for order in &orders {
        customers.insert(order.customer_phone.as_str());
        let day = order.created_at.date_naive();
        let entry = days.entry(day).or_insert(DaySales {
            date: day,
            orders: 0,
            revenue: Decimal::ZERO,
        });
        entry.orders += 1;
        if order.status == OrderStatus::Cancelled {
            cancelled += 1;
            continue;
        }
        revenue += order.total;
        entry.revenue += order.total;
        for line in &order.items {
            let sales = items.entry(line.item_id.clone()).or_insert(ItemSales {
                item_id: line.item_id.clone(),
                name: line.name.clone(),
                quantity: 0,
                revenue: Decimal::ZERO,
            });
            sales.quantity += u64::from(line.quantity);
            sales.revenue += line.line_total();
        }
    }
    let paid = orders.len() as u64 - cancelled;
    let mut top_items: Vec<ItemSales> = items.into_values().collect();
    top_items.sort_by(|a, b| b.quantity.cmp(&a.quantity).then(a.item_id.cmp(&b.item_id)));
    top_items.truncate(10);
    Ok(Json(Report {
        from,
        to,
        orders: orders.len() as u64,
        cancelled,
        average_order_value: if paid == 0 {
            Decimal::ZERO
        } else {
            (revenue / Decimal::from(paid)).round_dp(2)
        },
        revenue,
        top_items,
        per_day: days.into_values().collect(),
        activity,
        ordering_customers: customers.len() as u64,
    }))
}
