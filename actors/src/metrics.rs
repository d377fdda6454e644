//! Every metric name wabot records, with its help text. Labels are bounded:
//! kinds, outcomes, reasons, tiers and WAHA instance names, never a phone
//! number or tenant id. A WAHA instance is labelled `waha_instance`, so it
//! never clashes with the `instance` label Prometheus gives each target.

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
/// Failed WAHA calls by `waha_instance` and `reason` (network, server,
/// session_not_working, too_large, rejected).
pub const WAHA_SEND_ERRORS: &str = "wabot_waha_send_errors_total";
/// Actors restarted after a crash, by `kind`.
pub const ACTOR_RESTARTS: &str = "wabot_actor_restarts_total";
/// Conversations saved and stopped after their idle timeout.
pub const PASSIVATIONS: &str = "wabot_conversations_passivated_total";
/// Orders placed by customers.
pub const ORDERS_PLACED: &str = "wabot_orders_placed_total";
/// Events per inbox transaction (group commit batch size).
pub const INBOX_BATCH_SIZE: &str = "wabot_inbox_batch_size";
/// Histogram: conversation steps per step-writer transaction.
pub const STEP_BATCH_SIZE: &str = "wabot_step_batch_size";
/// Histogram: "sent" marks per outbox-marker transaction.
pub const SENT_MARK_BATCH_SIZE: &str = "wabot_sent_mark_batch_size";
/// 1 while the circuit breaker of a WAHA `waha_instance` is open.
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

/// Seconds each plugin step takes (the bot's pure state machine), by `plugin`.
pub const PLUGIN_STEP: &str = "wabot_plugin_step_seconds";
/// Seconds of each WAHA send call, by `waha_instance` and `call` (text, image, seen).
pub const WAHA_REQUEST: &str = "wabot_waha_request_seconds";
/// 1 while a WAHA `waha_instance` answers its health check, 0 while it does not.
pub const WAHA_INSTANCE_UP: &str = "wabot_waha_instance_up";
/// Sessions a WAHA `waha_instance` holds, by `status` (WORKING, SCAN_QR_CODE...).
pub const WAHA_SESSIONS: &str = "wabot_waha_sessions";
/// Seconds of each storage call of the actors, by `op`.
pub const STORAGE_CALL: &str = "wabot_storage_call_seconds";
/// Orders moved to a new status by the business, by `status`.
pub const ORDER_STATUS_CHANGES: &str = "wabot_order_status_changes_total";
/// Requests refused by a rate limit, by `limit` (credential, tenant, customer).
pub const RATE_LIMITED: &str = "wabot_rate_limited_total";
/// Customer messages stored and not yet handled (all nodes).
pub const INBOX_DEPTH: &str = "wabot_inbox_depth";
/// Age in seconds of the oldest unhandled inbox message (0 when none).
pub const INBOX_OLDEST_AGE: &str = "wabot_inbox_oldest_age_seconds";
/// Replies stored and not yet accepted by WAHA (all nodes).
pub const OUTBOX_DEPTH: &str = "wabot_outbox_depth";
/// Age in seconds of the oldest unsent reply (0 when none).
pub const OUTBOX_OLDEST_AGE: &str = "wabot_outbox_oldest_age_seconds";
/// Database connections of this node by `state` (in_use, idle).
pub const DB_POOL_CONNECTIONS: &str = "wabot_db_pool_connections";
/// The most database connections this node may open.
pub const DB_POOL_MAX: &str = "wabot_db_pool_max_connections";
/// Tenants that used at least `level` percent (80, 100) of their month's
/// quota, by `tier`.
pub const TENANTS_AT_QUOTA: &str = "wabot_tenants_at_quota";
/// This node's saturation, 0 to 1: the highest of its in-flight budget and
/// its database pool in use. Meant for autoscaling (scale out above 0.7).
pub const SATURATION: &str = "wabot_saturation_ratio";

/// Every actor kind that is supervised and restarted.
pub const ACTOR_KINDS: [&str; 7] = [
    "fleet",
    "shard",
    "waha_session",
    "tenants",
    "tenant",
    "conversation",
    "inbox_writer",
];

/// Every reason a WAHA call fails with (see `WahaError::reason`).
pub const WAHA_FAILURES: [&str; 5] = [
    "network",
    "server",
    "session_not_working",
    "too_large",
    "rejected",
];

/// Registers the counters of bounded label sets at zero, so dashboards and
/// alerts see a series (and rates of 0) before the first event.
pub fn register_zero_series() {
    for kind in ACTOR_KINDS {
        ::metrics::counter!(ACTOR_RESTARTS, "kind" => kind).increment(0);
    }
    for reason in ["over_quota", "suspended"] {
        ::metrics::counter!(MESSAGES_REFUSED, "reason" => reason).increment(0);
    }
    for outcome in ["stored", "not_downloaded", "too_large", "failed"] {
        ::metrics::counter!(MEDIA_DOWNLOADS, "outcome" => outcome).increment(0);
    }
    for kind in ["text", "image"] {
        ::metrics::counter!(MESSAGES_OUT, "kind" => kind).increment(0);
    }
    ::metrics::gauge!(OUTBOX_HELD).increment(0.0);
    ::metrics::gauge!(IN_FLIGHT).increment(0.0);
    for counter in [
        MESSAGES_IN,
        PASSIVATIONS,
        ORDERS_PLACED,
        HANDOVERS,
        OUTBOX_RESENT,
        INBOX_REPLAYED,
    ] {
        ::metrics::counter!(counter).increment(0);
    }
}

/// Registers the per-instance series of a WAHA instance at zero.
pub fn register_instance(instance: &str) {
    for reason in WAHA_FAILURES {
        ::metrics::counter!(WAHA_SEND_ERRORS, "waha_instance" => instance.to_owned(), "reason" => reason)
            .increment(0);
    }
}

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
    describe_histogram!(STEP_BATCH_SIZE, "Conversation steps per transaction");
    describe_histogram!(SENT_MARK_BATCH_SIZE, "Sent marks per transaction");
    describe_counter!(INBOX_REPLAYED, "Inbox events replayed at start-up");
    describe_gauge!(
        BREAKER_OPEN,
        "1 while a WAHA instance's circuit breaker is open"
    );
    describe_gauge!(
        OUTBOX_HELD,
        "Replies waiting in session actors until WAHA takes them"
    );
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
    describe_histogram!(
        PLUGIN_STEP,
        Unit::Seconds,
        "Time the bot's state machine takes per event, by plugin"
    );
    describe_histogram!(
        WAHA_REQUEST,
        Unit::Seconds,
        "WAHA send calls, by instance and call"
    );
    describe_gauge!(
        WAHA_INSTANCE_UP,
        "1 while a WAHA instance answers its health check"
    );
    describe_gauge!(WAHA_SESSIONS, "Sessions a WAHA instance holds, by status");
    describe_histogram!(
        STORAGE_CALL,
        Unit::Seconds,
        "Storage calls of the actors (retries included), by operation"
    );
    describe_counter!(
        ORDER_STATUS_CHANGES,
        "Orders moved to a new status by the business, by status"
    );
    describe_counter!(RATE_LIMITED, "Requests refused by a rate limit, by limit");
    describe_gauge!(INBOX_DEPTH, "Customer messages stored and not yet handled");
    describe_gauge!(
        INBOX_OLDEST_AGE,
        Unit::Seconds,
        "Age of the oldest unhandled inbox message"
    );
    describe_gauge!(OUTBOX_DEPTH, "Replies stored and not yet accepted by WAHA");
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        Unit::Seconds,
        "Age of the oldest unsent reply"
    );
    describe_gauge!(DB_POOL_CONNECTIONS, "Database connections by state");
    describe_gauge!(DB_POOL_MAX, "Most database connections this node opens");
    describe_gauge!(
        TENANTS_AT_QUOTA,
        "Tenants that used at least `level` percent of their month's quota, by tier"
    );
    describe_gauge!(
        SATURATION,
        "Highest of in-flight budget and database pool use, 0 to 1 (autoscaling signal)"
    );
}
