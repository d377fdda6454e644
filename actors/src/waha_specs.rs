//! What the platform tells the runtime about its WAHA fleet: the instances
//! (containers) and the sessions placed on them. Plain values shared by the
//! fleet supervisor, its shards and the runtime's callers.

use uuid::Uuid;

/// A WAHA instance (one container) the platform can place sessions on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WahaInstanceSpec {
    /// Instance id.
    pub id: Uuid,
    /// Operator-chosen name, used in logs.
    pub name: String,
    /// Base URL, for example `http://waha-1:3000`.
    pub base_url: String,
    /// Its `X-Api-Key`.
    pub api_key: String,
}

/// A WhatsApp session and the instance it lives on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WahaSessionSpec {
    /// WAHA session name.
    pub session: String,
    /// Instance id.
    pub instance_id: Uuid,
}
