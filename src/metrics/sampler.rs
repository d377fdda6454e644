//! Gauges no event reports, sampled every `metrics.sample_interval_secs`:
//! the storage backlog (inbox and outbox depth and age, over every tenant),
//! this node's database pool, how many tenants of each tier used 80 % and
//! 100 % of their month's quota, the health and sessions of every WAHA
//! instance, and the saturation ratio derived from them for autoscaling.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;
use wabot_actors::metrics::{
    DB_POOL_CONNECTIONS, DB_POOL_MAX, INBOX_DEPTH, INBOX_OLDEST_AGE, OUTBOX_DEPTH,
    OUTBOX_OLDEST_AGE, SATURATION, TENANTS_AT_QUOTA, WAHA_INSTANCE_UP, WAHA_SESSIONS,
};
use wabot_actors::{Runtime, WahaClient};

use crate::storage::Store;
use crate::tiers::{Tier, billing_month};

/// The session statuses WAHA reports (waha-api.md §2).
const SESSION_STATUSES: [&str; 5] = ["STOPPED", "STARTING", "SCAN_QR_CODE", "WORKING", "FAILED"];

/// How long a WAHA instance has to answer its health check.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// Quota levels counted, in percent.
const QUOTA_LEVELS: [u64; 2] = [80, 100];

/// Samples into the gauges every `interval` until the task is aborted.
pub fn spawn(
    store: Arc<dyn Store>,
    runtime: Arc<Runtime>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // One client per instance, kept across rounds.
        let mut clients = HashMap::new();
        loop {
            ticks.tick().await;
            sample(store.as_ref(), &runtime, &mut clients).await;
        }
    })
}

/// One round of samples; a failing source is logged and skipped.
async fn sample(store: &dyn Store, runtime: &Runtime, clients: &mut HashMap<Uuid, WahaClient>) {
    let pool = store.pool_stats();
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set(f64::from(pool.in_use));
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!(DB_POOL_MAX).set(f64::from(pool.max));
    let pool_usage = f64::from(pool.in_use) / f64::from(pool.max.max(1));
    metrics::gauge!(SATURATION).set(runtime.ingress_usage().max(pool_usage).min(1.0));

    match store.backlog().await {
        Ok(backlog) => {
            let now = Utc::now();
            let age = |oldest: Option<chrono::DateTime<Utc>>| {
                oldest.map_or(0.0, |at| {
                    (now - at).num_milliseconds().max(0) as f64 / 1000.0
                })
            };
            metrics::gauge!(INBOX_DEPTH).set(backlog.inbox_depth as f64);
            metrics::gauge!(INBOX_OLDEST_AGE).set(age(backlog.inbox_oldest));
            metrics::gauge!(OUTBOX_DEPTH).set(backlog.outbox_depth as f64);
            metrics::gauge!(OUTBOX_OLDEST_AGE).set(age(backlog.outbox_oldest));
        }
        Err(error) => tracing::warn!(%error, "could not sample the inbox and outbox backlog"),
    }

    sample_quotas(store).await;

    match store.list_waha_instances().await {
        Ok(instances) => {
            clients.retain(|id, _| instances.iter().any(|i| i.id == *id));
            let mut checks = tokio::task::JoinSet::new();
            for instance in instances {
                let client = clients
                    .entry(instance.id)
                    .or_insert_with(|| {
                        WahaClient::new(&instance.base_url, &instance.api_key, HEALTH_TIMEOUT)
                    })
                    .clone();
                checks.spawn(sample_instance(instance.name, client));
            }
            checks.join_all().await;
        }
        Err(error) => tracing::warn!(%error, "could not list the WAHA instances to check them"),
    }
}

/// Counts the tenants of each tier at each quota level this month.
async fn sample_quotas(store: &dyn Store) {
    let (start, end) = billing_month(Utc::now());
    let usage = match store
        .platform_usage(start.date_naive(), end.date_naive())
        .await
    {
        Ok(usage) => usage,
        Err(error) => {
            tracing::warn!(%error, "could not sample the tenants' quota use");
            return;
        }
    };
    for tier in [Tier::Free, Tier::Basic, Tier::Premium] {
        let Some(quota) = tier.monthly_messages() else {
            continue;
        };
        for level in QUOTA_LEVELS {
            let at_level = usage
                .iter()
                .filter(|t| Tier::parse(&t.subscription_tier) == Some(tier))
                .filter(|t| t.messages.max(0) as u64 * 100 >= quota * level)
                .count();
            metrics::gauge!(TENANTS_AT_QUOTA, "tier" => tier.as_str(), "level" => level.to_string())
                .set(at_level as f64);
        }
    }
}

/// Asks one instance for its sessions: up or down, and how many sessions
/// it holds by status.
async fn sample_instance(name: String, client: WahaClient) {
    match client.sessions().await {
        Ok(sessions) => {
            metrics::gauge!(WAHA_INSTANCE_UP, "waha_instance" => name.clone()).set(1.0);
            for status in SESSION_STATUSES {
                let count = sessions.iter().filter(|s| s.status == status).count();
                metrics::gauge!(WAHA_SESSIONS, "waha_instance" => name.clone(), "status" => status)
                    .set(count as f64);
            }
        }
        Err(error) => {
            metrics::gauge!(WAHA_INSTANCE_UP, "waha_instance" => name.clone()).set(0.0);
            tracing::warn!(instance = %name, %error, "WAHA instance failed its health check");
        }
    }
}
