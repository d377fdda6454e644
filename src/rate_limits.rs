//! Request-rate limits: per credential and per tenant on the admin API;
//! per customer on inbound WhatsApp messages so one customer cannot flood a
//! tenant's bot; and, before any password is hashed, per client address and
//! per account on logins and per client address on signups, so nobody
//! can guess passwords quickly or fill the platform with tenants. Each is N
//! per minute with a burst of N (GCRA).
//!
//! By default the limits live in process (governor keyed limiters, idle keys
//! forgotten on [`RateLimits::forget_idle`]). With `limits.redis_url` set,
//! every node checks the same counters in Redis ([`shared`]), so a fleet
//! behind a load balancer enforces one limit, not one per node.

mod shared;

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;
use uuid::Uuid;
use wabot_actors::metrics::RATE_LIMITED;

use crate::storage::models::Principal;
use shared::SharedLimits;

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
    /// Login attempts per minute from one client address.
    pub login_per_address_per_minute: u32,
    /// Login attempts per minute for one account (email), from anywhere:
    /// past it the account is locked for the rest of the minute and each
    /// refused attempt is logged.
    pub login_per_account_per_minute: u32,
    /// Signups per minute from one client address.
    pub signups_per_address_per_minute: u32,
    /// `redis://host:port/db` (or `rediss://` for TLS): keep the limits in
    /// Redis, shared by every node. Unset: each node limits on its own, in
    /// memory.
    pub redis_url: Option<String>,
    /// Prefix of the limit keys in Redis.
    pub redis_prefix: String,
    /// For `rediss://`: a PEM file of the certificate authorities to trust
    /// instead of the system's (a private CA).
    pub redis_ca_file: Option<std::path::PathBuf>,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            admin_per_credential_per_minute: 600,
            admin_per_tenant_per_minute: 1200,
            customer_messages_per_minute: 30,
            login_per_address_per_minute: 20,
            login_per_account_per_minute: 5,
            signups_per_address_per_minute: 5,
            redis_url: None,
            redis_prefix: "wabot:limits".to_owned(),
            redis_ca_file: None,
        }
    }
}

/// A request over one of its limits; the message says which, for the
/// client (the HTTP layer answers 429 with `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OverLimit(pub &'static str);

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Credential,
    Tenant,
    Customer,
    LoginAddress,
    LoginAccount,
    SignupAddress,
}

impl Limit {
    const ALL: [Limit; 6] = [
        Limit::Credential,
        Limit::Tenant,
        Limit::Customer,
        Limit::LoginAddress,
        Limit::LoginAccount,
        Limit::SignupAddress,
    ];

    fn name(self) -> &'static str {
        match self {
            Limit::Credential => "credential",
            Limit::Tenant => "tenant",
            Limit::Customer => "customer",
            Limit::LoginAddress => "login_address",
            Limit::LoginAccount => "login_account",
            Limit::SignupAddress => "signup_address",
        }
    }
}

/// In-process limiters, one per [`Limit`], in the order of [`Limit::ALL`].
struct LocalLimits([DefaultKeyedRateLimiter<String>; 6]);

enum Counters {
    Local(Box<LocalLimits>),
    Shared(SharedLimits),
}

/// The server's rate limiters.
pub struct RateLimits {
    per_minute: [NonZeroU32; 6],
    counters: Counters,
}

fn per_minute(what: &str, count: u32) -> anyhow::Result<NonZeroU32> {
    NonZeroU32::new(count).ok_or_else(|| anyhow::anyhow!("limits.{what} must be at least 1"))
}

impl RateLimits {
    /// Limiters with the configured quotas; connects to Redis when
    /// `redis_url` is set (and fails if it cannot).
    pub async fn new(settings: &LimitSettings) -> anyhow::Result<Self> {
        let per_minute = [
            per_minute(
                "admin_per_credential_per_minute",
                settings.admin_per_credential_per_minute,
            )?,
            per_minute(
                "admin_per_tenant_per_minute",
                settings.admin_per_tenant_per_minute,
            )?,
            per_minute(
                "customer_messages_per_minute",
                settings.customer_messages_per_minute,
            )?,
            per_minute(
                "login_per_address_per_minute",
                settings.login_per_address_per_minute,
            )?,
            per_minute(
                "login_per_account_per_minute",
                settings.login_per_account_per_minute,
            )?,
            per_minute(
                "signups_per_address_per_minute",
                settings.signups_per_address_per_minute,
            )?,
        ];
        for limit in Limit::ALL {
            metrics::counter!(RATE_LIMITED, "limit" => limit.name()).increment(0);
        }
        let counters = match &settings.redis_url {
            Some(url) => Counters::Shared(
                SharedLimits::connect(
                    url,
                    &settings.redis_prefix,
                    settings.redis_ca_file.as_deref(),
                )
                .await?,
            ),
            None => Counters::Local(Box::new(LocalLimits(
                per_minute.map(|n| DefaultKeyedRateLimiter::dashmap(Quota::per_minute(n))),
            ))),
        };
        Ok(Self {
            per_minute,
            counters,
        })
    }

    /// Counts one request against `limit` for `key`; false when over it.
    async fn allow(&self, limit: Limit, key: String) -> bool {
        let allowed = self.check(limit, key).await;
        if !allowed {
            metrics::counter!(RATE_LIMITED, "limit" => limit.name()).increment(1);
        }
        allowed
    }

    async fn check(&self, limit: Limit, key: String) -> bool {
        match &self.counters {
            Counters::Local(local) => local.0[limit as usize].check_key(&key).is_ok(),
            Counters::Shared(shared) => {
                let per_minute = self.per_minute[limit as usize];
                shared.allow(limit.name(), &key, per_minute).await
            }
        }
    }

    /// Counts one admin API request; 429 past either limit.
    pub async fn admin_request(&self, principal: &Principal) -> Result<(), OverLimit> {
        if !self
            .allow(Limit::Credential, principal.credential.clone())
            .await
        {
            return Err(OverLimit(
                "too many requests for this credential; slow down",
            ));
        }
        if !self
            .allow(Limit::Tenant, principal.tenant_id.to_string())
            .await
        {
            return Err(OverLimit("too many requests for this tenant; slow down"));
        }
        Ok(())
    }

    /// Counts one inbound message of `customer` to `tenant_id`; false when
    /// the customer is over the limit.
    pub async fn customer_message(&self, tenant_id: Uuid, customer: &str) -> bool {
        self.allow(Limit::Customer, format!("{tenant_id}:{customer}"))
            .await
    }

    /// Counts one login attempt from `client` for `email`, before its
    /// password is checked; 429 past either limit.
    pub async fn login_attempt(&self, client: IpAddr, email: &str) -> Result<(), OverLimit> {
        if !self.allow(Limit::LoginAddress, client.to_string()).await {
            tracing::warn!(%client, "login attempts from this address refused for a while");
            return Err(OverLimit(
                "too many login attempts from this address; retry in a minute",
            ));
        }
        if !self.allow(Limit::LoginAccount, email.to_owned()).await {
            tracing::warn!(%client, email, "login attempts for this account refused for a while");
            return Err(OverLimit(
                "too many login attempts for this account; retry in a minute",
            ));
        }
        Ok(())
    }

    /// Counts one signup from `client`; 429 past the limit.
    pub async fn signup(&self, client: IpAddr) -> Result<(), OverLimit> {
        if self.allow(Limit::SignupAddress, client.to_string()).await {
            Ok(())
        } else {
            tracing::warn!(%client, "signups from this address refused for a while");
            Err(OverLimit(
                "too many signups from this address; retry in a minute",
            ))
        }
    }

    /// Whether the shared limits' Redis answers (`None`: limits are kept in
    /// process, nothing to check).
    pub async fn redis_ready(&self) -> Option<Result<(), String>> {
        match &self.counters {
            Counters::Local(_) => None,
            Counters::Shared(shared) => Some(shared.ping().await),
        }
    }

    /// Drops the in-process state of keys that are back to a full burst
    /// (Redis expires its keys by itself).
    pub fn forget_idle(&self) {
        if let Counters::Local(local) = &self.counters {
            for limiter in &local.0 {
                limiter.retain_recent();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::models::Role;

    fn principal(credential: &str, tenant: u128) -> Principal {
        Principal {
            tenant_id: Uuid::from_u128(tenant),
            role: Role::Owner,
            actor: "api_key:wbk_same".to_owned(),
            credential: credential.to_owned(),
        }
    }

    #[tokio::test]
    async fn each_credential_and_tenant_has_its_own_budget() {
        let limits = RateLimits::new(&LimitSettings {
            admin_per_credential_per_minute: 2,
            admin_per_tenant_per_minute: 3,
            customer_messages_per_minute: 1,
            ..LimitSettings::default()
        })
        .await
        .unwrap();
        let (a, b) = (principal("api_key:a", 1), principal("api_key:b", 1));
        assert!(limits.admin_request(&a).await.is_ok());
        assert!(limits.admin_request(&a).await.is_ok());
        assert!(matches!(limits.admin_request(&a).await, Err(OverLimit(_))));
        // b has its own budget, but the tenant's (3) is spent after one more.
        assert!(limits.admin_request(&b).await.is_ok());
        assert!(matches!(limits.admin_request(&b).await, Err(OverLimit(_))));
        // Another tenant is unaffected.
        assert!(
            limits
                .admin_request(&principal("api_key:c", 2))
                .await
                .is_ok()
        );

        assert!(limits.customer_message(Uuid::from_u128(1), "1@c.us").await);
        assert!(!limits.customer_message(Uuid::from_u128(1), "1@c.us").await);
        assert!(limits.customer_message(Uuid::from_u128(1), "2@c.us").await);
        assert!(limits.customer_message(Uuid::from_u128(2), "1@c.us").await);
    }

    #[tokio::test]
    async fn logins_are_limited_per_address_and_per_account() {
        let limits = RateLimits::new(&LimitSettings {
            login_per_address_per_minute: 3,
            login_per_account_per_minute: 2,
            signups_per_address_per_minute: 1,
            ..LimitSettings::default()
        })
        .await
        .unwrap();
        let (here, there) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        assert!(limits.login_attempt(here, "a@x.co").await.is_ok());
        assert!(limits.login_attempt(there, "a@x.co").await.is_ok());
        // The account is locked whichever address asks next.
        assert!(limits.login_attempt(here, "a@x.co").await.is_err());
        assert!(limits.login_attempt(here, "b@x.co").await.is_ok());
        // `here` has spent its 3 attempts, whatever the account.
        assert!(limits.login_attempt(here, "c@x.co").await.is_err());
        assert!(limits.login_attempt(there, "c@x.co").await.is_ok());

        assert!(limits.signup(here).await.is_ok());
        assert!(limits.signup(here).await.is_err());
        assert!(limits.signup(there).await.is_ok());
    }

    #[tokio::test]
    async fn a_zero_quota_is_a_configuration_error() {
        let settings = LimitSettings {
            customer_messages_per_minute: 0,
            ..LimitSettings::default()
        };
        assert!(RateLimits::new(&settings).await.is_err());
    }
}
