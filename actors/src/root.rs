//! Root supervisor: starts the fleet and tenants supervisors and the inbox
//! writer, forwards messages to whichever instance of them is current, and
//! restarts any of them that crashes.

use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::children::RestartBudget;
use crate::fleet::{Fleet, FleetArgs, FleetCommand, FleetMsg};
use crate::inbox_writer::{InboxWriter, InboxWriterArgs};
use crate::registry::WriterSlot;
use crate::tenants::{Tenants, TenantsArgs, TenantsMsg};

/// Messages of the root supervisor.
#[derive(Debug)]
pub enum RootMsg {
    /// For the fleet supervisor.
    Fleet(FleetMsg),
    /// For the tenants supervisor.
    Tenants(TenantsMsg),
}

/// Arguments of the root supervisor.
#[derive(Clone)]
pub struct RootArgs {
    /// For the fleet supervisor.
    pub fleet: FleetArgs,
    /// For the tenants supervisor.
    pub tenants: TenantsArgs,
    /// For the inbox writer.
    pub writer: InboxWriterArgs,
    /// Where the current inbox writer is published.
    pub writer_slot: WriterSlot,
}

/// State: the two supervisors it runs.
pub struct RootState {
    args: RootArgs,
    /// Every fleet command so far (instances and sessions: few, small), to
    /// rebuild a restarted fleet supervisor.
    fleet_log: Vec<FleetCommand>,
    fleet: ActorRef<FleetMsg>,
    tenants: ActorRef<TenantsMsg>,
    writer_id: ractor::ActorId,
    /// Crashes of its children; past the budget the root fails, and the
    /// runtime reports it instead of restarting in a loop.
    restarts: RestartBudget,
}

/// The actor.
pub struct Root;

impl Actor for Root {
    type Msg = RootMsg;
    type State = RootState;
    type Arguments = RootArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: RootArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let (fleet, _) =
            Actor::spawn_linked(None, Fleet, args.fleet.clone(), myself.get_cell()).await?;
        let (tenants, _) =
            Actor::spawn_linked(None, Tenants, args.tenants.clone(), myself.get_cell()).await?;
        let writer_id = spawn_writer(&myself, &args).await?;
        Ok(RootState {
            args,
            fleet_log: Vec::new(),
            fleet,
            tenants,
            writer_id,
            restarts: RestartBudget::standard(),
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        // Tenants first: their conversations may still hand replies to sessions.
        let grace = Some(state.args.tenants.settings.call_timeout);
        state.tenants.drain_and_wait(grace).await?;
        myself.drain_children_and_wait(grace).await;
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: RootMsg,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RootMsg::Fleet(message) => {
                state.fleet_log.push(message.command.clone());
                state.fleet.cast(message)?;
            }
            RootMsg::Tenants(message) => state.tenants.cast(message)?,
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        let SupervisionEvent::ActorFailed(cell, error) = event else {
            return Ok(());
        };
        if cell.get_id() == state.fleet.get_id() {
            tracing::error!(%error, "fleet supervisor crashed; restarting it");
            state.restarts.crashed("fleet")?;
            state.fleet =
                Actor::spawn_linked(None, Fleet, state.args.fleet.clone(), myself.get_cell())
                    .await?
                    .0;
            for command in &state.fleet_log {
                state.fleet.cast(FleetMsg {
                    command: command.clone(),
                    done: None,
                })?;
            }
        } else if cell.get_id() == state.writer_id {
            tracing::error!(%error, "inbox writer crashed; restarting it");
            state.restarts.crashed("inbox_writer")?;
            state.writer_id = spawn_writer(&myself, &state.args).await?;
        } else if cell.get_id() == state.tenants.get_id() {
            tracing::error!(%error, "tenants supervisor crashed; restarting it");
            state.restarts.crashed("tenants")?;
            state.tenants =
                Actor::spawn_linked(None, Tenants, state.args.tenants.clone(), myself.get_cell())
                    .await?
                    .0;
        }
        Ok(())
    }
}

async fn spawn_writer(
    myself: &ActorRef<RootMsg>,
    args: &RootArgs,
) -> Result<ractor::ActorId, ActorProcessingErr> {
    let (writer, _) =
        Actor::spawn_linked(None, InboxWriter, args.writer.clone(), myself.get_cell()).await?;
    args.writer_slot.set(writer.clone());
    Ok(writer.get_id())
}
