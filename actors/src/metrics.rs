//! Every metric name wabot records, with its help text. Labels are bounded:
//! kinds, outcomes and reasons, never a phone number or tenant id.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// Webhook requests by `outcome` (accepted, ignored, unauthorized, malformed,
/// unknown_session, too_large, stale, unavailable).
pub const WEBHOOKS: &str = "wabot_webhooks_total";
/// Customer messages handed to a conversation.
pub const MESSAGES_IN: &str = "wabot_messages_in_total";
/// Messages sent to WAHA successfully, by `kind` (text, image).
pub const MESSAGES_OUT: &str = "wabot_messages_out_total";
/// Seconds from webhook arrival to the reply accepted by WAHA.
pub const REPLY_LATENCY: &str = "wabot_reply_latency_seconds";
/// Live actors by `kind` (shard, waha_session, tenant, conversation).
pub const LIVE_ACTORS: &str = "wabot_live_actors";
/// Failed WAHA calls by `reason` (network, server, session_not_working, rejected).
pub const WAHA_SEND_ERRORS: &str = "wabot_waha_send_errors_total";
/// Actors restarted after a crash, by `kind`.
pub const ACTOR_RESTARTS: &str = "wabot_actor_restarts_total";
/// Conversations saved and stopped after their idle timeout.
pub const PASSIVATIONS: &str = "wabot_conversations_passivated_total";
/// Orders placed by customers.
pub const ORDERS_PLACED: &str = "wabot_orders_placed_total";
/// Events per inbox transaction (group commit batch size).
pub const INBOX_BATCH_SIZE: &str = "wabot_inbox_batch_size";
/// 1 while the circuit breaker of a WAHA `instance` is open.
pub const BREAKER_OPEN: &str = "wabot_waha_breaker_open";
/// Outbox messages waiting in session actors for WAHA to take them.
pub const OUTBOX_HELD: &str = "wabot_outbox_held";
/// Unsent outbox messages re-sent at start-up.
pub const OUTBOX_RESENT: &str = "wabot_outbox_resent_total";
/// Customer messages accepted and not yet handled.
pub const IN_FLIGHT: &str = "wabot_ingress_in_flight";
/// The global in-flight budget; `in_flight / limit` is the saturation.
pub const IN_FLIGHT_LIMIT: &str = "wabot_ingress_in_flight_limit";
/// Inbox events replayed at start-up.
pub const INBOX_REPLAYED: &str = "wabot_inbox_replayed_total";
/// Conversations handed over to a person at the customer's request.
pub const HANDOVERS: &str = "wabot_handovers_total";
/// Billable messages counted against quotas, by `tier`.
pub const BILLABLE_MESSAGES: &str = "wabot_billable_messages_total";
/// Customer messages the bot declined to handle, by `reason` (over_quota, suspended).
pub const MESSAGES_REFUSED: &str = "wabot_messages_refused_total";

/// Customer files fetched for bots that use them, by `outcome` (stored,
/// not_downloaded, too_large, failed).
pub const MEDIA_DOWNLOADS: &str = "wabot_media_downloads_total";

/// Registers help texts and units with the installed recorder.
pub fn describe() {
    describe_counter!(WEBHOOKS, "Webhook requests by outcome");
    describe_counter!(MESSAGES_IN, "Customer messages handed to a conversation");
    describe_counter!(MESSAGES_OUT, "Messages accepted by WAHA, by kind");
    describe_histogram!(
        REPLY_LATENCY,
        Unit::Seconds,
        "Webhook arrival to reply accepted by WAHA"
    );
    describe_gauge!(LIVE_ACTORS, "Live actors by kind");
    describe_counter!(WAHA_SEND_ERRORS, "Failed WAHA calls by reason");
    describe_counter!(ACTOR_RESTARTS, "Actors restarted after a crash, by kind");
    describe_counter!(PASSIVATIONS, "Conversations saved and stopped when idle");
    describe_counter!(ORDERS_PLACED, "Orders placed by customers");
    describe_histogram!(INBOX_BATCH_SIZE, "Events per inbox transaction");
    describe_counter!(INBOX_REPLAYED, "Inbox events replayed at start-up");
    describe_gauge!(
        BREAKER_OPEN,
        "1 while a WAHA instance's circuit breaker is open"
    );
    describe_gauge!(OUTBOX_HELD, "Messages held until WAHA can take them");
    describe_counter!(OUTBOX_RESENT, "Unsent outbox messages re-sent at start-up");
    describe_counter!(BILLABLE_MESSAGES, "Billable messages counted, by tier");
    describe_counter!(HANDOVERS, "Conversations handed over to a person");
    describe_counter!(
        MESSAGES_REFUSED,
        "Customer messages declined (quota exhausted, tenant suspended), by reason"
    );
    describe_counter!(
        MEDIA_DOWNLOADS,
        "Customer files fetched from WAHA for bots that use them, by outcome"
    );
}
