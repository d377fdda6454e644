//! Storage: one [`Store`] interface, two backends. [`sqlite`] is the
//! embedded default; [`postgres`] is the production store with row-level
//! security. Both implement the actor ports and the admin operations the
//! HTTP layer needs, and run the migrations under `migrations/`.

mod billing_and_operator;
pub mod models;
mod portable;
pub mod postgres;
mod rows;
mod runtime_ports;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use std::collections::HashMap;
use uuid::Uuid;

use wabot_actors::{
    Appended, ConversationStore, EventStore, InboxStore, NewInboxEvent, OrderStore, OutboxStore,
    StoreError, TenantDirectory,
};
use wabot_plugins::{BotSettings, Flow, MenuItem, OrderStatus};

use chrono::{DateTime, NaiveDate, Utc};

use crate::secret_box::SecretBox;
use models::{
    Activity, ApiKey, AuditEntry, AuditRecord, Backlog, InstanceChange, MediaRecord, NewApiKey,
    NewSignup, NewTenant, NewWahaInstance, Order, OrderChange, OrderFilter, PoolStats, Principal,
    Review, Role, SessionRoute, Tenant, TenantEvent, TenantFilter, TenantPlanChange, TenantUsage,
    UsageDay, User, UserCredentials, WahaInstance,
};

/// Columns of `orders` the API reads (a literal, so queries stay static SQL).
macro_rules! order_columns {
    () => {
        "id, order_number, customer_phone, items, total, delivery_address, status, created_at, updated_at, prescription_media_id, prescription_review, review_note"
    };
}
pub(crate) use order_columns;

/// Columns of `tenants` the API reads (a literal, so queries stay static SQL).
macro_rules! tenant_columns {
    () => {
        "id, business_name, phone_number, whatsapp_session_id, waha_instance_id, session_status, plugin_type, status, subscription_tier, overage_allowed, settings, created_at"
    };
}
pub(crate) use tenant_columns;

/// Columns of `menu_items` the bots and the API read.
macro_rules! menu_item_columns {
    () => {
        "item_id, name, description, price, category, available, image_url, variant, stock, prescription_required"
    };
}
pub(crate) use menu_item_columns;

/// Columns of `waha_instances` the API reads.
macro_rules! instance_columns {
    () => {
        "id, name, base_url, api_key, capacity, draining, created_at"
    };
}
pub(crate) use instance_columns;

/// Operator and admin operations, beside the actor ports.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Creates a tenant on an existing instance.
    async fn create_tenant(&self, new: &NewTenant) -> Result<Tenant, StoreError>;
    /// One tenant.
    async fn get_tenant(&self, tenant_id: Uuid) -> Result<Tenant, StoreError>;
    /// Every session with its tenant, secret and instance, for webhook routing.
    async fn list_session_routes(&self) -> Result<Vec<SessionRoute>, StoreError>;
    /// The tenant's orders, newest first.
    async fn list_orders(&self, tenant_id: Uuid) -> Result<Vec<Order>, StoreError>;
}

/// Accounts and credentials. Lookups by credential run outside any tenant
/// (the tenant is what they find out).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the tenant, its owner, the owner's first API key and the
    /// signup's audit entry in one transaction.
    async fn sign_up(&self, new: &NewSignup) -> Result<(Tenant, User), StoreError>;
    /// The user with this (lower-cased) email and its password hash.
    async fn credentials(&self, email: &str) -> Result<Option<UserCredentials>, StoreError>;
    /// Stores a login token's digest for `user` until `expires_at`.
    async fn create_login_token(
        &self,
        user: &User,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Ends a login; false if there was none.
    async fn delete_login_token(&self, token_hash: &str) -> Result<bool, StoreError>;
    /// Who holds the API key or unexpired login token with this digest.
    async fn authenticate(&self, token_hash: &str) -> Result<Option<Principal>, StoreError>;
    /// Stores a new API key of `tenant_id`.
    async fn create_api_key(&self, tenant_id: Uuid, key: &NewApiKey) -> Result<ApiKey, StoreError>;
    /// The tenant's API keys, revoked ones included, oldest first.
    async fn list_api_keys(&self, tenant_id: Uuid) -> Result<Vec<ApiKey>, StoreError>;
    /// Adds a user to the tenant (409 if the email is taken).
    async fn create_user(
        &self,
        tenant_id: Uuid,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError>;
    /// The tenant's users, oldest first.
    async fn list_users(&self, tenant_id: Uuid) -> Result<Vec<User>, StoreError>;
    /// Removes a user and their logins (409 for the last owner; 404 for
    /// another tenant's user).
    async fn delete_user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<User, StoreError>;
    /// Revokes one of the tenant's keys (idempotent; 404 for another tenant's).
    async fn revoke_api_key(&self, tenant_id: Uuid, key_id: Uuid) -> Result<ApiKey, StoreError>;
}

/// The audit log of changes made through the API.
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

/// The tenant's catalog, orders and traffic as the admin API edits and
/// queries them.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// One menu item by the tenant's code.
    async fn get_menu_item(&self, tenant_id: Uuid, item_id: &str) -> Result<MenuItem, StoreError>;
    /// Inserts or replaces items by `item_id`, all or none; refuses with
    /// [`StoreError::Limit`] if the menu would exceed `max_items`.
    async fn save_menu_items(
        &self,
        tenant_id: Uuid,
        items: &[MenuItem],
        max_items: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Replaces the tenant's whole menu, in the given order.
    async fn replace_menu(&self, tenant_id: Uuid, items: &[MenuItem]) -> Result<(), StoreError>;
    /// The tenant's menu, in display order.
    async fn list_menu(&self, tenant_id: Uuid) -> Result<Vec<MenuItem>, StoreError>;
    /// Removes one item.
    async fn delete_menu_item(&self, tenant_id: Uuid, item_id: &str) -> Result<(), StoreError>;
    /// The tenant's flow, if it uploaded one.
    async fn get_flow(&self, tenant_id: Uuid) -> Result<Option<Flow>, StoreError>;
    /// Stores the tenant's flow and makes the flow bot its bot.
    async fn save_flow(&self, tenant_id: Uuid, flow: &Flow) -> Result<(), StoreError>;
    /// Replaces the tenant's bot settings; returns the previous ones.
    async fn replace_settings(
        &self,
        tenant_id: Uuid,
        settings: &BotSettings,
    ) -> Result<BotSettings, StoreError>;
    /// One order.
    async fn get_order(&self, tenant_id: Uuid, order_id: Uuid) -> Result<Order, StoreError>;
    /// Applies `change` to an order (its state machine and prescription
    /// review); refuses a change its current state does not allow. A
    /// cancelled order gives its counted stock back, in the same transaction.
    async fn change_order(
        &self,
        tenant_id: Uuid,
        order_id: Uuid,
        change: &OrderChange,
    ) -> Result<Order, StoreError>;
    /// Indexes a customer's file kept under `storage_key`; returns the id
    /// stored for its message (the first one, when it was indexed before).
    async fn record_media(&self, media: &MediaRecord) -> Result<Uuid, StoreError>;
    /// One of the tenant's files.
    async fn get_media(&self, tenant_id: Uuid, media_id: Uuid) -> Result<MediaRecord, StoreError>;
    /// Where the tenant's files are kept (to delete them with the tenant).
    async fn media_keys(&self, tenant_id: Uuid) -> Result<Vec<String>, StoreError>;
    /// Orders matching `filter`, newest (highest number) first.
    async fn find_orders(
        &self,
        tenant_id: Uuid,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, StoreError>;
    /// The tenant's traffic from `from` (inclusive) to `to` (exclusive).
    async fn activity(
        &self,
        tenant_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Activity, StoreError>;
}

/// The WAHA instances and where tenants' sessions live on them.
#[async_trait]
pub trait FleetStore: Send + Sync {
    /// Registers a WAHA instance.
    async fn create_waha_instance(&self, new: &NewWahaInstance)
    -> Result<WahaInstance, StoreError>;
    /// All registered WAHA instances.
    async fn list_waha_instances(&self) -> Result<Vec<WahaInstance>, StoreError>;
    /// One instance.
    async fn get_waha_instance(&self, instance_id: Uuid) -> Result<WahaInstance, StoreError>;
    /// The instance holding the tenant's session: the one it is on, or
    /// else the non-draining instance with the most free capacity.
    async fn place_session(&self, tenant_id: Uuid) -> Result<WahaInstance, StoreError>;
    /// The routing entry of a tenant whose session was placed.
    async fn session_route(&self, tenant_id: Uuid) -> Result<SessionRoute, StoreError>;
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

/// Billing: daily usage rows, tenants' event feeds, platform usage.
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// The tenant's usage rows from `from` (inclusive) to `to` (exclusive), oldest first.
    async fn usage_days(
        &self,
        tenant_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<UsageDay>, StoreError>;
    /// The tenant's events before `before_id`, newest first.
    async fn list_events(
        &self,
        tenant_id: Uuid,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TenantEvent>, StoreError>;
    /// Every tenant's usage from `from` (inclusive) to `to` (exclusive),
    /// busiest first.
    async fn platform_usage(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TenantUsage>, StoreError>;
}

/// The operator's management of tenants and WAHA instances.
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
    /// Applies `change` to an instance.
    async fn change_waha_instance(
        &self,
        instance_id: Uuid,
        change: &InstanceChange,
    ) -> Result<WahaInstance, StoreError>;
    /// Sessions placed on each instance.
    async fn sessions_per_instance(&self) -> Result<HashMap<Uuid, i64>, StoreError>;
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

/// Everything the server needs from storage.
pub trait Store:
    AdminStore
    + AccountStore
    + AuditStore
    + BillingStore
    + CatalogStore
    + FleetStore
    + OperatorStore
    + TenantDirectory
    + ConversationStore
    + EventStore
    + OrderStore
    + InboxStore
    + OutboxStore
{
}

impl<T> Store for T where
    T: AdminStore
        + AccountStore
        + AuditStore
        + BillingStore
        + CatalogStore
        + FleetStore
        + OperatorStore
        + TenantDirectory
        + ConversationStore
        + EventStore
        + OrderStore
        + InboxStore
        + OutboxStore
{
}

/// The inbox `media` column of `event`: its file as JSON, if it has one.
pub(crate) fn media_json(event: &NewInboxEvent) -> Option<String> {
    event
        .media
        .as_ref()
        .map(|media| serde_json::to_string(media).expect("media metadata serialises"))
}

/// Opens the store named by `url` (`sqlite://…` or `postgres://…`) and
/// applies pending migrations; `secrets` seals and opens the secrets kept
/// at rest.
pub async fn open(url: &str, secrets: Arc<SecretBox>) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url, secrets).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PgStore::open(url, secrets).await?))
    } else {
        Err(StoreError::Backend(format!(
            "unsupported database URL '{url}': use sqlite://path or postgres://…"
        )))
    }
}

/// Opens the store and only applies migrations (for `wabot migrate`).
pub async fn migrate(url: &str) -> Result<(), StoreError> {
    open(url, Arc::new(SecretBox::ephemeral()))
        .await
        .map(|_| ())
}

/// The scale-out bucket (0..=255) of a conversation: FNV-1a of tenant and
/// customer, stable across versions and machines.
pub fn bucket_of(tenant_id: Uuid, customer: &str) -> i16 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in tenant_id.as_bytes().iter().chain(customer.as_bytes()) {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash % 256) as i16
}

/// Outcomes of an inbox append, in event order, from the rows the insert
/// returned (keyed by session and message id). An event whose key was not
/// returned, or was claimed by an earlier event of the same batch, is a
/// duplicate.
pub(crate) fn append_outcomes(
    events: &[NewInboxEvent],
    mut stored: HashMap<(String, String), i64>,
) -> Vec<Appended> {
    events
        .iter()
        .map(
            |e| match stored.remove(&(e.session.clone(), e.message_id.clone())) {
                Some(id) => Appended::Stored(id),
                None => Appended::Duplicate,
            },
        )
        .collect()
}

/// The order of a session status report: WAHA's timestamp first, then,
/// within one millisecond, the lifecycle (`STARTING` < `SCAN_QR_CODE` <
/// `WORKING` < `FAILED`), since WAHA's events carry no sequence number.
pub(crate) fn session_status_order(reported_at_ms: i64, status: &str) -> i64 {
    let rank = match status {
        "STARTING" => 1,
        "SCAN_QR_CODE" | "PASSKEY_REQUIRED" | "PASSKEY_CONFIRMATION_REQUIRED" => 2,
        "WORKING" => 3,
        "FAILED" => 4,
        _ => 0,
    };
    reported_at_ms.saturating_mul(8) + rank
}

/// A storage failure whose cause is only worth logging.
pub(crate) fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(error.to_string())
}

/// Maps a database error to a [`StoreError`]; `what` names the missing row.
pub(crate) fn store_error(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::RowNotFound => StoreError::NotFound(what),
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let detail = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
            StoreError::Conflict(conflict_message(&detail))
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::Conflict(format!("{what} refers to something that does not exist"))
        }
        _ => StoreError::Backend(error.to_string()),
    }
}

fn conflict_message(detail: &str) -> String {
    let known = [
        (
            "phone_number",
            "a tenant with this phone number already exists",
        ),
        (
            "whatsapp_session_id",
            "this WhatsApp session is already used by a tenant",
        ),
        (
            "waha_instances",
            "a WAHA instance with this name already exists",
        ),
        ("item_id", "two menu items have the same item_id"),
    ];
    known
        .iter()
        .find(|(needle, _)| detail.contains(needle))
        .map_or_else(
            || "already exists".to_owned(),
            |(_, message)| (*message).to_owned(),
        )
}

/// The next status after checking the order state machine.
pub(crate) fn checked_transition(
    current: &str,
    next: OrderStatus,
) -> Result<OrderStatus, StoreError> {
    let current: OrderStatus = current
        .parse()
        .map_err(|e: wabot_plugins::UnknownOrderStatus| StoreError::Backend(e.to_string()))?;
    if current.can_become(next) {
        Ok(next)
    } else {
        Err(StoreError::Conflict(format!(
            "an order cannot go from {current} to {next}"
        )))
    }
}

/// The status and review an order moves to under `change`, from its
/// current `status` and `review`: an order whose prescription awaits review
/// only moves through the review, or is cancelled.
pub(crate) fn checked_change(
    status: &str,
    review: Option<&str>,
    change: &OrderChange,
) -> Result<(OrderStatus, Option<&'static str>), StoreError> {
    let awaiting = review == Some(Review::AWAITING);
    match change.review {
        Some(decision) if awaiting => Ok((
            checked_transition(status, decision.status())?,
            Some(decision.as_str()),
        )),
        Some(_) => Err(StoreError::Conflict(
            "no prescription of this order awaits review".to_owned(),
        )),
        None if awaiting && change.status != OrderStatus::Cancelled => Err(StoreError::Conflict(
            "the order waits for a pharmacist to review its prescription \
             (POST /v1/orders/{order_id}/prescription)"
                .to_owned(),
        )),
        None => Ok((checked_transition(status, change.status)?, None)),
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

    #[test]
    fn buckets_are_stable_and_in_range() {
        let tenant = Uuid::from_u128(42);
        assert_eq!(
            bucket_of(tenant, "15551234567@c.us"),
            bucket_of(tenant, "15551234567@c.us")
        );
        let distinct: std::collections::HashSet<_> = (0..2000)
            .map(|n| bucket_of(tenant, &format!("{n}@c.us")))
            .collect();
        assert!(distinct.len() > 200, "customers spread over the buckets");
        assert!(distinct.iter().all(|b| (0..=255).contains(b)));
    }
}
