//! Usage this calendar month against the tier's quota, with an invoice
//! preview. A billable message is each inbound customer message the bot
//! handles plus each proactive order-status notice; the bot's replies to a
//! customer's message are not counted again.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::Member;
use crate::tiers::Tier;

/// The usage routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(usage))
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
    invoice_preview: InvoicePreview,
}

/// The first instant of the month of `now`, and of the next month.
fn month_of(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let (year, month) = if now.month() == 12 {
        (now.year() + 1, 1)
    } else {
        (now.year(), now.month() + 1)
    };
    let end = Utc
        .with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    (start, end)
}

/// This month's billable messages, quota and invoice preview.
#[utoipa::path(get, path = "/v1/usage", tag = "usage", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Usage),
        (status = 401, description = "missing, unknown or expired credential", body = ErrorBody)))]
async fn usage(member: Member, State(app): State<AppState>) -> Result<Json<Usage>, ApiError> {
    let tenant = app.store.get_tenant(member.tenant_id).await?;
    let tier = Tier::parse(&tenant.subscription_tier)
        .ok_or_else(|| ApiError::Internal(format!("unknown tier {}", tenant.subscription_tier)))?;
    let (period_start, period_end) = month_of(Utc::now());
    let activity = app
        .store
        .activity(member.tenant_id, period_start, period_end)
        .await?;
    let messages = (activity.messages_in + activity.notifications).max(0) as u64;
    let quota = tier.monthly_messages();
    let overage_messages = quota.map_or(0, |q| messages.saturating_sub(q));
    let overage_cost = tier.overage_price() * Decimal::from(overage_messages);
    Ok(Json(Usage {
        tier,
        period_start,
        period_end,
        messages,
        quota,
        remaining: quota.map(|q| q.saturating_sub(messages)),
        invoice_preview: InvoicePreview {
            tier_price: tier.monthly_price(),
            overage_messages,
            overage_cost,
            total: tier.monthly_price() + overage_cost,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_from_its_first_instant_to_the_next_months() {
        let now = Utc.with_ymd_and_hms(2026, 12, 24, 13, 5, 0).unwrap();
        let (start, end) = month_of(now);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }
}
