//! In-flight budgets at the edge. ractor mailboxes are unbounded, so ingress
//! limits the messages between "accepted" and "handled" (their step is
//! durable): globally, and per tenant so one noisy tenant cannot use the
//! whole budget. A message carries its [`InFlightPermit`]; dropping the
//! message (handled, or lost with a crashed actor) returns the permit.
//!
//! Replies a handled message produced wait in the session actors until
//! WAHA takes them; they count against a budget of their own (each holds a
//! [`ReplyTicket`]). While a tenant's (or the server's) waiting replies are
//! at that budget, new messages are refused too, so replies WAHA cannot
//! take pile up in the database, not in memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    waiting: WaitingReplies,
}

impl InFlightPermit {
    /// A ticket for one reply of this message, until WAHA takes it.
    pub fn reply_ticket(&self) -> ReplyTicket {
        self.waiting.global.fetch_add(1, Ordering::Relaxed);
        self.waiting.tenant.fetch_add(1, Ordering::Relaxed);
        ReplyTicket {
            waiting: self.waiting.clone(),
        }
    }
}

/// The counters of replies waiting for WAHA: the server's and one tenant's.
#[derive(Debug, Clone)]
struct WaitingReplies {
    global: Arc<AtomicUsize>,
    tenant: Arc<AtomicUsize>,
}

/// One reply waiting for WAHA; dropping it (sent, refused for good, or
/// left in the outbox at a stop) frees its place.
#[derive(Debug)]
pub struct ReplyTicket {
    waiting: WaitingReplies,
}

impl Drop for ReplyTicket {
    fn drop(&mut self) {
        self.waiting.global.fetch_sub(1, Ordering::Relaxed);
        self.waiting.tenant.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for InFlightPermit {
    fn drop(&mut self) {
        ::metrics::gauge!(metrics::IN_FLIGHT).decrement(1.0);
    }
}

/// How many messages may be in flight, and how many of their replies may
/// wait for WAHA, on the whole server and per tenant.
#[derive(Debug, Clone, Copy)]
pub struct BudgetLimits {
    /// Messages accepted and not yet handled, on the server.
    pub in_flight: usize,
    /// The same, per tenant.
    pub in_flight_per_tenant: usize,
    /// Replies committed and not yet taken by WAHA, on the server.
    pub waiting_replies: usize,
    /// The same, per tenant.
    pub waiting_replies_per_tenant: usize,
}

/// The budgets.
#[derive(Debug)]
pub struct IngressBudget {
    limits: BudgetLimits,
    global: Arc<Semaphore>,
    waiting_replies: Arc<AtomicUsize>,
    tenants: DashMap<Uuid, TenantBudget>,
}

/// One tenant's share.
#[derive(Debug, Clone)]
struct TenantBudget {
    in_flight: Arc<Semaphore>,
    waiting_replies: Arc<AtomicUsize>,
}

impl IngressBudget {
    /// Budgets of `limits`.
    pub fn new(limits: BudgetLimits) -> Self {
        ::metrics::gauge!(metrics::IN_FLIGHT_LIMIT).set(limits.in_flight as f64);
        Self {
            limits,
            global: Arc::new(Semaphore::new(limits.in_flight)),
            waiting_replies: Arc::new(AtomicUsize::new(0)),
            tenants: DashMap::new(),
        }
    }

    /// A permit for one more message of `tenant_id`, if every budget allows.
    pub fn admit(&self, tenant_id: Uuid) -> Result<InFlightPermit, Overload> {
        let tenant = self
            .tenants
            .entry(tenant_id)
            .or_insert_with(|| TenantBudget {
                in_flight: Arc::new(Semaphore::new(self.limits.in_flight_per_tenant)),
                waiting_replies: Arc::new(AtomicUsize::new(0)),
            })
            .clone();
        if tenant.waiting_replies.load(Ordering::Relaxed) >= self.limits.waiting_replies_per_tenant
        {
            return Err(Overload::Tenant);
        }
        if self.waiting_replies.load(Ordering::Relaxed) >= self.limits.waiting_replies {
            return Err(Overload::Global);
        }
        let in_flight = tenant
            .in_flight
            .try_acquire_owned()
            .map_err(|_| Overload::Tenant)?;
        let global = self
            .global
            .clone()
            .try_acquire_owned()
            .map_err(|_| Overload::Global)?;
        ::metrics::gauge!(metrics::IN_FLIGHT).increment(1.0);
        Ok(InFlightPermit {
            _global: global,
            _tenant: in_flight,
            waiting: WaitingReplies {
                global: self.waiting_replies.clone(),
                tenant: tenant.waiting_replies,
            },
        })
    }

    /// The share of the global budget in use now, 0 to 1.
    pub fn usage(&self) -> f64 {
        let in_flight = self.limits.in_flight - self.global.available_permits();
        in_flight as f64 / self.limits.in_flight.max(1) as f64
    }

    /// Replies waiting for WAHA on the server now.
    pub fn waiting_replies(&self) -> usize {
        self.waiting_replies.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(in_flight: usize, per_tenant: usize, replies: usize) -> BudgetLimits {
        BudgetLimits {
            in_flight,
            in_flight_per_tenant: per_tenant,
            waiting_replies: replies,
            waiting_replies_per_tenant: replies,
        }
    }

    #[test]
    fn a_tenant_at_its_budget_is_refused_while_others_go_on() {
        let budget = IngressBudget::new(limits(3, 2, 100));
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

    #[test]
    fn replies_waiting_for_waha_outlive_their_message_and_hold_the_tenant_back() {
        let budget = IngressBudget {
            limits: BudgetLimits {
                waiting_replies_per_tenant: 2,
                ..limits(10, 10, 3)
            },
            ..IngressBudget::new(limits(10, 10, 3))
        };
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let message = budget.admit(a).unwrap();
        let tickets = [message.reply_ticket(), message.reply_ticket()];
        drop(message);
        assert_eq!(
            budget.usage(),
            0.0,
            "the handled message left the in-flight budget"
        );
        assert_eq!(budget.waiting_replies(), 2);
        assert_eq!(
            budget.admit(a).unwrap_err(),
            Overload::Tenant,
            "its replies still wait for WAHA"
        );
        let other = budget.admit(b).expect("another tenant goes on");
        let _third = other.reply_ticket();
        assert_eq!(
            budget.admit(b).unwrap_err(),
            Overload::Global,
            "three replies wait in all"
        );
        drop(tickets);
        assert_eq!(budget.waiting_replies(), 1);
        budget.admit(a).expect("sent replies free the budget");
    }
}
