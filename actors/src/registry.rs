//! Shared read-mostly indexes between actors and the HTTP layer.

use std::sync::{Arc, RwLock};

use dashmap::DashMap;
use ractor::ActorRef;

use wabot_plugins::{Plugin, PluginKind};

use crate::inbox_writer::InboxWriterMsg;
use crate::waha_session::WahaSessionMsg;

/// Which bot serves a plugin kind. Production uses
/// [`wabot_plugins::plugin_for`]; tests and custom deployments may wrap it.
pub type PluginCatalog = Arc<dyn Fn(PluginKind) -> Arc<dyn Plugin> + Send + Sync>;

/// WAHA session name → its live `WahaSession` actor. Written by shard
/// supervisors, read by conversations when they reply.
#[derive(Clone, Default)]
pub struct SessionRegistry {
    sessions: Arc<DashMap<String, ActorRef<WahaSessionMsg>>>,
}

impl SessionRegistry {
    /// The actor serving `session`, if it is running.
    pub fn get(&self, session: &str) -> Option<ActorRef<WahaSessionMsg>> {
        self.sessions
            .get(session)
            .map(|entry| entry.value().clone())
    }

    /// Records the actor now serving `session`.
    pub fn insert(&self, session: &str, actor: ActorRef<WahaSessionMsg>) {
        self.sessions.insert(session.to_owned(), actor);
    }

    /// Forgets `session` if `actor` still serves it.
    pub fn remove_if_served_by(&self, session: &str, actor: &ractor::ActorCell) {
        self.sessions
            .remove_if(session, |_, current| current.get_id() == actor.get_id());
    }
}

/// The inbox writer now running; the root replaces it after a restart.
#[derive(Clone, Default)]
pub struct WriterSlot {
    writer: Arc<RwLock<Option<ActorRef<InboxWriterMsg>>>>,
}

impl WriterSlot {
    /// The current writer, if one runs.
    pub fn get(&self) -> Option<ActorRef<InboxWriterMsg>> {
        self.writer
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Publishes a (re)started writer.
    pub fn set(&self, writer: ActorRef<InboxWriterMsg>) {
        *self
            .writer
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(writer);
    }
}
