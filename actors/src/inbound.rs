//! A customer message on its way from the webhook to a conversation.

use std::time::Instant;

use serde::{Deserialize, Serialize};
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
    /// The file the message carried, if any.
    pub media: Option<Box<InboundMedia>>,
    /// When the webhook arrived, for the webhook-to-reply latency.
    pub received_at: Instant,
    /// Its share of the in-flight budget, returned when the message is
    /// dropped (`None` for replayed events, admitted before new traffic).
    pub permit: Option<InFlightPermit>,
}

/// A file attached to a customer message, as WAHA announced it
/// (waha-api.md §4.4). Stored with the inbox event, so a replay still knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMedia {
    /// Where WAHA serves the file (opaque; expires, by default after 180 s).
    /// `None` when WAHA did not download it.
    pub url: Option<String>,
    /// Its MIME type, when WAHA gave one.
    pub mimetype: Option<String>,
    /// Its file name (documents).
    pub filename: Option<String>,
}
