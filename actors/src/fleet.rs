//! Fleet supervisor: one shard supervisor per registered WAHA instance,
//! supervised by the root. Remembers which sessions live on which instance
//! so a crashed shard comes back with all its sessions.

use std::collections::HashMap;
use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use uuid::Uuid;

use crate::children::{Children, RestartBudget};
use crate::ports::OutboxStore;
use crate::registry::SessionRegistry;
use crate::settings::WahaSettings;
use crate::shard::{Shard, ShardArgs, ShardMsg};
use crate::waha_specs::{WahaInstanceSpec, WahaSessionSpec};

/// What the fleet is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetCommand {
    /// Start (or keep) a shard for this instance.
    AddInstance(WahaInstanceSpec),
    /// Start serving a session on its instance's shard.
    AddSession(WahaSessionSpec),
    /// Stop serving a session (its tenant was deleted).
    RemoveSession(WahaSessionSpec),
}

/// Message of the fleet supervisor: a command, and where to confirm that
/// the actor it asks for is running (dropped unanswered on failure).
#[derive(Debug)]
pub struct FleetMsg {
    /// The command.
    pub command: FleetCommand,
    /// Confirmation port, if the sender waits.
    pub done: Option<RpcReplyPort<()>>,
}

/// Arguments of the fleet supervisor.
#[derive(Clone)]
pub struct FleetArgs {
    /// Where session actors are published.
    pub registry: SessionRegistry,
    /// Where session actors record sent messages.
    pub outbox: Arc<dyn OutboxStore>,
    /// Settings for session actors.
    pub settings: WahaSettings,
}

struct ShardEntry {
    actor: ActorRef<ShardMsg>,
    spec: WahaInstanceSpec,
    sessions: Vec<WahaSessionSpec>,
}

/// State: the shards and what each one serves.
pub struct FleetState {
    args: FleetArgs,
    shards: HashMap<Uuid, ShardEntry>,
    shard_actors: Children<Uuid>,
}

/// The actor.
pub struct Fleet;

impl Actor for Fleet {
    type Msg = FleetMsg;
    type State = FleetState;
    type Arguments = FleetArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: FleetArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(FleetState {
            args,
            shards: HashMap::new(),
            shard_actors: Children::new("shard", RestartBudget::standard()),
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
        message: FleetMsg,
        state: &mut FleetState,
    ) -> Result<(), ActorProcessingErr> {
        let FleetMsg { command, done } = message;
        match command {
            FleetCommand::AddInstance(spec) => {
                if !state.shards.contains_key(&spec.id) {
                    spawn_shard(&myself, state, spec, Vec::new()).await?;
                }
                if let Some(done) = done {
                    // The waiter may have timed out; the shard runs regardless.
                    let _ = done.send(());
                }
            }
            FleetCommand::AddSession(spec) => match state.shards.get_mut(&spec.instance_id) {
                Some(entry) => {
                    if !entry.sessions.contains(&spec) {
                        entry.sessions.push(spec.clone());
                    }
                    entry.actor.cast(ShardMsg::AddSession(spec, done))?;
                }
                None => tracing::error!(
                    session = %spec.session, instance = %spec.instance_id,
                    "session placed on an unknown WAHA instance; it cannot send"
                ),
            },
            FleetCommand::RemoveSession(spec) => {
                if let Some(entry) = state.shards.get_mut(&spec.instance_id) {
                    entry.sessions.retain(|s| s != &spec);
                    entry
                        .actor
                        .cast(ShardMsg::RemoveSession(spec.session, done))?;
                } else if let Some(done) = done {
                    // Nothing runs for it; the waiter may have timed out.
                    let _ = done.send(());
                }
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut FleetState,
    ) -> Result<(), ActorProcessingErr> {
        let (instance, failure) = match event {
            SupervisionEvent::ActorFailed(cell, error) => {
                (state.shard_actors.crashed(cell.get_id())?, Some(error))
            }
            SupervisionEvent::ActorTerminated(cell, _, _) => {
                (state.shard_actors.stopped(cell.get_id()), None)
            }
            _ => return Ok(()),
        };
        let Some(entry) = instance.and_then(|instance| state.shards.remove(&instance)) else {
            return Ok(());
        };
        if let Some(error) = failure {
            tracing::error!(instance = %entry.spec.name, %error, "shard supervisor crashed; restarting it");
            spawn_shard(&myself, state, entry.spec, entry.sessions).await?;
        }
        Ok(())
    }
}

async fn spawn_shard(
    myself: &ActorRef<FleetMsg>,
    state: &mut FleetState,
    spec: WahaInstanceSpec,
    sessions: Vec<WahaSessionSpec>,
) -> Result<(), ActorProcessingErr> {
    let args = ShardArgs {
        instance: spec.clone(),
        registry: state.args.registry.clone(),
        outbox: state.args.outbox.clone(),
        settings: state.args.settings.clone(),
    };
    let (actor, _) = Actor::spawn_linked(None, Shard, args, myself.get_cell()).await?;
    for session in &sessions {
        actor.cast(ShardMsg::AddSession(session.clone(), None))?;
    }
    tracing::info!(instance = %spec.name, sessions = sessions.len(), "shard started");
    state.shard_actors.started(actor.get_id(), spec.id);
    state.shards.insert(
        spec.id,
        ShardEntry {
            actor,
            spec,
            sessions,
        },
    );
    Ok(())
}
