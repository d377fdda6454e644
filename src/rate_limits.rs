//! Request-rate limits (governor, in process): per credential and per tenant
//! on the admin API, and per customer on inbound WhatsApp messages so one
//! customer cannot flood a tenant's bot. Each limiter is keyed and
//! forgets idle keys on [`RateLimits::forget_idle`].

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::storage::models::Principal;

/// `[limits]`: requests per minute, each with a burst of the same size.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Admin API requests per minute for one API key or login.
    pub admin_per_credential_per_minute: u32,
    /// Admin API requests per minute for one tenant, all credentials together.
    pub admin_per_tenant_per_minute: u32,
    /// WhatsApp messages per minute one customer may send one tenant; more
    /// are answered 429, so WAHA delivers them later.
    pub customer_messages_per_minute: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            admin_per_credential_per_minute: 600,
            admin_per_tenant_per_minute: 1200,
            customer_messages_per_minute: 30,
        }
    }
}

/// The server's rate limiters.
pub struct RateLimits {
    per_credential: DefaultKeyedRateLimiter<String>,
    per_tenant: DefaultKeyedRateLimiter<Uuid>,
    per_customer: DefaultKeyedRateLimiter<(Uuid, String)>,
}

fn per_minute(what: &str, count: u32) -> anyhow::Result<Quota> {
    let count = NonZeroU32::new(count)
        .ok_or_else(|| anyhow::anyhow!("limits.{what} must be at least 1"))?;
    Ok(Quota::per_minute(count))
}

impl RateLimits {
    /// Limiters with the configured quotas.
    pub fn new(settings: &LimitSettings) -> anyhow::Result<Self> {
        Ok(Self {
            per_credential: DefaultKeyedRateLimiter::dashmap(per_minute(
                "admin_per_credential_per_minute",
                settings.admin_per_credential_per_minute,
            )?),
            per_tenant: DefaultKeyedRateLimiter::dashmap(per_minute(
                "admin_per_tenant_per_minute",
                settings.admin_per_tenant_per_minute,
            )?),
            per_customer: DefaultKeyedRateLimiter::dashmap(per_minute(
                "customer_messages_per_minute",
                settings.customer_messages_per_minute,
            )?),
        })
    }

    /// Counts one admin API request; 429 past either limit.
    pub fn admin_request(&self, principal: &Principal) -> Result<(), ApiError> {
        if self.per_credential.check_key(&principal.actor).is_err() {
            return Err(ApiError::TooManyRequests(
                "too many requests for this credential; slow down".to_owned(),
            ));
        }
        if self.per_tenant.check_key(&principal.tenant_id).is_err() {
            return Err(ApiError::TooManyRequests(
                "too many requests for this tenant; slow down".to_owned(),
            ));
        }
        Ok(())
    }

    /// Counts one inbound message of `customer` to `tenant_id`; false when
    /// the customer is over the limit.
    pub fn customer_message(&self, tenant_id: Uuid, customer: &str) -> bool {
        self.per_customer
            .check_key(&(tenant_id, customer.to_owned()))
            .is_ok()
    }

    /// Drops the state of keys that are back to a full burst.
    pub fn forget_idle(&self) {
        self.per_credential.retain_recent();
        self.per_tenant.retain_recent();
        self.per_customer.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::models::Role;

    fn principal(actor: &str, tenant: u128) -> Principal {
        Principal {
            tenant_id: Uuid::from_u128(tenant),
            role: Role::Owner,
            actor: actor.to_owned(),
        }
    }

    #[test]
    fn each_credential_and_tenant_has_its_own_budget() {
        let limits = RateLimits::new(&LimitSettings {
            admin_per_credential_per_minute: 2,
            admin_per_tenant_per_minute: 3,
            customer_messages_per_minute: 1,
        })
        .unwrap();
        let (a, b) = (principal("api_key:a", 1), principal("api_key:b", 1));
        assert!(limits.admin_request(&a).is_ok());
        assert!(limits.admin_request(&a).is_ok());
        assert!(matches!(
            limits.admin_request(&a),
            Err(ApiError::TooManyRequests(_))
        ));
        // b has its own budget, but the tenant's (3) is spent after one more.
        assert!(limits.admin_request(&b).is_ok());
        assert!(matches!(
            limits.admin_request(&b),
            Err(ApiError::TooManyRequests(_))
        ));
        // Another tenant is unaffected.
        assert!(limits.admin_request(&principal("api_key:c", 2)).is_ok());

        assert!(limits.customer_message(Uuid::from_u128(1), "1@c.us"));
        assert!(!limits.customer_message(Uuid::from_u128(1), "1@c.us"));
        assert!(limits.customer_message(Uuid::from_u128(1), "2@c.us"));
        assert!(limits.customer_message(Uuid::from_u128(2), "1@c.us"));
    }

    #[test]
    fn a_zero_quota_is_a_configuration_error() {
        let settings = LimitSettings {
            customer_messages_per_minute: 0,
            ..LimitSettings::default()
        };
        assert!(RateLimits::new(&settings).is_err());
    }
}
