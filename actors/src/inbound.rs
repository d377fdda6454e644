//! A customer message on its way from the webhook to a conversation.

use std::time::Instant;

use uuid::Uuid;

use crate::ingress::InFlightPermit;

/// A verified, routed customer message.
#[derive(Debug)]
pub struct InboundMessage {
    /// The tenant whose session received it.
    pub tenant_id: Uuid,
    /// WAHA session name.
    pub session: String,
    /// The customer's chat id (`15551234567@c.us` or `…@lid`); replies go here.
    pub customer: String,
    /// WAHA message id (`false_<chat>_<waId>`).
    pub message_id: String,
    /// Its row in the durable inbox, marked processed once handled.
    pub inbox_id: i64,
    /// Text or caption.
    pub text: String,
    /// When the webhook arrived, for the webhook-to-reply latency.
    pub received_at: Instant,
    /// Its share of the in-flight budget, returned when the message is
    /// dropped (`None` for replayed events, admitted before new traffic).
    pub permit: Option<InFlightPermit>,
}
