//! The bookkeeping every supervisor of the tree shares: which child actor
//! stands for which key (a tenant, a customer, a WAHA instance or
//! session), the live-actor gauge of that kind, the restart counter, and a
//! restart budget.
//!
//! The budget follows OTP's restart intensity: at most `max_restarts`
//! crashes within `period`. One more means something is wrong beyond one
//! child (a bad deploy, a dependency down), so the supervisor stops
//! restarting and fails itself ([`Escalation`]), and its own supervisor
//! restarts it with fresh state, one level up.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use ractor::ActorId;

use crate::metrics;

/// Restarts allowed within a sliding period before a supervisor
/// escalates, and the crashes counted in that period.
#[derive(Debug, Clone)]
pub struct RestartBudget {
    max_restarts: usize,
    period: Duration,
    recent_crashes: VecDeque<Instant>,
}

impl RestartBudget {
    /// At most `max_restarts` crashes within `period`.
    pub fn new(max_restarts: usize, period: Duration) -> Self {
        Self {
            max_restarts,
            period,
            recent_crashes: VecDeque::new(),
        }
    }

    /// The budget of the tree's supervisors: 20 crashes within 10 seconds.
    pub fn standard() -> Self {
        Self::new(20, Duration::from_secs(10))
    }

    /// Counts a crash of a child of `kind`; an [`Escalation`] once the
    /// crashes in the period are more than the budget.
    pub fn crashed(&mut self, kind: &'static str) -> Result<(), Escalation> {
        ::metrics::counter!(metrics::ACTOR_RESTARTS, "kind" => kind).increment(1);
        let now = Instant::now();
        self.recent_crashes.push_back(now);
        while self
            .recent_crashes
            .front()
            .is_some_and(|at| now.duration_since(*at) > self.period)
        {
            self.recent_crashes.pop_front();
        }
        if self.recent_crashes.len() > self.max_restarts {
            return Err(Escalation {
                kind,
                crashes: self.recent_crashes.len(),
                period: self.period,
            });
        }
        Ok(())
    }
}

/// A supervisor whose children crashed more often than its budget allows.
#[derive(Debug, thiserror::Error)]
#[error("{kind} children crashed {crashes} times within {period:?}; escalating")]
pub struct Escalation {
    /// The kind of children.
    pub kind: &'static str,
    /// Crashes counted in the window.
    pub crashes: usize,
    /// The window.
    pub period: Duration,
}

/// The children of one supervisor, of one kind, each standing for a `K`.
#[derive(Debug)]
pub struct Children<K> {
    kind: &'static str,
    keys: HashMap<ActorId, K>,
    budget: RestartBudget,
}

impl<K> Children<K> {
    /// No children yet, of `kind` (the `kind` label of the metrics).
    pub fn new(kind: &'static str, budget: RestartBudget) -> Self {
        Self {
            kind,
            keys: HashMap::new(),
            budget,
        }
    }

    /// A child started for `key`.
    pub fn started(&mut self, actor: ActorId, key: K) {
        if self.keys.insert(actor, key).is_none() {
            ::metrics::gauge!(metrics::LIVE_ACTORS, "kind" => self.kind).increment(1);
        }
    }

    /// A child stopped normally: its key, if it was one of these.
    pub fn stopped(&mut self, actor: ActorId) -> Option<K> {
        let key = self.keys.remove(&actor)?;
        ::metrics::gauge!(metrics::LIVE_ACTORS, "kind" => self.kind).decrement(1);
        Some(key)
    }

    /// A child crashed: its key, if it was one of these (the caller
    /// decides whether to restart it), or an [`Escalation`] once the
    /// crashes are over budget.
    pub fn crashed(&mut self, actor: ActorId) -> Result<Option<K>, Escalation> {
        let Some(key) = self.stopped(actor) else {
            return Ok(None);
        };
        self.budget.crashed(self.kind)?;
        Ok(Some(key))
    }

    /// The key `actor` stands for.
    pub fn key_of(&self, actor: &ActorId) -> Option<&K> {
        self.keys.get(actor)
    }

    /// Every live child's key.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.keys.values()
    }

    /// How many children are live.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no child is live.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> ActorId {
        ActorId::Local(n)
    }

    #[test]
    fn children_are_tracked_by_key() {
        let mut children = Children::new("test", RestartBudget::standard());
        children.started(id(1), "a");
        children.started(id(2), "b");
        assert_eq!(children.len(), 2);
        assert_eq!(children.key_of(&id(2)), Some(&"b"));
        assert_eq!(children.stopped(id(1)), Some("a"));
        assert_eq!(children.stopped(id(1)), None, "once");
        assert_eq!(children.crashed(id(9)).unwrap(), None, "not ours");
        assert_eq!(children.crashed(id(2)).unwrap(), Some("b"));
        assert!(children.is_empty());
    }

    #[test]
    fn crashes_over_the_budget_escalate_and_old_ones_are_forgotten() {
        let budget = || RestartBudget::new(2, Duration::from_millis(200));
        let mut children = Children::new("test", budget());
        for n in 0..2 {
            children.started(id(n), n);
            assert_eq!(children.crashed(id(n)).unwrap(), Some(n));
        }
        children.started(id(3), 3);
        let escalation = children.crashed(id(3)).unwrap_err();
        assert_eq!(escalation.crashes, 3);

        let mut children = Children::new("test", budget());
        for n in 0..2 {
            children.started(id(n), n);
            children.crashed(id(n)).unwrap();
        }
        std::thread::sleep(Duration::from_millis(250));
        children.started(id(3), 3);
        assert_eq!(
            children.crashed(id(3)).unwrap(),
            Some(3),
            "the old crashes left the window"
        );
    }
}
