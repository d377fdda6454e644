//! Tenant actor: one per tenant, supervised by the tenants supervisor. Owns
//! the tenant's context (name, menu) and bot, routes each customer's events
//! to that customer's conversation actor (spawned on demand), decides
//! passivation, and handles conversation crashes: the customer is told, and
//! the next message restarts the conversation from its last snapshot.
//!
//! It also meters the tenant's quota ([`QuotaMeter`]): every handled message
//! and order notice is charged, the tenant is warned at 80 % and 100 % (an
//! event on its feed and a log line), and once the quota is exhausted (with
//! no overage allowed) a customer without a live conversation is not served
//! but told so, once a month. A suspended tenant's bot serves no one.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
use uuid::Uuid;
use wabot_plugins::i18n::Notice;

use crate::children::{Children, RestartBudget};
use crate::conversation::{Conversation, ConversationArgs, ConversationMsg};
use crate::inbound::InboundMessage;
use crate::metrics;
use crate::ports::Charge;
use crate::ports::{NewTenantEvent, OutboundContent, Ports, TenantProfile};
use crate::quota::{QuotaLevel, QuotaMeter};
use crate::registry::{PluginCatalog, SessionRegistry};
use crate::settings::RuntimeSettings;
use crate::step::{StepOutcome, StepTarget, commit};
use crate::storage_retry::with_patience;
pub use crate::tenant_messages::{TenantMsg, TenantShared};

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

/// State: the loaded tenant, its quota meter and its live conversations.
pub struct TenantState {
    args: TenantArgs,
    shared: TenantShared,
    session: String,
    tier: String,
    suspended: bool,
    meter: QuotaMeter,
    conversations: HashMap<String, LiveConversation>,
    conversation_actors: Children<String>,
}

/// The actor.
pub struct Tenant;

/// Why a customer's message is not handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The monthly quota is used up and the customer has no live conversation.
    OverQuota,
    /// The operator suspended the tenant.
    Suspended,
}

impl Refusal {
    /// Metric label and reply key prefix.
    fn reason(self) -> &'static str {
        match self {
            Refusal::OverQuota => "over_quota",
            Refusal::Suspended => "suspended",
        }
    }

    /// What the customer is told (once a month).
    fn notice(self) -> Notice {
        match self {
            Refusal::OverQuota => Notice::OverQuota,
            Refusal::Suspended => Notice::Suspended,
        }
    }
}

fn shared_from(profile: &TenantProfile, plugins: &PluginCatalog) -> TenantShared {
    TenantShared {
        context: Arc::new(profile.context.clone()),
        plugin: plugins(profile.plugin),
    }
}

/// `what`, in the tenant's language.
fn notice(state: &TenantState, what: Notice) -> String {
    let context = &state.shared.context;
    context
        .settings
        .language()
        .notice(what, &context.business_name)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
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
        Ok(TenantState {
            shared: shared_from(&profile, &args.plugins),
            meter: QuotaMeter::new(profile.quota, profile.used_this_month, today()),
            args,
            session: profile.session_name,
            tier: profile.tier,
            suspended: profile.suspended,
            conversations: HashMap::new(),
            conversation_actors: Children::new("conversation", RestartBudget::standard()),
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
                if let Some(refusal) = refusal_for(state, &message.customer) {
                    refuse(state, message, refusal);
                    return Ok(());
                }
                let charge = charge(state).await;
                let tenant = state.shared.clone();
                let actor = conversation_for(&myself, state, &message.customer).await?;
                actor.cast(ConversationMsg::Inbound {
                    tenant,
                    message,
                    charge,
                })?;
            }
            TenantMsg::OrderStatusChanged {
                customer,
                order_number,
                status,
                reason,
            } => {
                let charge = charge(state).await;
                let tenant = state.shared.clone();
                let actor = conversation_for(&myself, state, &customer).await?;
                actor.cast(ConversationMsg::OrderStatusChanged {
                    tenant,
                    order_number,
                    status,
                    reason,
                    charge,
                })?;
            }
            TenantMsg::HandBack { customer, key } => {
                let charge = charge(state).await;
                let tenant = state.shared.clone();
                let actor = conversation_for(&myself, state, &customer).await?;
                actor.cast(ConversationMsg::HandedBack {
                    tenant,
                    key,
                    charge,
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
                    state.shared = shared_from(&profile, &state.args.plugins);
                    state
                        .meter
                        .reconfigure(profile.quota, profile.used_this_month, today());
                    state.session = profile.session_name;
                    state.tier = profile.tier;
                    state.suspended = profile.suspended;
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
                let Some(customer) = state.conversation_actors.crashed(cell.get_id())? else {
                    return Ok(());
                };
                forget(state, &cell, &customer);
                tracing::error!(tenant = %state.args.tenant_id, %error,
                    "conversation crashed; it restarts from its last snapshot on the next message");
                if let Some(session) = state.args.sessions.get(&state.session) {
                    session.send_notice(customer, notice(state, Notice::CrashApology))?;
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, _) => {
                if let Some(customer) = state.conversation_actors.stopped(cell.get_id()) {
                    forget(state, &cell, &customer);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Drops `customer`'s stopped conversation `cell` from the routing table
/// (unless a newer one already serves the customer).
fn forget(state: &mut TenantState, cell: &ractor::ActorCell, customer: &str) {
    if state
        .conversations
        .get(customer)
        .is_some_and(|live| live.actor.get_id() == cell.get_id())
    {
        state.conversations.remove(customer);
    }
}

/// Why `customer`'s message should not be handled, if it should not.
fn refusal_for(state: &mut TenantState, customer: &str) -> Option<Refusal> {
    if state.suspended {
        Some(Refusal::Suspended)
    } else if !state.conversations.contains_key(customer)
        && !state.meter.admits_new_conversation(today())
    {
        Some(Refusal::OverQuota)
    } else {
        None
    }
}

/// Marks a refused message handled and, the first time this month, tells
/// the customer why. Runs beside the actor so storage never holds it up; if
/// it cannot commit, the message stays in the inbox for the next start.
fn refuse(state: &TenantState, mut message: InboundMessage, refusal: Refusal) {
    ::metrics::counter!(metrics::MESSAGES_REFUSED, "reason" => refusal.reason()).increment(1);
    let tenant_id = state.args.tenant_id;
    let (ports, sessions) = (state.args.ports.clone(), state.args.sessions.clone());
    let session = state.session.clone();
    let key = format!(
        "{}-{}-{}",
        refusal.reason(),
        state.meter.period(),
        message.customer
    );
    let reply = notice(state, refusal.notice());
    tokio::spawn(async move {
        let step = StepOutcome {
            changed: false,
            replies: vec![OutboundContent::Text(reply)],
            key: &key,
            inbox_id: Some(message.inbox_id),
            received_at: Some(message.received_at),
            permit: message.permit.take().map(Arc::new),
            charge: None,
        };
        let target = StepTarget {
            tenant_id,
            customer: &message.customer,
            session: &session,
            ports: &ports,
            sessions: &sessions,
        };
        if let Err(error) = commit(&target, None, step).await {
            tracing::error!(tenant = %tenant_id, %error, "could not record a refused message; it is replayed at the next start");
        }
    });
}

/// Counts one billable message and, when a quota level is newly reached,
/// tells the tenant: a log line and an event on its feed (recorded once per
/// level and month; retried on the next message if storage fails).
async fn charge(state: &mut TenantState) -> Charge {
    let charge = state.meter.charge(today());
    ::metrics::counter!(metrics::BILLABLE_MESSAGES, "tier" => state.tier.clone()).increment(1);
    if let Some(level) = state.meter.due_announcement() {
        let quota = state.meter.quota();
        let tenant_id = state.args.tenant_id;
        tracing::warn!(tenant = %tenant_id, used = state.meter.used(), quota = ?quota.monthly_messages,
            overage_allowed = quota.overage_allowed,
            "tenant reached {}% of its monthly message quota", level.percent());
        let event = NewTenantEvent {
            tenant_id,
            kind: level.event_kind(),
            dedupe_key: format!("{}:{}", level.event_kind(), state.meter.period()),
            data: serde_json::json!({
                "period": state.meter.period(),
                "percent": level.percent(),
                "used": state.meter.used(),
                "quota": quota.monthly_messages,
                "overage_allowed": quota.overage_allowed,
                "new_conversations_paused": level == QuotaLevel::Exhausted && !quota.overage_allowed,
            }),
        };
        match state.args.ports.events.record_event(&event).await {
            Ok(()) => state.meter.announced(level),
            Err(error) => {
                tracing::error!(tenant = %tenant_id, %error, "could not record a quota event; retrying with the next message")
            }
        }
    }
    charge
}

fn conversation_args(
    myself: &ActorRef<TenantMsg>,
    state: &TenantState,
    customer: &str,
) -> ConversationArgs {
    ConversationArgs {
        tenant_id: state.args.tenant_id,
        customer: customer.to_owned(),
        session: state.session.clone(),
        ports: state.args.ports.clone(),
        sessions: state.args.sessions.clone(),
        tenant: myself.clone(),
        idle: state.args.settings.conversation_idle,
    }
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
    let args = conversation_args(myself, state, customer);
    let (actor, _) = Actor::spawn_linked(None, Conversation, args, myself.get_cell()).await?;
    state
        .conversation_actors
        .started(actor.get_id(), customer.to_owned());
    state.conversations.insert(
        customer.to_owned(),
        LiveConversation {
            actor: actor.clone(),
            forwarded: 1,
        },
    );
    Ok(actor)
}
