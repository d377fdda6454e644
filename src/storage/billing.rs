//! Usage as billed (daily rows of messages and overage cost) and traffic as
//! counted from the inbox and outbox.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;
use wabot_actors::StoreError;

use super::models::{Activity, TenantUsage, UsageDay};
use super::sql_store::SqlStore;
use crate::tiers::dollars;

/// Usage and traffic.
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// The tenant's usage rows from `from` (inclusive) to `to` (exclusive), oldest first.
    async fn usage_days(
        &self,
        tenant_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<UsageDay>, StoreError>;
    /// Every tenant's usage from `from` (inclusive) to `to` (exclusive),
    /// busiest first.
    async fn platform_usage(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TenantUsage>, StoreError>;
    /// The tenant's traffic from `from` (inclusive) to `to` (exclusive).
    async fn activity(
        &self,
        tenant_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Activity, StoreError>;
}

#[derive(sqlx::FromRow)]
struct UsageRow {
    day: NaiveDate,
    message_count: i64,
    cost_micros: i64,
}

#[derive(sqlx::FromRow)]
struct TenantUsageRow {
    id: Uuid,
    business_name: String,
    subscription_tier: String,
    messages: i64,
    cost_micros: i64,
}

#[derive(sqlx::FromRow)]
struct Counts {
    messages: i64,
    /// Distinct customers (inbound) or order notices (outbound).
    of_which: i64,
}

#[async_trait]
impl BillingStore for SqlStore {
    async fn usage_days(
        &self,
        tenant_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<UsageDay>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let rows = tx
            .sql(
                "SELECT day, message_count, cost_micros FROM usage_logs
                 WHERE tenant_id = $1 AND day >= $2 AND day < $3 ORDER BY day",
            )
            .bind(tenant_id)
            .bind(from)
            .bind(to)
            .fetch_all_as::<UsageRow>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|row| UsageDay {
                day: row.day,
                message_count: row.message_count,
                cost: dollars(row.cost_micros),
            })
            .collect())
    }

    async fn platform_usage(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TenantUsage>, StoreError> {
        let rows = self
            .db
            .sql(
                "SELECT t.id, t.business_name, t.subscription_tier,
                        CAST(COALESCE(SUM(u.message_count), 0) AS BIGINT) AS messages,
                        CAST(COALESCE(SUM(u.cost_micros), 0) AS BIGINT) AS cost_micros
                 FROM tenants t
                 LEFT JOIN usage_logs u ON u.tenant_id = t.id AND u.day >= $1 AND u.day < $2
                 GROUP BY t.id, t.business_name, t.subscription_tier
                 ORDER BY messages DESC, t.id",
            )
            .bind(from)
            .bind(to)
            .fetch_all_as::<TenantUsageRow>(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| TenantUsage {
                tenant_id: row.id,
                business_name: row.business_name,
                subscription_tier: row.subscription_tier,
                messages: row.messages,
                overage_cost: dollars(row.cost_micros),
            })
            .collect())
    }

    async fn activity(
        &self,
        tenant_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Activity, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let inbound = tx
            .sql(
                "SELECT COUNT(*) AS messages, COUNT(DISTINCT customer) AS of_which FROM inbox
                 WHERE tenant_id = $1 AND received_at >= $2 AND received_at < $3",
            )
            .bind(tenant_id)
            .bind(from)
            .bind(to)
            .fetch_one_as::<Counts>(&mut tx)
            .await?;
        let outbound = tx
            .sql(
                "SELECT COUNT(*) AS messages,
                        COUNT(CASE WHEN idempotency_key LIKE 'order-%' THEN 1 END) AS of_which
                 FROM outbox
                 WHERE tenant_id = $1 AND sent_at IS NOT NULL
                   AND created_at >= $2 AND created_at < $3",
            )
            .bind(tenant_id)
            .bind(from)
            .bind(to)
            .fetch_one_as::<Counts>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Activity {
            messages_in: inbound.messages,
            customers: inbound.of_which,
            messages_out: outbound.messages,
            notifications: outbound.of_which,
        })
    }
}
