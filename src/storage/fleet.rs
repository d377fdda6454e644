//! The WAHA instances and where tenants' sessions live on them: placement,
//! routing entries for webhooks, and each session's reported status.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wabot_actors::StoreError;

use super::models::{InstanceChange, NewWahaInstance, SessionRoute, WahaInstance};
use super::sql_store::SqlStore;
use crate::secret_box::{Purpose, SecretBox};

/// WAHA instances and session placement.
#[async_trait]
pub trait FleetStore: Send + Sync {
    /// Registers a WAHA instance.
    async fn create_waha_instance(&self, new: &NewWahaInstance)
    -> Result<WahaInstance, StoreError>;
    /// All registered WAHA instances.
    async fn list_waha_instances(&self) -> Result<Vec<WahaInstance>, StoreError>;
    /// One instance.
    async fn get_waha_instance(&self, instance_id: Uuid) -> Result<WahaInstance, StoreError>;
    /// Applies `change` to an instance.
    async fn change_waha_instance(
        &self,
        instance_id: Uuid,
        change: &InstanceChange,
    ) -> Result<WahaInstance, StoreError>;
    /// Sessions placed on each instance.
    async fn sessions_per_instance(&self) -> Result<HashMap<Uuid, i64>, StoreError>;
    /// The instance holding the tenant's session: the one it is on, or
    /// else the non-draining instance with the most free capacity.
    async fn place_session(&self, tenant_id: Uuid) -> Result<WahaInstance, StoreError>;
    /// The routing entry of a tenant whose session was placed.
    async fn session_route(&self, tenant_id: Uuid) -> Result<SessionRoute, StoreError>;
    /// Every placed session with its tenant, secret and instance, for
    /// webhook routing.
    async fn list_session_routes(&self) -> Result<Vec<SessionRoute>, StoreError>;
    /// Records the status WAHA reported for `session` at `reported_at_ms`
    /// (ms since the epoch), unless a later report is already stored (see
    /// [`session_status_order`]); true if it was recorded.
    async fn set_session_status(
        &self,
        session: &str,
        status: &str,
        reported_at_ms: i64,
    ) -> Result<bool, StoreError>;
}

/// A `waha_instances` row; its API key is sealed.
#[derive(sqlx::FromRow)]
struct InstanceRow {
    id: Uuid,
    name: String,
    base_url: String,
    api_key: String,
    capacity: i32,
    draining: bool,
    created_at: DateTime<Utc>,
}

impl InstanceRow {
    fn open(self, secrets: &SecretBox) -> Result<WahaInstance, StoreError> {
        Ok(WahaInstance {
            api_key: secrets.open(&self.api_key, Purpose::WahaApiKey)?,
            id: self.id,
            name: self.name,
            base_url: self.base_url,
            capacity: self.capacity,
            draining: self.draining,
            created_at: self.created_at,
        })
    }
}

/// A session's routing entry; its webhook secret is sealed.
#[derive(sqlx::FromRow)]
struct RouteRow {
    whatsapp_session_id: String,
    id: Uuid,
    webhook_secret: String,
    waha_instance_id: Uuid,
}

impl RouteRow {
    fn open(self, secrets: &SecretBox) -> Result<SessionRoute, StoreError> {
        Ok(SessionRoute {
            webhook_secret: secrets.open(&self.webhook_secret, Purpose::WebhookSecret)?,
            session: self.whatsapp_session_id,
            tenant_id: self.id,
            waha_instance_id: self.waha_instance_id,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PlacementRow {
    waha_instance_id: Uuid,
    sessions: i64,
}

/// The order of a session status report: WAHA's timestamp first, then,
/// within one millisecond, the lifecycle (`STARTING` < `SCAN_QR_CODE` <
/// `WORKING` < `FAILED`), since WAHA's events carry no sequence number.
pub fn session_status_order(reported_at_ms: i64, status: &str) -> i64 {
    let rank = match status {
        "STARTING" => 1,
        "SCAN_QR_CODE" | "PASSKEY_REQUIRED" | "PASSKEY_CONFIRMATION_REQUIRED" => 2,
        "WORKING" => 3,
        "FAILED" => 4,
        _ => 0,
    };
    reported_at_ms.saturating_mul(8) + rank
}

#[async_trait]
impl FleetStore for SqlStore {
    async fn create_waha_instance(
        &self,
        new: &NewWahaInstance,
    ) -> Result<WahaInstance, StoreError> {
        self.db
            .sql(
                "INSERT INTO waha_instances (id, name, base_url, api_key, capacity, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 RETURNING id, name, base_url, api_key, capacity, draining, created_at",
            )
            .about("WAHA instance")
            .bind(Uuid::now_v7())
            .bind(&new.name)
            .bind(&new.base_url)
            .bind(self.secrets.seal(&new.api_key, Purpose::WahaApiKey))
            .bind(new.capacity)
            .bind(Utc::now())
            .fetch_one_as::<InstanceRow>(&self.db)
            .await?
            .open(&self.secrets)
    }

    async fn list_waha_instances(&self) -> Result<Vec<WahaInstance>, StoreError> {
        self.db
            .sql(
                "SELECT id, name, base_url, api_key, capacity, draining, created_at
                 FROM waha_instances ORDER BY created_at",
            )
            .fetch_all_as::<InstanceRow>(&self.db)
            .await?
            .into_iter()
            .map(|row| row.open(&self.secrets))
            .collect()
    }

    async fn get_waha_instance(&self, instance_id: Uuid) -> Result<WahaInstance, StoreError> {
        self.db
            .sql(
                "SELECT id, name, base_url, api_key, capacity, draining, created_at
                 FROM waha_instances WHERE id = $1",
            )
            .about("WAHA instance")
            .bind(instance_id)
            .fetch_one_as::<InstanceRow>(&self.db)
            .await?
            .open(&self.secrets)
    }

    async fn change_waha_instance(
        &self,
        instance_id: Uuid,
        change: &InstanceChange,
    ) -> Result<WahaInstance, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let row = tx
            .sql(
                "UPDATE waha_instances SET capacity = COALESCE($2, capacity),
                        draining = COALESCE($3, draining)
                 WHERE id = $1
                 RETURNING id, name, base_url, api_key, capacity, draining, created_at",
            )
            .about("WAHA instance")
            .bind(instance_id)
            .bind(change.capacity)
            .bind(change.draining)
            .fetch_one_as::<InstanceRow>(&mut tx)
            .await?;
        tx.commit().await?;
        row.open(&self.secrets)
    }

    async fn sessions_per_instance(&self) -> Result<HashMap<Uuid, i64>, StoreError> {
        let rows = self
            .db
            .sql(
                "SELECT waha_instance_id, COUNT(*) AS sessions FROM tenants
                 WHERE waha_instance_id IS NOT NULL GROUP BY waha_instance_id",
            )
            .fetch_all_as::<PlacementRow>(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.waha_instance_id, row.sessions))
            .collect())
    }

    async fn place_session(&self, tenant_id: Uuid) -> Result<WahaInstance, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let placed: Option<Uuid> = tx
            .sql("SELECT waha_instance_id FROM tenants WHERE id = $1")
            .about("tenant")
            .bind(tenant_id)
            .fetch_scalar(&mut tx)
            .await?;
        let chosen = match placed {
            Some(instance_id) => instance_id,
            None => {
                let free: Option<Uuid> = tx
                    .sql(
                        "SELECT i.id FROM waha_instances i
                         WHERE NOT i.draining
                           AND i.capacity > (SELECT COUNT(*) FROM tenants t WHERE t.waha_instance_id = i.id)
                         ORDER BY i.capacity - (SELECT COUNT(*) FROM tenants t WHERE t.waha_instance_id = i.id) DESC, i.name
                         LIMIT 1",
                    )
                    .fetch_optional_scalar(&mut tx)
                    .await?;
                let Some(instance_id) = free else {
                    return Err(StoreError::Limit(
                        "no WAHA instance has free capacity; ask the platform operator".to_owned(),
                    ));
                };
                tx.sql("UPDATE tenants SET waha_instance_id = $2 WHERE id = $1")
                    .bind(tenant_id)
                    .bind(instance_id)
                    .execute(&mut tx)
                    .await?;
                instance_id
            }
        };
        let row = tx
            .sql(
                "SELECT id, name, base_url, api_key, capacity, draining, created_at
                 FROM waha_instances WHERE id = $1",
            )
            .about("WAHA instance")
            .bind(chosen)
            .fetch_one_as::<InstanceRow>(&mut tx)
            .await?;
        tx.commit().await?;
        row.open(&self.secrets)
    }

    async fn session_route(&self, tenant_id: Uuid) -> Result<SessionRoute, StoreError> {
        self.db
            .sql(
                "SELECT whatsapp_session_id, id, webhook_secret, waha_instance_id FROM tenants
                 WHERE id = $1 AND waha_instance_id IS NOT NULL",
            )
            .about("placed session")
            .bind(tenant_id)
            .fetch_one_as::<RouteRow>(&self.db)
            .await?
            .open(&self.secrets)
    }

    async fn list_session_routes(&self) -> Result<Vec<SessionRoute>, StoreError> {
        self.db
            .sql(
                "SELECT whatsapp_session_id, id, webhook_secret, waha_instance_id FROM tenants
                 WHERE waha_instance_id IS NOT NULL",
            )
            .fetch_all_as::<RouteRow>(&self.db)
            .await?
            .into_iter()
            .map(|row| row.open(&self.secrets))
            .collect()
    }

    async fn set_session_status(
        &self,
        session: &str,
        status: &str,
        reported_at_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let updated = tx
            .sql(
                "UPDATE tenants SET session_status = $2, session_status_order = $3
                 WHERE whatsapp_session_id = $1 AND session_status_order <= $3",
            )
            .bind(session)
            .bind(status)
            .bind(session_status_order(reported_at_ms, status))
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(updated > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reports_order_by_time_then_by_lifecycle() {
        let at = 1_795_000_000_000;
        assert!(session_status_order(at, "WORKING") < session_status_order(at + 1, "STARTING"));
        assert!(session_status_order(at, "SCAN_QR_CODE") < session_status_order(at, "WORKING"));
        assert!(session_status_order(at, "STARTING") < session_status_order(at, "SCAN_QR_CODE"));
    }
}
