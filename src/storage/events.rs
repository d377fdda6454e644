//! Tenants' event feeds: what the actors record (an order placed, a
//! prescription to review, …) and the business reads.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;
use wabot_actors::{EventStore, NewTenantEvent, StoreError};

use super::models::TenantEvent;
use super::sql_store::SqlStore;

/// Reading a tenant's event feed.
#[async_trait]
pub trait EventFeed: Send + Sync {
    /// The tenant's events before `before_id`, newest first.
    async fn list_events(
        &self,
        tenant_id: Uuid,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TenantEvent>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    kind: String,
    data: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

#[async_trait]
impl EventFeed for SqlStore {
    async fn list_events(
        &self,
        tenant_id: Uuid,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TenantEvent>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let rows = tx
            .sql(
                "SELECT id, kind, data, created_at FROM tenant_events
                 WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(tenant_id)
            .bind(before_id.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all_as::<EventRow>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|row| TenantEvent {
                id: row.id,
                kind: row.kind,
                data: row.data.0,
                created_at: row.created_at,
            })
            .collect())
    }
}

#[async_trait]
impl EventStore for SqlStore {
    async fn record_event(&self, event: &NewTenantEvent) -> Result<(), StoreError> {
        let mut tx = self.db.tenant_tx(event.tenant_id).await?;
        tx.sql(
            "INSERT INTO tenant_events (tenant_id, kind, dedupe_key, data, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, dedupe_key) DO NOTHING",
        )
        .bind(event.tenant_id)
        .bind(event.kind)
        .bind(&event.dedupe_key)
        .bind(Json(&event.data))
        .bind(Utc::now())
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }
}
