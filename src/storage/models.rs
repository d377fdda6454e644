//! Records the admin API reads and writes, shared by both backends.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use wabot_plugins::{BotSettings, OrderLine, OrderStatus, PluginKind};

/// A WAHA instance to register.
#[derive(Debug, Clone)]
pub struct NewWahaInstance {
    /// Unique name.
    pub name: String,
    /// Base URL.
    pub base_url: String,
    /// Its API key.
    pub api_key: String,
    /// Sessions it may hold.
    pub capacity: i32,
}

/// A registered WAHA instance. The API key is never serialised.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WahaInstance {
    /// Id.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// Base URL.
    pub base_url: String,
    /// Its API key.
    #[serde(skip)]
    pub api_key: String,
    /// Sessions it may hold.
    pub capacity: i32,
    /// A draining instance gets no new sessions.
    pub draining: bool,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// A tenant to create.
#[derive(Debug, Clone)]
pub struct NewTenant {
    /// Display name.
    pub business_name: String,
    /// The business's WhatsApp number, digits only.
    pub phone_number: String,
    /// The bot it runs.
    pub plugin: PluginKind,
    /// WAHA session name.
    pub session_name: String,
    /// HMAC key of the session's webhooks.
    pub webhook_secret: String,
    /// Instance the session lives on (none until the tenant starts it).
    pub waha_instance_id: Option<Uuid>,
    /// Settings.
    pub settings: BotSettings,
}

/// A tenant as the API shows it (no secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tenant {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub business_name: String,
    /// WhatsApp number, digits only.
    pub phone_number: String,
    /// WAHA session name.
    pub session_name: String,
    /// Instance the session lives on, once the tenant asked for one.
    pub waha_instance_id: Option<Uuid>,
    /// The last status WAHA reported for the session (`STOPPED` before any).
    pub session_status: String,
    /// The bot it runs.
    pub plugin_type: PluginKind,
    /// trial, active or suspended.
    pub status: String,
    /// free, basic, premium or enterprise.
    pub subscription_tier: String,
    /// The operator allows messages beyond the quota, billed as overage.
    pub overage_allowed: bool,
    /// Settings.
    pub settings: BotSettings,
    /// When it signed up.
    pub created_at: DateTime<Utc>,
}

/// What webhook ingress needs to know about a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRoute {
    /// WAHA session name.
    pub session: String,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// HMAC key of its webhooks.
    pub webhook_secret: String,
    /// Instance it lives on.
    pub waha_instance_id: Uuid,
}

/// A stored order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    /// Id.
    pub id: Uuid,
    /// Customer-facing number.
    pub order_number: i64,
    /// The customer's chat id.
    pub customer_phone: String,
    /// What was ordered.
    pub items: Vec<OrderLine>,
    /// Total, two decimals.
    pub total: Decimal,
    /// Delivery address.
    pub delivery_address: String,
    /// Status.
    pub status: OrderStatus,
    /// Placed at.
    pub created_at: DateTime<Utc>,
    /// Last status change.
    pub updated_at: DateTime<Utc>,
    /// The customer's prescription, for orders with prescription-only items.
    pub prescription: Option<Prescription>,
}

/// The prescription an order waits on, and the pharmacist's review.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Prescription {
    /// The customer's file: `GET /v1/media/{media_id}`.
    pub media_id: Uuid,
    /// `awaiting`, `approved` or `rejected`.
    pub review: String,
    /// The reason given with the decision.
    pub note: Option<String>,
}

/// A pharmacist's decision on an order's prescription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// The prescription is valid: the order is confirmed.
    Approved,
    /// The prescription is refused: the order is cancelled.
    Rejected,
}

impl Review {
    /// The stored review of an order whose prescription nobody checked yet.
    pub const AWAITING: &'static str = "awaiting";

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Review::Approved => "approved",
            Review::Rejected => "rejected",
        }
    }

    /// The status the decision moves the order to.
    pub fn status(self) -> OrderStatus {
        match self {
            Review::Approved => OrderStatus::Confirmed,
            Review::Rejected => OrderStatus::Cancelled,
        }
    }
}

/// A change to an order made by the business.
#[derive(Debug, Clone)]
pub struct OrderChange {
    /// The next status (for a review: the one its decision implies).
    pub status: OrderStatus,
    /// A pharmacist's decision on the order's prescription.
    pub review: Option<Review>,
    /// Why (told to the customer).
    pub note: Option<String>,
}

/// A customer's file, as indexed in the database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaRecord {
    /// The tenant it belongs to.
    pub tenant_id: Uuid,
    /// Its id.
    pub id: Uuid,
    /// Who sent it.
    pub customer: String,
    /// The WAHA message that carried it.
    pub message_id: String,
    /// Its MIME type.
    pub mimetype: String,
    /// Its file name, when it had one.
    pub filename: Option<String>,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// Where the media storage keeps it.
    pub storage_key: String,
    /// When it was kept.
    pub created_at: DateTime<Utc>,
}

/// What a caller may do within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything in the tenant: keys, session, menu, settings.
    Owner,
    /// Day-to-day work: read everything, move orders along, toggle availability.
    Staff,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
        }
    }

    /// Parses the stored name.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "owner" => Some(Role::Owner),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }
}

/// A new account: the tenant, its owner and the owner's first API key, all
/// created in one transaction.
#[derive(Debug, Clone)]
pub struct NewSignup {
    /// The tenant (its session name and webhook key are generated).
    pub tenant: NewTenant,
    /// Owner's email, lower-cased.
    pub email: String,
    /// Owner's argon2 PHC string.
    pub password_hash: String,
    /// The first API key.
    pub api_key: NewApiKey,
}

/// A user, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Login email.
    pub email: String,
    /// Role.
    pub role: Role,
}

/// A user with the hash its password is checked against.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    /// The user.
    pub user: User,
    /// argon2 PHC string.
    pub password_hash: String,
}

/// An API key to store: only its digest is kept.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// What it is for.
    pub name: String,
    /// Its first characters, to tell keys apart.
    pub prefix: String,
    /// SHA-256 of the key, hex.
    pub key_hash: String,
    /// What it may do.
    pub role: Role,
}

/// A stored API key (never the key itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    /// Id.
    pub id: Uuid,
    /// What it is for.
    pub name: String,
    /// Its first characters.
    pub prefix: String,
    /// What it may do.
    pub role: Role,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who a valid credential belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The one tenant it may act on.
    pub tenant_id: Uuid,
    /// What it may do there.
    pub role: Role,
    /// Who it is, as the audit log names it.
    pub actor: String,
    /// Which credential it is, unique among all (`api_key:<id>` or
    /// `user:<id>`): what the per-credential rate limit counts on.
    pub credential: String,
}

/// One change made through the API, for the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// The tenant whose data changed.
    pub tenant_id: Uuid,
    /// Who: `operator`, `user:<email>` or `api_key:<prefix>`.
    pub actor: String,
    /// What, as `resource.verb` (for example `menu_item.update`).
    pub action: String,
    /// Which row.
    pub target: String,
    /// The row before the change, if it existed.
    pub before: Option<serde_json::Value>,
    /// The row after the change, if it still exists.
    pub after: Option<serde_json::Value>,
}

/// A stored audit log entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditRecord {
    /// Increasing id (also the pagination cursor).
    pub id: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which row.
    pub target: String,
    /// Before the change.
    pub before: Option<serde_json::Value>,
    /// After the change.
    pub after: Option<serde_json::Value>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Filters and page of an order listing.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Placed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Placed before.
    pub to: Option<DateTime<Utc>>,
    /// Only this customer's chat id.
    pub customer: Option<String>,
    /// Only orders numbered below this (the previous page's cursor).
    pub before_number: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// A tenant's WhatsApp traffic over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Activity {
    /// Customer messages received (each is handled by the bot).
    pub messages_in: i64,
    /// Messages sent to customers (replies and notices).
    pub messages_out: i64,
    /// Of those, proactive order-status notices.
    pub notifications: i64,
    /// Distinct customers who wrote.
    pub customers: i64,
}

/// One day of a tenant's billable usage (a `usage_logs` row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UsageDay {
    /// The UTC day.
    pub day: NaiveDate,
    /// Billable messages that day.
    pub message_count: i64,
    /// Overage charged that day, in dollars.
    pub cost: Decimal,
}

/// An entry of a tenant's event feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantEvent {
    /// Increasing id (also the pagination cursor).
    pub id: i64,
    /// What happened: `quota.warning`, `quota.exhausted`.
    pub kind: String,
    /// Details.
    pub data: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A tenant's billable usage over a period, for the operator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantUsage {
    /// Tenant.
    pub tenant_id: Uuid,
    /// Its name.
    pub business_name: String,
    /// Its tier now.
    pub subscription_tier: String,
    /// Billable messages in the period.
    pub messages: i64,
    /// Overage charged in the period, in dollars.
    pub overage_cost: Decimal,
}

/// What the operator changes about a tenant; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct TenantPlanChange {
    /// `active` or `suspended`.
    pub status: Option<String>,
    /// New tier.
    pub tier: Option<String>,
    /// Allow metered overage.
    pub overage_allowed: Option<bool>,
}

/// What the operator changes about a WAHA instance; absent fields stay.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstanceChange {
    /// Sessions it may hold.
    pub capacity: Option<i32>,
    /// Stop placing new sessions on it.
    pub draining: Option<bool>,
}

/// A page of the tenant listing.
#[derive(Debug, Clone, Default)]
pub struct TenantFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this tier.
    pub tier: Option<String>,
    /// Tenants after this id (the previous page's last).
    pub after: Option<Uuid>,
    /// Page size.
    pub limit: i64,
}

/// Work stored and not yet done, over every tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Customer messages not yet handled.
    pub inbox_depth: i64,
    /// When the oldest of them arrived.
    pub inbox_oldest: Option<DateTime<Utc>>,
    /// Replies not yet accepted by WAHA (nor given up).
    pub outbox_depth: i64,
    /// When the oldest of them was stored.
    pub outbox_oldest: Option<DateTime<Utc>>,
}

/// A node's database connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections running a query or transaction.
    pub in_use: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}
