//! SQLite backend: the embedded default, so wabot runs with nothing
//! installed. WAL mode, a busy timeout for concurrent writers, foreign keys
//! on. SQLite has no row-level security: every query filters on tenant_id.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use chrono::Utc;
use rust_decimal::Decimal;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row, Sqlite};
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

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

portable_stores!(SqliteStore, SqliteRow);
runtime_ports!(SqliteStore);
billing_and_operator_stores!(SqliteStore);

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    secrets: Arc<SecretBox>,
}

/// Money is stored as exact decimal text with two places.
fn money_text(amount: Decimal) -> String {
    format!("{:.2}", amount.round_dp(2))
}

fn money_from(row: &SqliteRow, column: &str) -> Result<Decimal, StoreError> {
    let text: String = row.try_get(column).map_err(backend)?;
    Decimal::from_str(&text).map_err(backend)
}

impl SqliteStore {
    /// A write transaction; SQLite has no tenant scoping.
    async fn platform_tx(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.write_transaction().await
    }

    /// A write transaction; every query in it filters on `tenant_id` itself.
    async fn tenant_tx(
        &self,
        _tenant_id: Uuid,
    ) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.write_transaction().await
    }

    /// A read: a deferred transaction, so readers never queue for the write lock.
    async fn read_tx(
        &self,
        _tenant_id: Uuid,
    ) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin().await.map_err(backend)
    }

    /// Money binds as decimal text.
    fn money_param(amount: Decimal) -> String {
        money_text(amount)
    }

    /// Money decodes from decimal text.
    fn money_of(row: &SqliteRow, column: &str) -> Result<Decimal, StoreError> {
        money_from(row, column)
    }

    /// A transaction that takes SQLite's write lock up front (waiting up to
    /// the busy timeout). A deferred one that reads first fails at once with
    /// SQLITE_BUSY when it tries to write after another writer committed.
    async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)
    }

    /// Opens (creating the file and its folder if needed) and migrates.
    pub async fn open(url: &str, secrets: Arc<SecretBox>) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        if let Some(folder) = options
            .get_filename()
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder)
                .map_err(|e| backend(format!("cannot create {}: {e}", folder.display())))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| backend(format!("cannot open SQLite database {url}: {e}")))?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(Self { pool, secrets })
    }
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn create_tenant(&self, new: &NewTenant) -> Result<Tenant, StoreError> {
        let row = sqlx::query(concat!("INSERT INTO tenants (id, business_name, phone_number, whatsapp_session_id, waha_instance_id,
                                  webhook_secret, plugin_type, settings, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING ", tenant_columns!()))
        .bind(Uuid::now_v7())
        .bind(&new.business_name)
        .bind(&new.phone_number)
        .bind(&new.session_name)
        .bind(new.waha_instance_id)
        .bind(self.secrets.seal(&new.webhook_secret, Purpose::WebhookSecret))
        .bind(new.plugin.as_str())
        .bind(Json(&new.settings))
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| store_error(e, "tenant"))?;
        tenant_from(&row)
    }

    async fn get_tenant(&self, tenant_id: Uuid) -> Result<Tenant, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            tenant_columns!(),
            " FROM tenants WHERE id = ?1"
        ))
        .bind(tenant_id)
        .fetch_one(&self.pool)
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
        let rows = sqlx::query(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE tenant_id = ?1 ORDER BY created_at DESC, order_number DESC"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| order_from(row, money_from(row, "total")?))
            .collect()
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn mark_sent(&self, tenant_id: Uuid, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sent_at = ?3 WHERE id = ?1 AND tenant_id = ?2")
            .bind(id)
            .bind(tenant_id)
            .bind(Utc::now())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn mark_failed(&self, tenant_id: Uuid, id: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET failed_at = ?4, last_error = ?3 WHERE id = ?1 AND tenant_id = ?2",
        )
        .bind(id)
        .bind(tenant_id)
        .bind(error)
        .bind(Utc::now())
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
impl InboxStore for SqliteStore {
    async fn append(&self, events: &[NewInboxEvent]) -> Result<Vec<Appended>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO inbox (tenant_id, session, message_id, customer, body, bucket, received_at, media) ",
        );
        insert.push_values(events, |mut row, event| {
            row.push_bind(event.tenant_id)
                .push_bind(event.session.clone())
                .push_bind(event.message_id.clone())
                .push_bind(event.customer.clone())
                .push_bind(event.text.clone())
                .push_bind(bucket_of(event.tenant_id, &event.customer))
                .push_bind(Utc::now())
                .push_bind(media_json(event));
        });
        insert.push(
            " ON CONFLICT (session, message_id) DO NOTHING RETURNING id, session, message_id",
        );
        let rows = insert
            .build()
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
