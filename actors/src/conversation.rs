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
use wabot_plugins::{Action, Attachment, ConversationState, Event, Menu, OrderDraft, OrderStatus};

use crate::inbound::{InboundMedia, InboundMessage};
use crate::metrics;
use crate::ports::Ports;
use crate::ports::{Charge, NewMedia, NewTenantEvent, OutboundContent, StoreError};
use crate::registry::SessionRegistry;
use crate::step::{StepOutcome, StepTarget, commit};
use crate::storage_retry::with_patience;
use crate::tenant_messages::{TenantMsg, TenantShared};

/// Messages of the conversation actor.
pub enum ConversationMsg {
    /// A customer message.
    Inbound {
        /// The tenant's current context and bot.
        tenant: TenantShared,
        /// The message.
        message: InboundMessage,
        /// What it counts against the tenant's quota.
        charge: Charge,
    },
    /// One of the customer's orders changed status.
    OrderStatusChanged {
        /// The tenant's current context and bot.
        tenant: TenantShared,
        /// Customer-facing order number.
        order_number: i64,
        /// New status.
        status: OrderStatus,
        /// Why, when the business said.
        reason: Option<String>,
        /// What the notice counts against the tenant's quota.
        charge: Charge,
    },
    /// A person of the business hands the conversation back to the bot.
    HandedBack {
        /// The tenant's current context and bot.
        tenant: TenantShared,
        /// Unique per hand-back: the key of the bot's reply.
        key: String,
        /// What the reply counts against the tenant's quota.
        charge: Charge,
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

impl ConversationArgs {
    /// This conversation as the target of a step.
    fn step_target(&self) -> StepTarget<'_> {
        StepTarget {
            tenant_id: self.tenant_id,
            customer: &self.customer,
            session: &self.session,
            ports: &self.ports,
            sessions: &self.sessions,
        }
    }
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
        state.conversation = with_patience("load a conversation", || {
            args.ports
                .conversations
                .load_conversation(args.tenant_id, &args.customer)
        })
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
            ConversationMsg::Inbound {
                tenant,
                mut message,
                charge,
            } => {
                ::metrics::counter!(metrics::MESSAGES_IN).increment(1);
                if let Some(session) = state.args.sessions.get(&state.args.session) {
                    session.mark_seen(message.customer.clone(), message.message_id.clone())?;
                }
                let attachment = match &message.media {
                    Some(media) if tenant.plugin.wants_attachments() => {
                        Some(fetch_attachment(&state.args, media, &message.message_id).await)
                    }
                    _ => None,
                };
                let event = Event::Message {
                    text: &message.text,
                    at: chrono::Utc::now(),
                    attachment: attachment.as_ref(),
                };
                let (changed, replies) = advance(state, &tenant, &event, &message.message_id).await;
                let step = StepOutcome {
                    changed,
                    replies,
                    key: &message.message_id,
                    inbox_id: Some(message.inbox_id),
                    received_at: Some(message.received_at),
                    permit: message.permit.take().map(Arc::new),
                    charge: Some(charge),
                };
                commit(&state.args.step_target(), state.conversation.as_ref(), step).await?;
                schedule_idle_check(&myself, state);
            }
            ConversationMsg::OrderStatusChanged {
                tenant,
                order_number,
                status,
                reason,
                charge,
            } => {
                let event = Event::OrderStatusChanged {
                    order_number,
                    status,
                    reason: reason.as_deref(),
                };
                let key = format!("order-{order_number}-{status}");
                proactive_step(&myself, state, &tenant, &event, &key, charge).await?;
            }
            ConversationMsg::HandedBack {
                tenant,
                key,
                charge,
            } => {
                proactive_step(&myself, state, &tenant, &Event::HandedBack, &key, charge).await?;
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

/// Fetches a customer's file from WAHA (promptly: WAHA's copy expires) and
/// keeps it for the tenant. Any failure becomes [`Attachment::Unavailable`],
/// so the bot asks for the file again; the reason is logged and counted.
async fn fetch_attachment(
    args: &ConversationArgs,
    media: &InboundMedia,
    message_id: &str,
) -> Attachment {
    let outcome = download_and_keep(args, media, message_id).await;
    let label = match &outcome {
        Ok(_) => "stored",
        Err(FetchFailure::NotDownloaded) => "not_downloaded",
        Err(FetchFailure::Waha(crate::WahaError::TooLarge(_))) => "too_large",
        Err(_) => "failed",
    };
    ::metrics::counter!(metrics::MEDIA_DOWNLOADS, "outcome" => label).increment(1);
    match outcome {
        Ok(attachment) => attachment,
        Err(error) => {
            tracing::warn!(tenant = %args.tenant_id, message = message_id, %error, "could not fetch a customer's file");
            Attachment::Unavailable
        }
    }
}

/// Why a customer's file could not be kept.
#[derive(Debug, thiserror::Error)]
enum FetchFailure {
    #[error("WAHA did not download the file (media.url is empty)")]
    NotDownloaded,
    #[error("the session is not running on any WAHA instance")]
    NoSession,
    #[error(transparent)]
    Waha(#[from] crate::WahaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn download_and_keep(
    args: &ConversationArgs,
    media: &InboundMedia,
    message_id: &str,
) -> Result<Attachment, FetchFailure> {
    let url = media.url.as_deref().ok_or(FetchFailure::NotDownloaded)?;
    let client = args
        .sessions
        .client(&args.session)
        .ok_or(FetchFailure::NoSession)?;
    let (bytes, content_type) = client.download(url, args.ports.media.max_bytes()).await?;
    let mimetype = media
        .mimetype
        .clone()
        .or(content_type)
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let media_id = args
        .ports
        .media
        .save_media(NewMedia {
            tenant_id: args.tenant_id,
            customer: &args.customer,
            message_id,
            mimetype: &mimetype,
            filename: media.filename.as_deref(),
            bytes,
        })
        .await?;
    Ok(Attachment::Stored {
        media_id: media_id.to_string(),
        mimetype,
    })
}

/// Runs an event that no customer message carried (an order notice, a
/// hand-back) and commits it under `key`, charged as one billable message.
async fn proactive_step(
    myself: &ActorRef<ConversationMsg>,
    state: &mut ConversationActorState,
    tenant: &TenantShared,
    event: &Event<'_>,
    key: &str,
    charge: Charge,
) -> Result<(), ActorProcessingErr> {
    let (changed, replies) = advance(state, tenant, event, key).await;
    let step = StepOutcome {
        changed,
        replies,
        key,
        inbox_id: None,
        received_at: None,
        permit: None,
        charge: Some(charge),
    };
    commit(&state.args.step_target(), state.conversation.as_ref(), step).await?;
    schedule_idle_check(myself, state);
    Ok(())
}

fn schedule_idle_check(myself: &ActorRef<ConversationMsg>, state: &mut ConversationActorState) {
    state.handled += 1;
    let handled = state.handled;
    myself.send_after(state.args.idle, move || ConversationMsg::IdleCheck {
        handled,
    });
}

/// Runs the plugin on `event`, placing any order it asks for (under
/// `step_key`, the WAHA id of the confirming message, so a replay finds the
/// same order) and feeding the outcome back to the plugin. Returns whether
/// the state changed and the replies to send.
async fn advance(
    state: &mut ConversationActorState,
    tenant: &TenantShared,
    event: &Event<'_>,
    step_key: &str,
) -> (bool, Vec<OutboundContent>) {
    let args = &state.args;
    let conversation = state
        .conversation
        .get_or_insert_with(|| tenant.plugin.initial_state());
    let before = conversation.clone();
    let mut replies = Vec::new();
    let mut actions: VecDeque<Action> = run_plugin(tenant, conversation, event).into();
    while let Some(action) = actions.pop_front() {
        match action {
            Action::Reply(text) => replies.push(OutboundContent::Text(text)),
            Action::ReplyImage { url, caption } => {
                replies.push(OutboundContent::Image { url, caption })
            }
            Action::HandOver => hand_over(args, step_key).await,
            Action::PlaceOrder(draft) => {
                let placed = with_patience("place an order", || {
                    args.ports
                        .orders
                        .place_order(args.tenant_id, &args.customer, &draft, step_key)
                })
                .await;
                let outcome = match placed {
                    Ok(placed) => {
                        ::metrics::counter!(metrics::ORDERS_PLACED).increment(1);
                        tracing::info!(tenant = %args.tenant_id, order = placed.order_number, "order placed");
                        if takes_counted_stock(&tenant.context.menu, &draft) {
                            // The bot shows stock: the tenant reads it again
                            // (a stopping tenant reads it when it next starts).
                            let _ = args.tenant.cast(TenantMsg::Reload);
                        }
                        Event::OrderPlaced {
                            order_number: placed.order_number,
                        }
                    }
                    Err(StoreError::OutOfStock(item_ids)) => {
                        tracing::info!(tenant = %args.tenant_id, items = ?item_ids, "order refused: out of stock");
                        actions.extend(run_plugin(
                            tenant,
                            conversation,
                            &Event::SoldOut {
                                item_ids: &item_ids,
                            },
                        ));
                        continue;
                    }
                    Err(error) => {
                        tracing::error!(tenant = %args.tenant_id, %error, "could not save an order");
                        Event::OrderFailed
                    }
                };
                actions.extend(run_plugin(tenant, conversation, &outcome));
            }
        }
    }
    (*conversation != before, replies)
}

/// Runs the tenant's bot on `event`, timing the step.
fn run_plugin(
    tenant: &TenantShared,
    conversation: &mut ConversationState,
    event: &Event<'_>,
) -> Vec<Action> {
    let started = Instant::now();
    let actions = tenant.plugin.handle(&tenant.context, conversation, event);
    ::metrics::histogram!(metrics::PLUGIN_STEP, "plugin" => tenant.plugin.kind().as_str())
        .record(started.elapsed().as_secs_f64());
    actions
}

/// Whether `draft` takes units of items whose stock is counted.
fn takes_counted_stock(menu: &Menu, draft: &OrderDraft) -> bool {
    draft.lines.iter().any(|line| {
        menu.by_id(&line.item_id)
            .is_some_and(|item| item.stock.is_some())
    })
}

/// Tells the business the customer asked for a person: an event on the
/// tenant's feed (once per asking message, so a replayed step adds none).
/// If storage fails even after waiting, the failure is logged and the
/// conversation stays handed over; the customer was told a person comes.
async fn hand_over(args: &ConversationArgs, step_key: &str) {
    ::metrics::counter!(metrics::HANDOVERS).increment(1);
    let event = NewTenantEvent {
        tenant_id: args.tenant_id,
        kind: "handoff.requested",
        dedupe_key: format!("handoff:{step_key}"),
        data: serde_json::json!({"customer": args.customer}),
    };
    let recorded = with_patience("record a handover", || {
        args.ports.events.record_event(&event)
    })
    .await;
    match recorded {
        Ok(()) => {
            tracing::info!(tenant = %args.tenant_id, "a customer asked for a person; the bot is paused for them")
        }
        Err(error) => {
            tracing::error!(tenant = %args.tenant_id, %error, "could not record a handover request")
        }
    }
}
