//! Tenant actor: one per tenant, supervised by the tenants supervisor. Owns
//! the tenant's context (name, menu) and bot, routes each customer's events
//! to that customer's conversation actor (spawned on demand), decides
//! passivation, and handles conversation crashes: the customer is told, and
//! the next message restarts the conversation from its last snapshot.

use std::collections::HashMap;
use std::sync::Arc;

use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use uuid::Uuid;
use wabot_plugins::OrderStatus;

use crate::conversation::{Conversation, ConversationArgs, ConversationMsg, TenantShared};
use crate::inbound::InboundMessage;
use crate::metrics;
use crate::ports::OutboundContent;
use crate::ports::{Ports, TenantProfile};
use crate::registry::{PluginCatalog, SessionRegistry};
use crate::settings::RuntimeSettings;
use crate::storage_retry::with_patience;
use crate::waha_session::{Outbound, WahaSessionMsg};

/// Sent to a customer whose conversation crashed.
const CRASH_APOLOGY: &str =
    "Sorry, something went wrong on our side. Please send your last message again.";

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

/// Everything needed to start a tenant actor.
#[derive(Clone)]
pub struct TenantArgs {
    /// Tenant id.
    pub tenant_id: Uuid,
    /// Storage ports.
    pub ports: Ports,
    /// Where session actors are found.
    pub sessions: SessionRegistry,
    /// Which bot serves which plugin kind.
    pub plugins: PluginCatalog,
    /// Runtime settings.
    pub settings: RuntimeSettings,
}

struct LiveConversation {
    actor: ActorRef<ConversationMsg>,
    /// Messages routed to it, compared with its handled count to passivate safely.
    forwarded: u64,
}

/// State: the loaded tenant and its live conversations.
pub struct TenantState {
    args: TenantArgs,
    shared: TenantShared,
    session: String,
    conversations: HashMap<String, LiveConversation>,
    customer_by_actor: HashMap<ActorId, String>,
}

/// The actor.
pub struct Tenant;

fn shared_from(profile: TenantProfile, plugins: &PluginCatalog) -> (TenantShared, String) {
    let shared = TenantShared {
        context: Arc::new(profile.context),
        plugin: plugins(profile.plugin),
    };
    (shared, profile.session_name)
}

impl Actor for Tenant {
    type Msg = TenantMsg;
    type State = TenantState;
    type Arguments = TenantArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: TenantArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let profile = with_patience("load a tenant", || {
            args.ports.tenants.tenant_profile(args.tenant_id)
        })
        .await?;
        let (shared, session) = shared_from(profile, &args.plugins);
        Ok(TenantState {
            args,
            shared,
            session,
            conversations: HashMap::new(),
            customer_by_actor: HashMap::new(),
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        myself
            .drain_children_and_wait(Some(state.args.settings.call_timeout))
            .await;
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: TenantMsg,
        state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            TenantMsg::Inbound(message) => {
                let tenant = state.shared.clone();
                let actor = conversation_for(&myself, state, &message.customer).await?;
                actor.cast(ConversationMsg::Inbound { tenant, message })?;
            }
            TenantMsg::OrderStatusChanged {
                customer,
                order_number,
                status,
            } => {
                let tenant = state.shared.clone();
                let actor = conversation_for(&myself, state, &customer).await?;
                actor.cast(ConversationMsg::OrderStatusChanged {
                    tenant,
                    order_number,
                    status,
                })?;
            }
            TenantMsg::Reload => match state
                .args
                .ports
                .tenants
                .tenant_profile(state.args.tenant_id)
                .await
            {
                Ok(profile) => {
                    (state.shared, state.session) = shared_from(profile, &state.args.plugins)
                }
                Err(error) => {
                    tracing::error!(tenant = %state.args.tenant_id, %error, "reload failed; keeping the old configuration")
                }
            },
            TenantMsg::ConversationIdle { customer, handled } => {
                let idle = state
                    .conversations
                    .get(&customer)
                    .is_some_and(|live| live.forwarded == handled);
                if let Some(live) = idle
                    .then(|| state.conversations.remove(&customer))
                    .flatten()
                {
                    live.actor.cast(ConversationMsg::Passivate)?;
                }
            }
            TenantMsg::LiveConversations(reply) => {
                // The caller may have given up waiting; that is not our failure.
                let _ = reply.send(state.conversations.len());
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorFailed(cell, error) => {
                let Some(customer) = forget(state, &cell) else {
                    return Ok(());
                };
                tracing::error!(tenant = %state.args.tenant_id, %error,
                    "conversation crashed; it restarts from its last snapshot on the next message");
                ::metrics::counter!(metrics::ACTOR_RESTARTS, "kind" => "conversation").increment(1);
                if let Some(session) = state.args.sessions.get(&state.session) {
                    session.cast(WahaSessionMsg::Send(Outbound {
                        chat_id: customer,
                        content: OutboundContent::Text(CRASH_APOLOGY.to_owned()),
                        outbox: None,
                        wa_message_id: None,
                        received_at: None,
                        permit: None,
                    }))?;
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, _) => {
                forget(state, &cell);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Drops a stopped conversation from the routing tables.
fn forget(state: &mut TenantState, cell: &ractor::ActorCell) -> Option<String> {
    let customer = state.customer_by_actor.remove(&cell.get_id())?;
    ::metrics::gauge!(metrics::LIVE_ACTORS, "kind" => "conversation").decrement(1);
    if state
        .conversations
        .get(&customer)
        .is_some_and(|live| live.actor.get_id() == cell.get_id())
    {
        state.conversations.remove(&customer);
    }
    Some(customer)
}

/// The customer's live conversation, spawned (and so rehydrated) if needed;
/// counts the message about to be forwarded.
async fn conversation_for(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    customer: &str,
) -> Result<ActorRef<ConversationMsg>, ActorProcessingErr> {
    if let Some(live) = state.conversations.get_mut(customer) {
        live.forwarded += 1;
        return Ok(live.actor.clone());
    }
    let args = ConversationArgs {
        tenant_id: state.args.tenant_id,
        customer: customer.to_owned(),
        session: state.session.clone(),
        ports: state.args.ports.clone(),
        sessions: state.args.sessions.clone(),
        tenant: myself.clone(),
        idle: state.args.settings.conversation_idle,
    };
    let (actor, _) = Actor::spawn_linked(None, Conversation, args, myself.get_cell()).await?;
    ::metrics::gauge!(metrics::LIVE_ACTORS, "kind" => "conversation").increment(1);
    state
        .customer_by_actor
        .insert(actor.get_id(), customer.to_owned());
    state.conversations.insert(
        customer.to_owned(),
        LiveConversation {
            actor: actor.clone(),
            forwarded: 1,
        },
    );
    Ok(actor)
}
