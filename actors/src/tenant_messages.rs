//! What a tenant actor is told (by ingress, the runtime and its own
//! conversations) and what it shares with its conversations. Kept apart
//! from the actor itself, so a conversation can talk to its tenant without
//! the two modules importing each other.

use std::sync::Arc;

use ractor::RpcReplyPort;
use wabot_plugins::{OrderStatus, Plugin, TenantContext};

use crate::inbound::InboundMessage;

/// Messages of the tenant actor.
#[derive(Debug)]
pub enum TenantMsg {
    /// A customer message for this tenant.
    Inbound(InboundMessage),
    /// An order of `customer` moved to `status`; tell them.
    OrderStatusChanged {
        /// The customer's chat id.
        customer: String,
        /// Customer-facing order number.
        order_number: i64,
        /// New status.
        status: OrderStatus,
        /// Why, when the business said.
        reason: Option<String>,
    },
    /// A person hands `customer`'s conversation back to the bot.
    HandBack {
        /// The customer's chat id.
        customer: String,
        /// Unique per hand-back (the key of the bot's reply).
        key: String,
    },
    /// The tenant's configuration or menu changed; load it again.
    Reload,
    /// A conversation has been idle since its `handled`-th message.
    ConversationIdle {
        /// The customer's chat id.
        customer: String,
        /// Messages it had handled.
        handled: u64,
    },
    /// How many conversations are live (not passivated) now.
    LiveConversations(RpcReplyPort<usize>),
}

/// The tenant's context and bot, shared read-only with its conversations.
#[derive(Clone)]
pub struct TenantShared {
    /// What the bot knows about the business.
    pub context: Arc<TenantContext>,
    /// The bot.
    pub plugin: Arc<dyn Plugin>,
}
