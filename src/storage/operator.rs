//! The platform operator's work across tenants: listing and changing
//! tenants' plans, deleting tenants, backlog and pool health, resealing
//! secrets and erasing handled message texts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wabot_actors::StoreError;

use super::accounts::{TenantRow, tenant_in};
use super::models::{Backlog, PoolStats, Tenant, TenantFilter, TenantPlanChange};
use super::sql_store::SqlStore;
use crate::secret_box::Purpose;

/// The operator's management of tenants and of the database.
#[async_trait]
pub trait OperatorStore: Send + Sync {
    /// A page of tenants, by id.
    async fn list_tenants(&self, filter: &TenantFilter) -> Result<Vec<Tenant>, StoreError>;
    /// Applies `change`; returns the tenant before and after.
    async fn change_tenant_plan(
        &self,
        tenant_id: Uuid,
        change: &TenantPlanChange,
    ) -> Result<(Tenant, Tenant), StoreError>;
    /// Deletes the tenant and every row it owns; returns what it was.
    async fn delete_tenant(&self, tenant_id: Uuid) -> Result<Tenant, StoreError>;
    /// Unhandled inbox and unsent outbox rows of every tenant.
    async fn backlog(&self) -> Result<Backlog, StoreError>;
    /// Seals again, under the current key, every secret kept at rest that
    /// is in clear or sealed under an older key; returns how many.
    async fn reseal_secrets(&self) -> Result<u64, StoreError>;
    /// Erases the text and file link of customer messages handled before
    /// `before`, keeping each row as its message's dedupe key; returns how
    /// many were erased.
    async fn erase_handled_texts(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// This node's database connections.
    fn pool_stats(&self) -> PoolStats;
    /// Whether the database answers a query.
    async fn ping(&self) -> Result<(), StoreError>;
}

#[async_trait]
impl OperatorStore for SqlStore {
    async fn list_tenants(&self, filter: &TenantFilter) -> Result<Vec<Tenant>, StoreError> {
        self.db
            .sql(
                "SELECT id, business_name, phone_number, whatsapp_session_id, waha_instance_id,
                     session_status, plugin_type, status, subscription_tier, overage_allowed,
                     settings, created_at
                 FROM tenants
                 WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR subscription_tier = $2)
                   AND ($3 IS NULL OR id > $3)
                 ORDER BY id LIMIT $4",
            )
            .bind(filter.status.as_deref())
            .bind(filter.tier.as_deref())
            .bind(filter.after)
            .bind(filter.limit)
            .fetch_all_as::<TenantRow>(&self.db)
            .await?
            .into_iter()
            .map(TenantRow::into_tenant)
            .collect()
    }

    async fn change_tenant_plan(
        &self,
        tenant_id: Uuid,
        change: &TenantPlanChange,
    ) -> Result<(Tenant, Tenant), StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let before = tenant_in(&mut tx, tenant_id).await?;
        tx.sql(
            "UPDATE tenants SET status = COALESCE($2, status),
                    subscription_tier = COALESCE($3, subscription_tier),
                    overage_allowed = COALESCE($4, overage_allowed)
             WHERE id = $1",
        )
        .about("tenant")
        .bind(tenant_id)
        .bind(change.status.as_deref())
        .bind(change.tier.as_deref())
        .bind(change.overage_allowed)
        .execute(&mut tx)
        .await?;
        let after = tenant_in(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok((before, after))
    }

    async fn delete_tenant(&self, tenant_id: Uuid) -> Result<Tenant, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let deleted = tx
            .sql(
                "DELETE FROM tenants WHERE id = $1
                 RETURNING id, business_name, phone_number, whatsapp_session_id,
                     waha_instance_id, session_status, plugin_type, status, subscription_tier,
                     overage_allowed, settings, created_at",
            )
            .about("tenant")
            .bind(tenant_id)
            .fetch_one_as::<TenantRow>(&mut tx)
            .await?;
        tx.commit().await?;
        deleted.into_tenant()
    }

    async fn backlog(&self) -> Result<Backlog, StoreError> {
        // Every read uses the partial indexes of unhandled rows.
        let inbox_depth: i64 = self
            .db
            .sql("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")
            .fetch_scalar(&self.db)
            .await?;
        let inbox_oldest: Option<DateTime<Utc>> = self
            .db
            .sql("SELECT received_at FROM inbox WHERE processed_at IS NULL ORDER BY id LIMIT 1")
            .fetch_optional_scalar(&self.db)
            .await?;
        let outbox_depth: i64 = self
            .db
            .sql("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
            .fetch_scalar(&self.db)
            .await?;
        let outbox_oldest: Option<DateTime<Utc>> = self
            .db
            .sql(
                "SELECT created_at FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL
                 ORDER BY id LIMIT 1",
            )
            .fetch_optional_scalar(&self.db)
            .await?;
        Ok(Backlog {
            inbox_depth,
            inbox_oldest,
            outbox_depth,
            outbox_oldest,
        })
    }

    async fn reseal_secrets(&self) -> Result<u64, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let mut resealed = 0;
        for (table, column, purpose) in [
            ("tenants", "webhook_secret", Purpose::WebhookSecret),
            ("waha_instances", "api_key", Purpose::WahaApiKey),
        ] {
            // Table and column names come from the list above, never from input.
            let select = format!("SELECT id, {column} FROM {table}");
            let rows = tx
                .sql(sqlx::AssertSqlSafe(select))
                .fetch_all(&mut tx)
                .await?;
            let update = format!("UPDATE {table} SET {column} = $2 WHERE id = $1");
            for row in rows {
                let stored: String = row.get(column)?;
                if !self.secrets.needs_sealing(&stored) {
                    continue;
                }
                let clear = self.secrets.open(&stored, purpose)?;
                tx.sql(sqlx::AssertSqlSafe(update.as_str()))
                    .bind(row.get::<Uuid>("id")?)
                    .bind(self.secrets.seal(&clear, purpose))
                    .execute(&mut tx)
                    .await?;
                resealed += 1;
            }
        }
        tx.commit().await?;
        Ok(resealed)
    }

    async fn erase_handled_texts(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        // The partial index inbox_text_kept holds exactly the rows that
        // still have something to erase.
        self.db
            .sql(
                "UPDATE inbox SET body = '', media = NULL
                 WHERE processed_at IS NOT NULL AND processed_at < $1
                   AND (body <> '' OR media IS NOT NULL)",
            )
            .bind(before)
            .execute(&self.db)
            .await
    }

    fn pool_stats(&self) -> PoolStats {
        self.db.pool_stats()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db.sql("SELECT 1").execute(&self.db).await.map(drop)
    }
}
