//! The audit log of changes made through the API.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;
use wabot_actors::StoreError;

use super::models::{AuditEntry, AuditRecord};
use super::sql_store::SqlStore;

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one entry.
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The tenant's entries with ids below `before_id`, newest first.
    async fn list_audit(
        &self,
        tenant_id: Uuid,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    actor: String,
    action: String,
    target: String,
    before: Option<Json<serde_json::Value>>,
    after: Option<Json<serde_json::Value>>,
    created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditRecord {
    fn from(row: AuditRow) -> Self {
        AuditRecord {
            id: row.id,
            actor: row.actor,
            action: row.action,
            target: row.target,
            before: row.before.map(|json| json.0),
            after: row.after.map(|json| json.0),
            created_at: row.created_at,
        }
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.db.tenant_tx(entry.tenant_id).await?;
        tx.sql(
            "INSERT INTO audit_log (tenant_id, actor, action, target, before, after, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry.tenant_id)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(entry.before.as_ref().map(Json))
        .bind(entry.after.as_ref().map(Json))
        .bind(Utc::now())
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }

    async fn list_audit(
        &self,
        tenant_id: Uuid,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let rows = tx
            .sql(
                "SELECT id, actor, action, target, before, after, created_at FROM audit_log
                 WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(tenant_id)
            .bind(before_id.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all_as::<AuditRow>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(AuditRecord::from).collect())
    }
}
