//! Conversation actor: one per active (tenant, customer), supervised by its
//! tenant actor. It owns the plugin state of the conversation, runs the
//! plugin on every event, carries out the actions (replies through the
//! session's `WahaSession` actor, orders through the order port) and saves a
//! snapshot whenever the state changed.
//!
//! Passivation: after `conversation_idle` without messages it tells its
//! tenant, which stops routing to it and sends `Passivate`; the actor then
//! stops. The next message spawns a new actor that rehydrates from the
//! snapshot. The tenant only passivates an actor that has handled every
//! message forwarded to it, so no message is lost and no stale snapshot read.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ractor::{Actor, ActorProcessingErr, ActorRef};
use uuid::Uuid;
use wabot_plugins::{Action, ConversationState, Event, OrderStatus, Plugin, TenantContext};

use crate::inbound::InboundMessage;
use crate::metrics;
use crate::ports::Ports;
use crate::registry::SessionRegistry;
use crate::tenant::TenantMsg;
use crate::waha_session::{Outbound, OutboundContent, WahaSessionMsg};

/// The tenant's context and bot, shared read-only with its conversations.
#[derive(Clone)]
pub struct TenantShared {
    /// What the bot knows about the business.
    pub context: Arc<TenantContext>,
    /// The bot.
    pub plugin: Arc<dyn Plugin>,
}

/// Messages of the conversation actor.
pub enum ConversationMsg {
    /// A customer message.
    Inbound {
        /// The tenant's current context and bot.
        tenant: TenantShared,
        /// The message.
        message: InboundMessage,
    },
    /// One of the customer's orders changed status.
    OrderStatusChanged {
        /// The tenant's current context and bot.
        tenant: TenantShared,
        /// Customer-facing order number.
        order_number: i64,
        /// New status.
        status: OrderStatus,
    },
    /// Self-scheduled: still idle after `handled` messages?
    IdleCheck {
        /// Messages handled when the check was scheduled.
        handled: u64,
    },
    /// From the tenant: nothing more will be routed here; stop.
    Passivate,
}

/// Everything needed to start (or rehydrate) a conversation.
#[derive(Clone)]
pub struct ConversationArgs {
    /// Tenant id.
    pub tenant_id: Uuid,
    /// The customer's chat id.
    pub customer: String,
    /// The tenant's WAHA session.
    pub session: String,
    /// Storage ports.
    pub ports: Ports,
    /// Where to find the session's actor.
    pub sessions: SessionRegistry,
    /// The supervising tenant.
    pub tenant: ActorRef<TenantMsg>,
    /// Idle time before passivation.
    pub idle: Duration,
}

/// State: the plugin state (loaded after start) and a message count.
pub struct ConversationActorState {
    args: ConversationArgs,
    conversation: Option<ConversationState>,
    handled: u64,
}

/// The actor.
pub struct Conversation;

impl Actor for Conversation {
    type Msg = ConversationMsg;
    type State = ConversationActorState;
    type Arguments = ConversationArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: ConversationArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(ConversationActorState {
            args,
            conversation: None,
            handled: 0,
        })
    }

    /// Rehydrates after `pre_start`, so the tenant never waits on storage.
    async fn post_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let args = &state.args;
        state.conversation = args
            .ports
            .conversations
            .load_conversation(args.tenant_id, &args.customer)
            .await?;
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: ConversationMsg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            ConversationMsg::Inbound { tenant, message } => {
                ::metrics::counter!(metrics::MESSAGES_IN).increment(1);
                if let Some(session) = state.args.sessions.get(&state.args.session) {
                    session.cast(WahaSessionMsg::MarkSeen {
                        chat_id: message.customer.clone(),
                        message_id: message.message_id.clone(),
                    })?;
                }
                let event = Event::Message {
                    text: &message.text,
                };
                let changed = advance(
                    state,
                    &tenant,
                    &event,
                    Some(message.received_at),
                    &message.message_id,
                )
                .await;
                record_step(state, changed, Some(message.inbox_id)).await;
                schedule_idle_check(&myself, state);
            }
            ConversationMsg::OrderStatusChanged {
                tenant,
                order_number,
                status,
            } => {
                let event = Event::OrderStatusChanged {
                    order_number,
                    status,
                };
                let checkout_key = format!("notice-{}", Uuid::new_v4());
                let changed = advance(state, &tenant, &event, None, &checkout_key).await;
                record_step(state, changed, None).await;
                schedule_idle_check(&myself, state);
            }
            ConversationMsg::IdleCheck { handled } => {
                if handled == state.handled {
                    state.args.tenant.cast(TenantMsg::ConversationIdle {
                        customer: state.args.customer.clone(),
                        handled,
                    })?;
                }
            }
            ConversationMsg::Passivate => {
                ::metrics::counter!(metrics::PASSIVATIONS).increment(1);
                myself.stop(Some("passivated".to_owned()));
            }
        }
        Ok(())
    }
}

fn schedule_idle_check(myself: &ActorRef<ConversationMsg>, state: &mut ConversationActorState) {
    state.handled += 1;
    let handled = state.handled;
    myself.send_after(state.args.idle, move || ConversationMsg::IdleCheck {
        handled,
    });
}

/// Runs the plugin on `event` and carries out every resulting action,
/// feeding order outcomes back to the plugin. An order is placed under
/// `checkout_key` (the WAHA id of the confirming message), so replaying that
/// message finds the same order. Returns whether the state changed.
async fn advance(
    state: &mut ConversationActorState,
    tenant: &TenantShared,
    event: &Event<'_>,
    received_at: Option<Instant>,
    checkout_key: &str,
) -> bool {
    let args = &state.args;
    let conversation = state
        .conversation
        .get_or_insert_with(|| tenant.plugin.initial_state());
    let before = conversation.clone();
    let mut actions: VecDeque<Action> = tenant
        .plugin
        .handle(&tenant.context, conversation, event)
        .into();
    while let Some(action) = actions.pop_front() {
        let content = match action {
            Action::Reply(text) => OutboundContent::Text(text),
            Action::ReplyImage { url, caption } => OutboundContent::Image { url, caption },
            Action::PlaceOrder(draft) => {
                let placed = args
                    .ports
                    .orders
                    .place_order(args.tenant_id, &args.customer, &draft, checkout_key)
                    .await;
                let outcome = match placed {
                    Ok(placed) => {
                        ::metrics::counter!(metrics::ORDERS_PLACED).increment(1);
                        tracing::info!(tenant = %args.tenant_id, order = placed.order_number, "order placed");
                        Event::OrderPlaced {
                            order_number: placed.order_number,
                        }
                    }
                    Err(error) => {
                        tracing::error!(tenant = %args.tenant_id, %error, "could not save an order");
                        Event::OrderFailed
                    }
                };
                actions.extend(
                    tenant
                        .plugin
                        .handle(&tenant.context, conversation, &outcome),
                );
                continue;
            }
        };
        send(args, content, received_at);
    }
    *conversation != before
}

/// Saves the state (if it changed) and marks the inbox event processed, in
/// one transaction.
async fn record_step(state: &ConversationActorState, changed: bool, inbox_id: Option<i64>) {
    let snapshot = state.conversation.as_ref().filter(|_| changed);
    if snapshot.is_none() && inbox_id.is_none() {
        return;
    }
    let args = &state.args;
    if let Err(error) = args
        .ports
        .conversations
        .record_step(args.tenant_id, &args.customer, snapshot, inbox_id)
        .await
    {
        // The state in memory is right and is saved with the next step; the
        // unmarked inbox event would be replayed after a crash.
        tracing::error!(tenant = %args.tenant_id, %error, "could not record a conversation step");
    }
}

fn send(args: &ConversationArgs, content: OutboundContent, received_at: Option<Instant>) {
    let outbound = Outbound {
        chat_id: args.customer.clone(),
        content,
        received_at,
    };
    match args.sessions.get(&args.session) {
        Some(session) if session.cast(WahaSessionMsg::Send(outbound)).is_ok() => {}
        _ => tracing::error!(
            tenant = %args.tenant_id, session = %args.session,
            "no running WahaSession actor for this session; reply dropped"
        ),
    }
}
