//! One handled event, made durable: a conversation's (or its tenant's)
//! step is committed in one transaction (snapshot, inbox mark, replies in
//! the outbox, usage), and only then are the stored replies handed to the
//! session's actor to send.

use std::sync::Arc;
use std::time::Instant;

use ractor::ActorProcessingErr;
use uuid::Uuid;
use wabot_plugins::ConversationState;

use crate::ingress::InFlightPermit;
use crate::ports::{Charge, NewOutboxMessage, OutboundContent, Ports, Step};
use crate::registry::SessionRegistry;
use crate::storage_retry::with_patience;
use crate::waha_session::{Outbound, new_wa_message_id};

/// Whose step it is, and where its replies go.
pub struct StepTarget<'a> {
    /// Tenant id.
    pub tenant_id: Uuid,
    /// The customer's chat id.
    pub customer: &'a str,
    /// The tenant's WAHA session.
    pub session: &'a str,
    /// Storage ports.
    pub ports: &'a Ports,
    /// Where to find the session's actor.
    pub sessions: &'a SessionRegistry,
}

/// What one handled event produced.
pub struct StepOutcome<'a> {
    /// The conversation state changed: save it.
    pub changed: bool,
    /// Replies to send.
    pub replies: Vec<OutboundContent>,
    /// Stable per event: the same event always yields the same reply keys.
    pub key: &'a str,
    /// The inbox event handled, if any.
    pub inbox_id: Option<i64>,
    /// When the message arrived, for the reply latency.
    pub received_at: Option<Instant>,
    /// The message's in-flight permit: its replies take tickets of the
    /// waiting-replies budget from it; the permit itself is returned once
    /// the step is durable.
    pub permit: Option<Arc<InFlightPermit>>,
    /// Usage to record with the step.
    pub charge: Option<Charge>,
}

/// Commits the step (state, inbox mark, replies in the outbox) in one
/// transaction, then hands the stored replies to the session. A storage
/// outage is waited out (the step is idempotent); only if it outlasts
/// [`STORAGE_PATIENCE`](crate::storage_retry::STORAGE_PATIENCE) does the actor fail, and its supervisor tells the
/// customer.
pub async fn commit(
    args: &StepTarget<'_>,
    conversation: Option<&ConversationState>,
    step: StepOutcome<'_>,
) -> Result<(), ActorProcessingErr> {
    let outbox: Vec<NewOutboxMessage> = step
        .replies
        .into_iter()
        .enumerate()
        .map(|(n, content)| NewOutboxMessage {
            idempotency_key: format!("{}#{n}", step.key),
            wa_message_id: new_wa_message_id(),
            content,
        })
        .collect();
    let snapshot = conversation.filter(|_| step.changed);
    if snapshot.is_none() && step.inbox_id.is_none() && outbox.is_empty() {
        return Ok(());
    }
    let record = Step {
        tenant_id: args.tenant_id,
        customer: args.customer.to_owned(),
        session: args.session.to_owned(),
        state: snapshot.cloned(),
        processed_inbox_id: step.inbox_id,
        outbox,
        charge: step.charge,
    };
    let stored = with_patience("commit a conversation step", || {
        args.ports.conversations.record_step(&record)
    })
    .await?;
    for message in stored {
        send(
            args,
            Outbound::from_outbox(
                message,
                step.received_at,
                step.permit.as_ref().map(|permit| permit.reply_ticket()),
            ),
        );
    }
    Ok(())
}

fn send(args: &StepTarget<'_>, outbound: Outbound) {
    match args.sessions.get(args.session) {
        Some(session) if session.send(outbound).is_ok() => {}
        // Stored in the outbox: sent when the session runs again (at the latest after a restart).
        _ => tracing::error!(
            tenant = %args.tenant_id, session = %args.session,
            "no running WahaSession actor for this session; reply kept in the outbox"
        ),
    }
}
