//! Tenants supervisor: spawns a tenant actor on a tenant's first event,
//! publishes it in the tenant index (so the HTTP layer can reach it without
//! a hop), and removes it when it stops or crashes; a crashed tenant is
//! started again, from storage, on its next event.

use std::sync::Arc;

use dashmap::DashMap;
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
use uuid::Uuid;

use crate::children::{Children, RestartBudget};
use crate::ports::Ports;
use crate::registry::{PluginCatalog, SessionRegistry};
use crate::settings::RuntimeSettings;
use crate::tenant::{Tenant, TenantArgs, TenantMsg};

/// Tenant id → its live tenant actor, published for fast delivery. Only
/// the tenants supervisor writes it (these writers are private to this
/// module); everyone else reads.
#[derive(Clone, Default)]
pub struct TenantIndex(Arc<DashMap<Uuid, ActorRef<TenantMsg>>>);

impl TenantIndex {
    /// The tenant's live actor, if one is published.
    pub fn get(&self, tenant_id: &Uuid) -> Option<ActorRef<TenantMsg>> {
        self.0.get(tenant_id).map(|entry| entry.value().clone())
    }

    fn publish(&self, tenant_id: Uuid, actor: ActorRef<TenantMsg>) {
        self.0.insert(tenant_id, actor);
    }

    fn withdraw(&self, tenant_id: &Uuid, actor: &ractor::ActorCell) {
        self.0
            .remove_if(tenant_id, |_, current| current.get_id() == actor.get_id());
    }

    fn clear(&self) {
        self.0.clear();
    }
}

/// Messages of the tenants supervisor.
#[derive(Debug)]
pub enum TenantsMsg {
    /// Deliver `message` to the tenant, starting its actor if needed.
    Deliver {
        /// Tenant id.
        tenant_id: Uuid,
        /// The message.
        message: TenantMsg,
    },
    /// The tenant was deleted: stop its actor (and so its conversations).
    Remove {
        /// Tenant id.
        tenant_id: Uuid,
    },
}

/// Arguments of the tenants supervisor.
#[derive(Clone)]
pub struct TenantsArgs {
    /// Storage ports.
    pub ports: Ports,
    /// Where session actors are found.
    pub sessions: SessionRegistry,
    /// Which bot serves which plugin kind.
    pub plugins: PluginCatalog,
    /// Runtime settings.
    pub settings: RuntimeSettings,
    /// Published tenant actors.
    pub index: TenantIndex,
}

/// State: which actor is which tenant.
pub struct TenantsState {
    args: TenantsArgs,
    tenants: Children<Uuid>,
}

/// The actor.
pub struct Tenants;

impl Actor for Tenants {
    type Msg = TenantsMsg;
    type State = TenantsState;
    type Arguments = TenantsArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: TenantsArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        // A (re)started supervisor has no children yet: whatever the index
        // holds is left from the one before.
        args.index.clear();
        Ok(TenantsState {
            args,
            tenants: Children::new("tenant", RestartBudget::standard()),
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
        state.args.index.clear();
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: TenantsMsg,
        state: &mut TenantsState,
    ) -> Result<(), ActorProcessingErr> {
        let (tenant_id, message) = match message {
            TenantsMsg::Deliver { tenant_id, message } => (tenant_id, message),
            TenantsMsg::Remove { tenant_id } => {
                if let Some(actor) = state.args.index.get(&tenant_id) {
                    state.args.index.withdraw(&tenant_id, &actor.get_cell());
                    actor.stop(Some("tenant deleted".to_owned()));
                }
                return Ok(());
            }
        };
        let actor = match state.args.index.get(&tenant_id) {
            Some(actor) => actor,
            None => {
                let args = TenantArgs {
                    tenant_id,
                    ports: state.args.ports.clone(),
                    sessions: state.args.sessions.clone(),
                    plugins: state.args.plugins.clone(),
                    settings: state.args.settings.clone(),
                };
                match Actor::spawn_linked(None, Tenant, args, myself.get_cell()).await {
                    Ok((actor, _)) => {
                        state.tenants.started(actor.get_id(), tenant_id);
                        state.args.index.publish(tenant_id, actor.clone());
                        actor
                    }
                    Err(error) => {
                        tracing::error!(tenant = %tenant_id, %error, "could not start the tenant actor; event dropped");
                        return Ok(());
                    }
                }
            }
        };
        actor.cast(message)?;
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut TenantsState,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, tenant_id) = match event {
            SupervisionEvent::ActorFailed(cell, error) => {
                tracing::error!(%error, "tenant actor crashed; it restarts on the tenant's next event");
                let tenant_id = state.tenants.crashed(cell.get_id())?;
                (cell, tenant_id)
            }
            SupervisionEvent::ActorTerminated(cell, _, _) => {
                let tenant_id = state.tenants.stopped(cell.get_id());
                (cell, tenant_id)
            }
            _ => return Ok(()),
        };
        if let Some(tenant_id) = tenant_id {
            state.args.index.withdraw(&tenant_id, &cell);
        }
        Ok(())
    }
}
