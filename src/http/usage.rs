//! Usage this calendar month against the tier's quota, day by day, with an
//! invoice preview. A billable message is each inbound customer message the
//! bot handles plus each proactive order-status notice; the bot's replies to
//! a customer's message are not counted again. The tenant actors record them
//! in `usage_logs` with the step that handled them. The operator sees every
//! tenant's usage of a month.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{Member, Operator, QueryParams, invalid};
use crate::storage::models::{TenantUsage, UsageDay};
use crate::tiers::{Tier, billing_month};

/// The usage routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(usage))
        .routes(routes!(platform_usage))
}

/// What the month's bill would be now.
#[derive(Serialize, ToSchema)]
pub struct InvoicePreview {
    tier_price: Decimal,
    overage_messages: u64,
    overage_cost: Decimal,
    total: Decimal,
}

/// Usage of the current month.
#[derive(Serialize, ToSchema)]
pub struct Usage {
    tier: Tier,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    /// Billable messages so far.
    messages: u64,
    /// Included in the tier (absent: unlimited).
    quota: Option<u64>,
    /// Left before the quota (absent: unlimited).
    remaining: Option<u64>,
    /// The operator allows messages beyond the quota, billed as overage.
    overage_allowed: bool,
    invoice_preview: InvoicePreview,
    /// One row per day with billable messages, oldest first.
    days: Vec<UsageDay>,
}

/// This month's billable messages, quota and invoice preview.
#[utoipa::path(get, path = "/v1/usage", tag = "usage", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Usage),
        (status = 401, description = "missing, unknown or expired credential", body = ErrorBody)))]
async fn usage(member: Member, State(app): State<AppState>) -> Result<Json<Usage>, ApiError> {
    let tenant = app.store.get_tenant(member.tenant_id).await?;
    let tier = Tier::parse(&tenant.subscription_tier)
        .ok_or_else(|| ApiError::Internal(format!("unknown tier {}", tenant.subscription_tier)))?;
    let (period_start, period_end) = billing_month(Utc::now());
    let days = app
        .store
        .usage_days(
            member.tenant_id,
            period_start.date_naive(),
            period_end.date_naive(),
        )
        .await?;
    let messages = days.iter().map(|d| d.message_count.max(0) as u64).sum();
    let overage_cost: Decimal = days.iter().map(|d| d.cost).sum();
    let overage_messages = if tier.overage_price().is_zero() {
        0
    } else {
        (overage_cost / tier.overage_price())
            .trunc()
            .try_into()
            .unwrap_or(0)
    };
    let quota = tier.monthly_messages();
    Ok(Json(Usage {
        tier,
        period_start,
        period_end,
        messages,
        quota,
        remaining: quota.map(|q| q.saturating_sub(messages)),
        overage_allowed: tier.quota(tenant.overage_allowed).overage_allowed,
        days,
        invoice_preview: InvoicePreview {
            tier_price: tier.monthly_price(),
            overage_messages,
            overage_cost,
            total: tier.monthly_price() + overage_cost,
        },
    }))
}

/// Which month the operator asks about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM` (default: this month).
    month: Option<String>,
}

/// Every tenant's usage of one month.
#[derive(Serialize, ToSchema)]
pub struct PlatformUsage {
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    /// Billable messages of all tenants.
    total_messages: i64,
    /// Overage charged to all tenants, in dollars.
    total_overage: Decimal,
    /// Each tenant, busiest first.
    tenants: Vec<TenantUsage>,
}

/// Every tenant's billable messages and overage in a month (operator).
#[utoipa::path(get, path = "/v1/operator/usage", tag = "operator",
    security(("operator" = [])), params(MonthQuery),
    responses((status = 200, description = "OK", body = PlatformUsage),
        (status = 422, description = "month is not YYYY-MM", body = ErrorBody)))]
async fn platform_usage(
    _: Operator,
    State(app): State<AppState>,
    QueryParams(query): QueryParams<MonthQuery>,
) -> Result<Json<PlatformUsage>, ApiError> {
    let within = match &query.month {
        Some(month) => chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
            .map_err(|_| invalid(format!("month must be YYYY-MM, not {month:?}")))?
            .and_time(chrono::NaiveTime::MIN)
            .and_utc(),
        None => Utc::now(),
    };
    let (period_start, period_end) = billing_month(within);
    let tenants = app
        .store
        .platform_usage(period_start.date_naive(), period_end.date_naive())
        .await?;
    Ok(Json(PlatformUsage {
        period_start,
        period_end,
        total_messages: tenants.iter().map(|t| t.messages).sum(),
        total_overage: tenants.iter().map(|t| t.overage_cost).sum(),
        tenants,
    }))
}
