//! The Prometheus recorder behind `GET /metrics`. Metric names and help
//! texts live in `wabot_actors::metrics`; this module only installs the
//! recorder, once per process.

pub mod sampler;

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use wabot_actors::metrics::{
    INBOX_BATCH_SIZE, ORDER_STATUS_CHANGES, PLUGIN_STEP, REPLY_LATENCY, STORAGE_CALL, WAHA_REQUEST,
    WEBHOOKS,
};
use wabot_plugins::OrderStatus;

/// Reply latency buckets, in seconds: most replies take milliseconds; the
/// long tail is pacing, typing and WAHA retries. 2.5 s is the SLO's bound.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Calls to WAHA and to storage, in seconds.
const CALL_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A plugin step is pure CPU work: microseconds.
const STEP_BUCKETS: &[f64] = &[
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.01,
];

/// Events per inbox transaction.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder on first call and returns the handle that renders it.
pub fn recorder() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let buckets = [
                (REPLY_LATENCY, LATENCY_BUCKETS),
                (WAHA_REQUEST, CALL_BUCKETS),
                (STORAGE_CALL, CALL_BUCKETS),
                (PLUGIN_STEP, STEP_BUCKETS),
                (INBOX_BATCH_SIZE, BATCH_BUCKETS),
            ];
            let recorder = buckets
                .into_iter()
                .fold(PrometheusBuilder::new(), |builder, (metric, bounds)| {
                    builder
                        .set_buckets_for_metric(Matcher::Full(metric.to_owned()), bounds)
                        .expect("the bucket lists are not empty")
                })
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; then ours
            // renders nothing, which the metrics test would show.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            handle
        })
        .clone()
}

/// Registers at zero the server's counters of bounded label sets (webhook
/// outcomes, order statuses), as the actors do theirs, so dashboards and
/// alerts see a series before the first event. Call once the recorder is
/// installed.
pub fn register_zero_series() {
    for outcome in crate::http::webhook::OUTCOMES {
        metrics::counter!(WEBHOOKS, "outcome" => outcome).increment(0);
    }
    for status in OrderStatus::ALL {
        metrics::counter!(ORDER_STATUS_CHANGES, "status" => status.as_str()).increment(0);
    }
}
