//! The wabot actor runtime.
//!
//! ```text
//! Root supervisor
//! ├── Fleet supervisor ── Shard supervisor (one per WAHA instance) ── WahaSession actors
//! └── Tenants supervisor ── Tenant actor (one per tenant) ── Conversation actors
//! ```
//!
//! Every actor owns its state; actors talk by messages only. Storage is
//! reached through the [`ports`] traits, so this crate never knows which
//! database it writes to. [`Runtime`] is the handle the HTTP layer uses.

pub mod batcher;
pub mod breaker;
pub mod children;
pub mod conversation;
pub mod fleet;
pub mod hot_path;
pub mod inbound;
pub mod inbox_writer;
pub mod ingress;
pub mod memory;
pub mod metrics;
pub mod ports;
pub mod quota;
pub mod registry;
pub mod root;
pub mod runtime;
pub mod settings;
pub mod shard;
pub mod step;
pub mod storage_retry;
pub mod tenant;
pub mod tenant_messages;
pub mod tenants;
pub mod waha_client;
pub mod waha_session;
pub mod waha_specs;

pub use inbound::{InboundMedia, InboundMessage};
pub use ingress::{BudgetLimits, InFlightPermit, IngressBudget, Overload, ReplyTicket};
pub use ports::{
    Appended, Charge, ConversationStore, EventStore, InboxEvent, InboxStore, MediaStore,
    NewInboxEvent, NewMedia, NewOutboxMessage, NewTenantEvent, OrderStore, OutboundContent,
    OutboxMessage, OutboxStore, PlacedOrder, Ports, Quota, SentMark, Step, StoreError,
    TenantDirectory, TenantProfile,
};
pub use registry::PluginCatalog;
pub use runtime::{Runtime, RuntimeError, WahaInstanceSpec, WahaSessionSpec};
pub use settings::{RuntimeSettings, WahaSettings};
pub use waha_client::{WahaClient, WahaError};
