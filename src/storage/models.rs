//! Records the admin API reads and writes, shared by both backends.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wabot_plugins::{OrderLine, OrderStatus, PluginKind};

/// A WAHA instance to register.
#[derive(Debug, Clone)]
pub struct NewWahaInstance {
    /// Unique name.
    pub name: String,
    /// Base URL.
    pub base_url: String,
    /// Its API key.
    pub api_key: String,
}

/// A registered WAHA instance. The API key is never serialised.
#[derive(Debug, Clone, Serialize)]
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
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// Per-tenant settings kept in `tenants.settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantSettings {
    /// Currency symbol used in prices.
    pub currency_symbol: String,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            currency_symbol: "$".to_owned(),
        }
    }
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
    /// Instance the session lives on.
    pub waha_instance_id: Uuid,
    /// Settings.
    pub settings: TenantSettings,
}

/// A tenant as the API shows it (no secret).
#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub business_name: String,
    /// WhatsApp number, digits only.
    pub phone_number: String,
    /// WAHA session name.
    pub session_name: String,
    /// Instance the session lives on.
    pub waha_instance_id: Uuid,
    /// The bot it runs.
    pub plugin_type: PluginKind,
    /// trial, active or suspended.
    pub status: String,
    /// free, basic, premium or enterprise.
    pub subscription_tier: String,
    /// Settings.
    pub settings: TenantSettings,
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
#[derive(Debug, Clone, Serialize)]
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
}
