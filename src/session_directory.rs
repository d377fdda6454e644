//! Which tenant each WAHA session belongs to, and the key its webhooks are
//! signed with: loaded from storage at start-up, updated when the operator
//! adds a tenant, read on every webhook without touching the database.

use std::sync::Arc;

use dashmap::DashMap;

use crate::storage::models::SessionRoute;

/// Session name → route. Cheap to clone.
#[derive(Clone, Default)]
pub struct SessionDirectory {
    routes: Arc<DashMap<String, SessionRoute>>,
}

impl SessionDirectory {
    /// A directory holding `routes`.
    pub fn new(routes: Vec<SessionRoute>) -> Self {
        let directory = Self::default();
        for route in routes {
            directory.insert(route);
        }
        directory
    }

    /// Adds or replaces the route of `route.session`.
    pub fn insert(&self, route: SessionRoute) {
        self.routes.insert(route.session.clone(), route);
    }

    /// Forgets `session` (its tenant was deleted): its webhooks are refused.
    pub fn remove(&self, session: &str) {
        self.routes.remove(session);
    }

    /// The route of `session`, if known.
    pub fn get(&self, session: &str) -> Option<SessionRoute> {
        self.routes.get(session).map(|r| r.value().clone())
    }
}
