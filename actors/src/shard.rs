//! Shard supervisor: one per WAHA instance, supervised by the fleet
//! supervisor. Runs a `WahaSession` actor per session placed on its
//! instance, keeps the session registry current, and restarts a crashed
//! session actor with the same arguments.

use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use crate::breaker::CircuitBreaker;
use crate::children::{Children, RestartBudget};
use crate::ports::OutboxStore;
use crate::registry::SessionRegistry;
use crate::settings::WahaSettings;
use crate::waha_client::WahaClient;
use crate::waha_session::{WahaSession, WahaSessionArgs};
use crate::waha_specs::{WahaInstanceSpec, WahaSessionSpec};

/// Messages of the shard supervisor.
#[derive(Debug)]
pub enum ShardMsg {
    /// Start serving a session that lives on this instance (idempotent);
    /// confirm on the port once its actor runs.
    AddSession(WahaSessionSpec, Option<RpcReplyPort<()>>),
    /// Stop serving a session (idempotent); confirm once its actor is told.
    RemoveSession(String, Option<RpcReplyPort<()>>),
}

/// Arguments of the shard supervisor.
#[derive(Clone)]
pub struct ShardArgs {
    /// The WAHA instance.
    pub instance: WahaInstanceSpec,
    /// Where session actors are published.
    pub registry: SessionRegistry,
    /// Where session actors record sent messages.
    pub outbox: Arc<dyn OutboxStore>,
    /// Settings for the session actors.
    pub settings: WahaSettings,
}

/// State: the instance's client and the sessions it runs.
pub struct ShardState {
    args: ShardArgs,
    client: WahaClient,
    breaker: Arc<CircuitBreaker>,
    sessions: Children<String>,
}

/// The actor.
pub struct Shard;

impl Actor for Shard {
    type Msg = ShardMsg;
    type State = ShardState;
    type Arguments = ShardArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: ShardArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let client = WahaClient::new(
            &args.instance.base_url,
            &args.instance.api_key,
            args.settings.request_timeout,
        );
        let breaker = Arc::new(CircuitBreaker::new(
            &args.instance.name,
            args.settings.breaker_threshold,
            args.settings.breaker_cooldown,
        ));
        Ok(ShardState {
            args,
            client,
            breaker,
            sessions: Children::new("waha_session", RestartBudget::standard()),
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let grace = Some(state.args.settings.request_timeout);
        myself.drain_children_and_wait(grace).await;
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: ShardMsg,
        state: &mut ShardState,
    ) -> Result<(), ActorProcessingErr> {
        let done = match message {
            ShardMsg::AddSession(spec, done) => {
                if !state.sessions.keys().any(|s| s == &spec.session) {
                    spawn_session(&myself, state, spec.session).await?;
                }
                done
            }
            ShardMsg::RemoveSession(session, done) => {
                if let Some(actor) = state.args.registry.get(&session) {
                    actor.actor().stop(Some("session removed".to_owned()));
                    tracing::info!(%session, "WahaSession actor stopped: session removed");
                }
                done
            }
        };
        if let Some(done) = done {
            // The waiter may have timed out; the change stands regardless.
            let _ = done.send(());
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut ShardState,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorFailed(cell, error) => {
                if let Some(session) = state.sessions.crashed(cell.get_id())? {
                    state.args.registry.remove_if_served_by(&session, &cell);
                    tracing::error!(%session, %error, "WahaSession actor crashed; restarting it");
                    spawn_session(&myself, state, session).await?;
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, _) => {
                if let Some(session) = state.sessions.stopped(cell.get_id()) {
                    state.args.registry.remove_if_served_by(&session, &cell);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

async fn spawn_session(
    myself: &ActorRef<ShardMsg>,
    state: &mut ShardState,
    session: String,
) -> Result<(), ActorProcessingErr> {
    let args = WahaSessionArgs {
        session: session.clone(),
        client: state.client.clone(),
        breaker: state.breaker.clone(),
        outbox: state.args.outbox.clone(),
        settings: state.args.settings.clone(),
    };
    let (actor, _) = Actor::spawn_linked(None, WahaSession, args, myself.get_cell()).await?;
    tracing::info!(%session, instance = %state.args.instance.name, "WahaSession actor started");
    state
        .args
        .registry
        .insert(&session, actor.clone(), state.client.clone());
    state.sessions.started(actor.get_id(), session);
    Ok(())
}
