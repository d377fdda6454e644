//! [`Runtime`]: the handle through which the server starts, feeds and stops
//! the actor tree.

use std::time::Duration;

use std::time::Instant;

use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef};
use uuid::Uuid;
use wabot_plugins::OrderStatus;

use crate::fleet::{FleetArgs, FleetCommand, FleetMsg};
use crate::hot_path::{OutboxMarker, StepWriter};
use crate::inbound::InboundMessage;
use crate::inbox_writer::{InboxWriterArgs, InboxWriterMsg};
use crate::ingress::{BudgetLimits, InFlightPermit, IngressBudget, Overload};
use crate::metrics;
use crate::ports::Ports;
use crate::ports::{Appended, InboxEvent, NewInboxEvent};
use crate::registry::{PluginCatalog, SessionRegistry, WriterSlot};
use crate::root::{Root, RootArgs, RootMsg};
use crate::settings::RuntimeSettings;
use crate::tenant::TenantMsg;
use crate::tenants::{TenantIndex, TenantsArgs, TenantsMsg};
pub use crate::waha_specs::{WahaInstanceSpec, WahaSessionSpec};

/// Why the runtime could not take a request.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The actor tree is stopped or stopping.
    #[error("the actor runtime is not running")]
    Stopped,
    /// The actor tree could not start.
    #[error("the actor runtime could not start: {0}")]
    Spawn(String),
    /// The runtime could not do what was asked.
    #[error("{0}")]
    Refused(String),
    /// Storage failed; the caller may retry.
    #[error("storage unavailable: {0}")]
    Storage(String),
}

/// A running actor tree.
pub struct Runtime {
    root: ActorRef<RootMsg>,
    tenants: TenantIndex,
    sessions: SessionRegistry,
    writer: WriterSlot,
    budget: IngressBudget,
    call_timeout: Duration,
}

impl Runtime {
    /// Starts the tree with the WAHA instances and sessions known at start-up.
    pub async fn start(
        ports: Ports,
        plugins: PluginCatalog,
        settings: RuntimeSettings,
        instances: Vec<WahaInstanceSpec>,
        sessions: Vec<WahaSessionSpec>,
    ) -> Result<Self, RuntimeError> {
        metrics::describe();
        metrics::register_zero_series();
        let args_timeout = settings.call_timeout;
        let budget = IngressBudget::new(BudgetLimits {
            in_flight: settings.max_in_flight,
            in_flight_per_tenant: settings.max_in_flight_per_tenant,
            waiting_replies: settings.max_waiting_replies,
            waiting_replies_per_tenant: settings.max_waiting_replies_per_tenant,
        });
        // Every step of every conversation, and every "sent" mark, goes
        // through one writer, which commits those waiting together in one
        // transaction.
        let mut ports = ports;
        ports.conversations = std::sync::Arc::new(StepWriter::start(
            ports.conversations.clone(),
            settings.step_batch_max,
        ));
        ports.outbox = std::sync::Arc::new(OutboxMarker::start(
            ports.outbox.clone(),
            settings.step_batch_max,
        ));
        let registry = SessionRegistry::default();
        let index = TenantIndex::default();
        let writer = WriterSlot::default();
        let inbox = ports.inbox.clone();
        let outbox = ports.outbox.clone();
        let args = RootArgs {
            writer: InboxWriterArgs {
                store: ports.inbox.clone(),
                batch_max: settings.inbox_batch_max.max(1),
                batch_delay: settings.inbox_batch_delay,
            },
            writer_slot: writer.clone(),
            fleet: FleetArgs {
                registry: registry.clone(),
                outbox: ports.outbox.clone(),
                settings: settings.waha.clone(),
            },
            tenants: TenantsArgs {
                ports,
                sessions: registry.clone(),
                plugins,
                settings,
                index: index.clone(),
            },
        };
        let (root, _) = Actor::spawn(None, Root, args)
            .await
            .map_err(|e| RuntimeError::Spawn(e.to_string()))?;
        let runtime = Self {
            root,
            tenants: index,
            sessions: registry,
            writer,
            budget,
            call_timeout: args_timeout,
        };
        for instance in instances {
            runtime.add_instance(instance).await?;
        }
        for session in sessions {
            runtime.add_session(session).await?;
        }
        // Replies committed before the stop but not confirmed by WAHA go first.
        let unsent = outbox
            .unsent()
            .await
            .map_err(|e| RuntimeError::Spawn(format!("reading the outbox: {e}")))?;
        if !unsent.is_empty() {
            tracing::info!(
                messages = unsent.len(),
                "sending outbox messages left unsent"
            );
            ::metrics::counter!(metrics::OUTBOX_RESENT).increment(unsent.len() as u64);
        }
        for message in unsent {
            match runtime.sessions.get(&message.session) {
                Some(session) => session
                    .resend_stored(message)
                    .map_err(|_| RuntimeError::Stopped)?,
                None => {
                    tracing::error!(session = %message.session, "unsent outbox message for a session that is not running")
                }
            }
        }
        let unprocessed = inbox
            .unprocessed()
            .await
            .map_err(|e| RuntimeError::Spawn(format!("reading the inbox: {e}")))?;
        if !unprocessed.is_empty() {
            tracing::info!(
                events = unprocessed.len(),
                "replaying unprocessed inbox events"
            );
            ::metrics::counter!(metrics::INBOX_REPLAYED).increment(unprocessed.len() as u64);
        }
        // Replayed in arrival order, before the server accepts new traffic.
        for InboxEvent { id, event } in unprocessed {
            runtime.deliver(inbound(id, event, Instant::now(), None))?;
        }
        Ok(runtime)
    }

    fn to_root(&self, message: RootMsg) -> Result<(), RuntimeError> {
        self.root.cast(message).map_err(|_| RuntimeError::Stopped)
    }

    async fn to_fleet(&self, command: FleetCommand) -> Result<(), RuntimeError> {
        let sent = self
            .root
            .call(
                |done| {
                    RootMsg::Fleet(FleetMsg {
                        command,
                        done: Some(done),
                    })
                },
                Some(self.call_timeout),
            )
            .await;
        match sent {
            Ok(ractor::rpc::CallResult::Success(())) => Ok(()),
            Ok(_) => Err(RuntimeError::Refused(
                "the fleet could not start the actor (is the WAHA instance registered?)".to_owned(),
            )),
            Err(_) => Err(RuntimeError::Stopped),
        }
    }

    /// Starts a shard for a newly registered WAHA instance; returns once it runs.
    pub async fn add_instance(&self, spec: WahaInstanceSpec) -> Result<(), RuntimeError> {
        self.to_fleet(FleetCommand::AddInstance(spec)).await
    }

    /// Starts the `WahaSession` actor of a newly placed session; returns
    /// once it runs, so replies for the session have a way out.
    pub async fn add_session(&self, spec: WahaSessionSpec) -> Result<(), RuntimeError> {
        self.to_fleet(FleetCommand::AddSession(spec)).await
    }

    fn to_tenant(&self, tenant_id: Uuid, message: TenantMsg) -> Result<(), RuntimeError> {
        // Fast path: the tenant actor is live and published.
        let message = match self.tenants.get(&tenant_id) {
            Some(actor) => match actor.cast(message) {
                Ok(()) => return Ok(()),
                Err(ractor::MessagingErr::SendErr(message)) => message,
                Err(_) => return Err(RuntimeError::Stopped),
            },
            None => message,
        };
        self.to_root(RootMsg::Tenants(TenantsMsg::Deliver { tenant_id, message }))
    }

    /// The share of the global in-flight budget in use now, 0 to 1.
    pub fn ingress_usage(&self) -> f64 {
        self.budget.usage()
    }

    /// Takes one unit of the global and the tenant's in-flight budget, or
    /// says which budget is spent.
    pub fn admit(&self, tenant_id: Uuid) -> Result<InFlightPermit, Overload> {
        self.budget.admit(tenant_id)
    }

    /// Stores a verified, admitted customer message in the durable inbox
    /// (group commit), then hands it to its tenant. Answers once it is
    /// stored: from then on it is not lost. A message seen before is not
    /// handed on.
    pub async fn accept(
        &self,
        event: NewInboxEvent,
        received_at: Instant,
        permit: InFlightPermit,
    ) -> Result<Appended, RuntimeError> {
        let writer = self.writer.get().ok_or(RuntimeError::Stopped)?;
        let call = writer
            .call(
                |reply| InboxWriterMsg::Append(event.clone(), reply),
                Some(self.call_timeout),
            )
            .await;
        match call {
            Ok(CallResult::Success(Ok(Appended::Stored(id)))) => {
                self.deliver(inbound(id, event, received_at, Some(permit)))?;
                Ok(Appended::Stored(id))
            }
            Ok(CallResult::Success(Ok(Appended::Duplicate))) => Ok(Appended::Duplicate),
            Ok(CallResult::Success(Err(error))) => Err(RuntimeError::Storage(error.to_string())),
            Ok(CallResult::Timeout) => Err(RuntimeError::Storage(
                "the inbox write timed out".to_owned(),
            )),
            Ok(CallResult::SenderError) | Err(_) => Err(RuntimeError::Stopped),
        }
    }

    /// Hands a verified customer message to its tenant.
    pub fn deliver(&self, message: InboundMessage) -> Result<(), RuntimeError> {
        self.to_tenant(message.tenant_id, TenantMsg::Inbound(message))
    }

    /// Tells the customer that their order moved to `status`, and why when
    /// the business gave a `reason`.
    pub fn order_status_changed(
        &self,
        tenant_id: Uuid,
        customer: &str,
        order_number: i64,
        status: OrderStatus,
        reason: Option<String>,
    ) -> Result<(), RuntimeError> {
        let message = TenantMsg::OrderStatusChanged {
            customer: customer.to_owned(),
            order_number,
            status,
            reason,
        };
        self.to_tenant(tenant_id, message)
    }

    /// Hands `customer`'s conversation back to the bot, which greets them.
    pub fn hand_back(&self, tenant_id: Uuid, customer: &str) -> Result<(), RuntimeError> {
        let message = TenantMsg::HandBack {
            customer: customer.to_owned(),
            key: format!("handback-{}", Uuid::now_v7().simple()),
        };
        self.to_tenant(tenant_id, message)
    }

    /// Stops everything running for a deleted tenant: its tenant actor (and
    /// so its conversations) and its session's actor.
    pub async fn remove_tenant(
        &self,
        tenant_id: Uuid,
        session: Option<WahaSessionSpec>,
    ) -> Result<(), RuntimeError> {
        self.to_root(RootMsg::Tenants(TenantsMsg::Remove { tenant_id }))?;
        match session {
            Some(spec) => self.to_fleet(FleetCommand::RemoveSession(spec)).await,
            None => Ok(()),
        }
    }

    /// Makes a running tenant actor reload its configuration and menu (a
    /// tenant that is not running loads them when it starts).
    pub fn reload_tenant(&self, tenant_id: Uuid) {
        if let Some(actor) = self.tenants.get(&tenant_id) {
            let _ = actor.cast(TenantMsg::Reload);
        }
    }

    /// How many of the tenant's conversations are live (0 when the tenant
    /// actor is not running).
    pub async fn live_conversations(
        &self,
        tenant_id: Uuid,
        timeout: Duration,
    ) -> Result<usize, RuntimeError> {
        let Some(actor) = self.tenants.get(&tenant_id) else {
            return Ok(0);
        };
        match actor
            .call(TenantMsg::LiveConversations, Some(timeout))
            .await
        {
            Ok(ractor::rpc::CallResult::Success(count)) => Ok(count),
            _ => Err(RuntimeError::Stopped),
        }
    }

    /// Records a `session.status` event for the session's actor.
    pub fn session_status_changed(&self, session: &str, status: &str) {
        if let Some(actor) = self.sessions.get(session) {
            let _ = actor.status_changed(status);
        }
    }

    /// Drains the tree, waiting at most `grace`: every actor handles the
    /// messages already queued for it, then stops; tenants and
    /// conversations first, so the replies they queue still reach the
    /// sessions, which then send them.
    pub async fn shutdown(&self, grace: Duration) {
        if let Err(error) = self.root.drain_and_wait(Some(grace)).await {
            tracing::warn!(%error, "the actor tree did not stop within the grace period");
        }
    }
}

fn inbound(
    inbox_id: i64,
    event: NewInboxEvent,
    received_at: Instant,
    permit: Option<InFlightPermit>,
) -> InboundMessage {
    InboundMessage {
        tenant_id: event.tenant_id,
        session: event.session,
        customer: event.customer,
        message_id: event.message_id,
        inbox_id,
        text: event.text,
        media: event.media,
        received_at,
        permit,
    }
}
