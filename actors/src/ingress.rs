//! In-flight budgets at the edge. ractor mailboxes are unbounded, so ingress
//! limits the messages between "accepted" and "handled": globally, and per
//! tenant so one noisy tenant cannot use the whole budget. A message carries
//! its [`InFlightPermit`]; dropping the message (handled, or lost with a
//! crashed actor) returns the permit.

use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::metrics;

/// Why a message was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Overload {
    /// The whole server is at its budget: retry later (503).
    #[error("the server is at its in-flight limit; retry later")]
    Global,
    /// This tenant is at its budget: retry later (429).
    #[error("this business is receiving more messages than it can handle; retry later")]
    Tenant,
}

/// Holds one unit of the global and the tenant budget until dropped.
#[derive(Debug)]
pub struct InFlightPermit {
    _global: OwnedSemaphorePermit,
    _tenant: OwnedSemaphorePermit,
}

impl Drop for InFlightPermit {
    fn drop(&mut self) {
        ::metrics::gauge!(metrics::IN_FLIGHT).decrement(1.0);
    }
}

/// The budgets.
#[derive(Debug)]
pub struct IngressBudget {
    global: Arc<Semaphore>,
    global_limit: usize,
    per_tenant: usize,
    tenants: DashMap<Uuid, Arc<Semaphore>>,
}

impl IngressBudget {
    /// At most `global` messages in flight, and `per_tenant` for any tenant.
    pub fn new(global: usize, per_tenant: usize) -> Self {
        ::metrics::gauge!(metrics::IN_FLIGHT_LIMIT).set(global as f64);
        Self {
            global: Arc::new(Semaphore::new(global)),
            global_limit: global,
            per_tenant,
            tenants: DashMap::new(),
        }
    }

    /// A permit for one more message of `tenant_id`, if both budgets allow.
    pub fn admit(&self, tenant_id: Uuid) -> Result<InFlightPermit, Overload> {
        let tenant = self
            .tenants
            .entry(tenant_id)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant)))
            .clone();
        let tenant = tenant.try_acquire_owned().map_err(|_| Overload::Tenant)?;
        let global = self
            .global
            .clone()
            .try_acquire_owned()
            .map_err(|_| Overload::Global)?;
        ::metrics::gauge!(metrics::IN_FLIGHT).increment(1.0);
        Ok(InFlightPermit {
            _global: global,
            _tenant: tenant,
        })
    }

    /// The share of the global budget in use now, 0 to 1.
    pub fn usage(&self) -> f64 {
        let in_flight = self.global_limit - self.global.available_permits();
        in_flight as f64 / self.global_limit.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_at_its_budget_is_refused_while_others_go_on() {
        let budget = IngressBudget::new(3, 2);
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let first = budget.admit(a).unwrap();
        let _second = budget.admit(a).unwrap();
        assert_eq!(budget.admit(a).unwrap_err(), Overload::Tenant);
        let _other = budget.admit(b).unwrap();
        assert_eq!(
            budget.admit(b).unwrap_err(),
            Overload::Global,
            "three in flight in all"
        );
        drop(first);
        let _again = budget
            .admit(a)
            .expect("a dropped permit frees both budgets");
        assert_eq!(budget.usage(), 1.0);
    }
}
