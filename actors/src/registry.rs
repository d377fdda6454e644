//! Shared read-mostly indexes between actors and the HTTP layer.

use std::sync::{Arc, RwLock};

use dashmap::DashMap;
use ractor::ActorRef;

use wabot_plugins::{Plugin, PluginKind};

use crate::inbox_writer::InboxWriterMsg;
use crate::waha_client::WahaClient;
use crate::waha_session::WahaSessionHandle;

/// Which bot serves a plugin kind. Production uses
/// [`wabot_plugins::plugin_for`]; tests and custom deployments may wrap it.
pub type PluginCatalog = Arc<dyn Fn(PluginKind) -> Arc<dyn Plugin> + Send + Sync>;

/// A running session: its actor, and the client of its WAHA instance.
#[derive(Clone)]
struct SessionEntry {
    handle: WahaSessionHandle,
    client: WahaClient,
}

/// WAHA session name → its live `WahaSession` actor and its instance's
/// client. Written by shard supervisors, read by conversations when they
/// reply or fetch a customer's file.
#[derive(Clone, Default)]
pub struct SessionRegistry {
    sessions: Arc<DashMap<String, SessionEntry>>,
}

impl SessionRegistry {
    /// The actor serving `session`, if it is running.
    pub fn get(&self, session: &str) -> Option<WahaSessionHandle> {
        self.sessions
            .get(session)
            .map(|entry| entry.value().handle.clone())
    }

    /// The client of the WAHA instance `session` lives on, to download a
    /// customer's file there without waiting behind the session's sends.
    pub fn client(&self, session: &str) -> Option<WahaClient> {
        self.sessions
            .get(session)
            .map(|entry| entry.value().client.clone())
    }

    /// Records the actor now serving `session` on the instance of `client`.
    pub fn insert(
        &self,
        session: &str,
        actor: ActorRef<crate::waha_session::WahaSessionMsg>,
        client: WahaClient,
    ) {
        let handle = WahaSessionHandle::new(actor);
        self.sessions
            .insert(session.to_owned(), SessionEntry { handle, client });
    }

    /// Forgets `session` if `actor` still serves it.
    pub fn remove_if_served_by(&self, session: &str, actor: &ractor::ActorCell) {
        self.sessions.remove_if(session, |_, current| {
            current.handle.actor().get_id() == actor.get_id()
        });
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
