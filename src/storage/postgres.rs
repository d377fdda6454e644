//! PostgreSQL backend. Tenant work runs in [`PgStore::tenant_transaction`]:
//! the role switches to the non-owner `wabot_app` and `app.tenant_id` is set
//! for that transaction only, so row-level security confines every statement
//! to one tenant (the `WHERE tenant_id` in each query is a second guard).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use chrono::Utc;
use rust_decimal::Decimal;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};
use uuid::Uuid;
use wabot_actors::{
    Appended, ConversationStore, InboxEvent, InboxStore, NewInboxEvent, OrderStore, PlacedOrder,
    StoreError, TenantDirectory, TenantProfile,
};
use wabot_actors::{EventStore, NewTenantEvent, OutboxMessage, OutboxStore, Step};
use wabot_plugins::{
    BotSettings, ConversationState, Flow, Menu, MenuItem, OrderDraft, OrderStatus, TenantContext,
};

use super::billing_and_operator::billing_and_operator_stores;
use super::models::{
    Activity, ApiKey, AuditEntry, AuditRecord, NewApiKey, NewSignup, OrderFilter, Principal, Role,
    User, UserCredentials,
};
use super::models::{Backlog, MediaRecord, OrderChange, PoolStats, Review};
use super::models::{
    InstanceChange, TenantEvent, TenantFilter, TenantPlanChange, TenantUsage, UsageDay,
};
use super::models::{NewTenant, NewWahaInstance, Order, SessionRoute, Tenant, WahaInstance};
use super::portable::portable_stores;
use super::rows::{
    inbox_event_from, instance_from, order_from, outbox_message_from, route_from, stored_keys,
    tenant_from,
};
use super::runtime_ports::runtime_ports;
use super::{
    AccountStore, AdminStore, AuditStore, BillingStore, CatalogStore, FleetStore, OperatorStore,
    append_outcomes, backend, bucket_of, checked_change, instance_columns, media_json,
    menu_item_columns, order_columns, session_status_order, store_error, tenant_columns,
};
use chrono::DateTime;

use crate::secret_box::{Purpose, SecretBox};
use crate::tiers::{Tier, billing_month, dollars};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

portable_stores!(PgStore, PgRow);
runtime_ports!(PgStore);
billing_and_operator_stores!(PgStore);

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    secrets: Arc<SecretBox>,
}

impl PgStore {
    /// Connects and applies pending migrations.
    pub async fn open(url: &str, secrets: Arc<SecretBox>) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(5))
            // Row-level security is forced (migration 0010): this pool's
            // platform work opts in to every tenant's rows; tenant
            // transactions switch to wabot_app, which the opt-in never
            // reaches.
            .after_connect(|connection, _| {
                Box::pin(async move {
                    sqlx::query("SET app.platform = 'on'")
                        .execute(connection)
                        .await
                        .map(|_| ())
                })
            })
            .connect(url)
            .await
            .map_err(|e| backend(format!("cannot connect to PostgreSQL: {e}")))?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(Self { pool, secrets })
    }

    /// A transaction confined to `tenant_id` by row-level security.
    pub async fn tenant_transaction(
        &self,
        tenant_id: Uuid,
    ) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "SELECT set_config('role', 'wabot_app', true), set_config('app.tenant_id', $1, true)",
        )
        .bind(tenant_id.to_string())
        .execute(&mut *tx)
        .await?;
        Ok(tx)
    }

    /// A write transaction outside any tenant (platform work).
    async fn platform_tx(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(backend)
    }

    /// [`Self::tenant_transaction`], with storage errors.
    async fn tenant_tx(
        &self,
        tenant_id: Uuid,
    ) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.tenant_transaction(tenant_id).await.map_err(backend)
    }

    /// A read in one tenant, under row-level security.
    async fn read_tx(&self, tenant_id: Uuid) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.tenant_tx(tenant_id).await
    }

    /// Money binds as NUMERIC.
    fn money_param(amount: Decimal) -> Decimal {
        amount
    }

    /// Money decodes from NUMERIC.
    fn money_of(row: &PgRow, column: &str) -> Result<Decimal, StoreError> {
        row.try_get(column).map_err(backend)
    }
}

#[async_trait]
impl AdminStore for PgStore {
    async fn create_tenant(&self, new: &NewTenant) -> Result<Tenant, StoreError> {
        let row = sqlx::query(concat!("INSERT INTO tenants (id, business_name, phone_number, whatsapp_session_id, waha_instance_id,
                                  webhook_secret, plugin_type, settings)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ", tenant_columns!()))
        .bind(Uuid::now_v7())
        .bind(&new.business_name)
        .bind(&new.phone_number)
        .bind(&new.session_name)
        .bind(new.waha_instance_id)
        .bind(self.secrets.seal(&new.webhook_secret, Purpose::WebhookSecret))
        .bind(new.plugin.as_str())
        .bind(Json(&new.settings))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| store_error(e, "tenant"))?;
        tenant_from(&row)
    }

    async fn get_tenant(&self, tenant_id: Uuid) -> Result<Tenant, StoreError> {
        let mut tx = self.tenant_transaction(tenant_id).await.map_err(backend)?;
        let row = sqlx::query(concat!(
            "SELECT ",
            tenant_columns!(),
            " FROM tenants WHERE id = $1"
        ))
        .bind(tenant_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| store_error(e, "tenant"))?;
        tenant_from(&row)
    }

    async fn list_session_routes(&self) -> Result<Vec<SessionRoute>, StoreError> {
        let rows = sqlx::query(
            "SELECT whatsapp_session_id, id, webhook_secret, waha_instance_id FROM tenants WHERE waha_instance_id IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| route_from(&self.secrets, row))
            .collect()
    }

    async fn list_orders(&self, tenant_id: Uuid) -> Result<Vec<Order>, StoreError> {
        let mut tx = self.tenant_transaction(tenant_id).await.map_err(backend)?;
        let rows = sqlx::query(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE tenant_id = $1 ORDER BY created_at DESC, order_number DESC"
        ))
        .bind(tenant_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| order_from(row, row.try_get("total").map_err(backend)?))
            .collect()
    }
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn mark_sent(&self, tenant_id: Uuid, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sent_at = now() WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn mark_failed(&self, tenant_id: Uuid, id: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET failed_at = now(), last_error = $3 WHERE id = $1 AND tenant_id = $2",
        )
        .bind(id)
        .bind(tenant_id)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn unsent(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, session, chat_id, content, wa_message_id FROM outbox
             WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(outbox_message_from).collect()
    }
}

#[async_trait]
impl InboxStore for PgStore {
    async fn append(&self, events: &[NewInboxEvent]) -> Result<Vec<Appended>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // One array per column (UNNEST) rather than six binds per row: the
        // statement stays small and PostgreSQL plans it once per batch size.
        let rows = sqlx::query(
            "INSERT INTO inbox (tenant_id, session, message_id, customer, body, bucket, media)
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::text[])
             ON CONFLICT (session, message_id) DO NOTHING
             RETURNING id, session, message_id",
        )
        .bind(events.iter().map(|e| e.tenant_id).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.session.clone()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.message_id.clone()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.customer.clone()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.text.clone()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| bucket_of(e.tenant_id, &e.customer)).collect::<Vec<_>>())
        .bind(events.iter().map(media_json).collect::<Vec<_>>())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(e, "inbox event"))?;
        Ok(append_outcomes(events, stored_keys(&rows)?))
    }

    async fn unprocessed(&self) -> Result<Vec<InboxEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, session, message_id, customer, body, media FROM inbox
             WHERE processed_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(inbox_event_from).collect()
    }
}
