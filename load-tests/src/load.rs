//! The load generator behind `wabot-load`. Customers are closed loops: each
//! writes a line, waits for the answer, writes the next. The same customers
//! run three times in one run:
//! - against a bare axum JSON echo server, where the answer is the webhook's
//!   2xx;
//! - against a bare relay, which acknowledges the webhook and makes the
//!   WAHA calls wabot makes for one message (`sendSeen`, then `sendText`)
//!   and nothing else: no database, no actors. It is the ceiling of a
//!   message's two HTTP exchanges on this machine;
//! - against wabot, where the answer is the bot's reply.
//!
//! wabot's throughput is reported as a ratio to both, so figures compare
//! across noisy machines.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::post;
use serde::Serialize;
use serde_json::{Value, json};

use waha_sim::driver::{Driver, sample_menu};
use waha_sim::{Simulator, SimulatorConfig, WebhookConfig};

/// What the customers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Every customer of every tenant runs a whole order (six messages).
    Ordering,
    /// Every customer asks for the menu at the same moment, three times.
    Burst,
    /// Like `ordering`, but tenant 0 has `noisy_factor` times the customers.
    Noisy,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Scenario.
    pub scenario: Scenario,
    /// Tenants (each with its own WhatsApp session).
    pub tenants: usize,
    /// Customers per tenant.
    pub customers_per_tenant: usize,
    /// How many times more customers the noisy tenant has.
    pub noisy_factor: usize,
    /// Longest wait for one answer; longer counts as lost.
    pub answer_timeout: Duration,
}

struct Customer {
    tenant: usize,
    chat_id: String,
    lines: Vec<String>,
}

fn customers(plan: &LoadPlan) -> Vec<Customer> {
    let mut all = Vec::new();
    for tenant in 0..plan.tenants {
        let count = match plan.scenario {
            Scenario::Noisy if tenant == 0 => plan.customers_per_tenant * plan.noisy_factor,
            _ => plan.customers_per_tenant,
        };
        for n in 0..count {
            let lines = match plan.scenario {
                Scenario::Burst => vec!["menu".to_owned(); 3],
                Scenario::Ordering | Scenario::Noisy => ["hi", "1", "2x 6", "checkout"]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .chain([format!("{n} Load Lane, Benchton"), "yes".to_owned()])
                    .collect(),
            };
            all.push(Customer {
                tenant,
                chat_id: format!("1{:03}{:07}@c.us", tenant, n),
                lines,
            });
        }
    }
    all
}

/// Percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Samples.
    pub samples: usize,
    /// Samples per bucket of [`BUCKET_BOUNDS_MS`] (the last: above all bounds).
    pub histogram: Vec<usize>,
}

/// Upper bounds, in ms, of the latency histogram's buckets.
pub const BUCKET_BOUNDS_MS: [f64; 12] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0,
];

impl Latency {
    fn of(mut micros: Vec<u64>) -> Self {
        if micros.is_empty() {
            return Self::default();
        }
        micros.sort_unstable();
        let at = |q: f64| {
            micros[((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1] as f64
                / 1000.0
        };
        let mut histogram = vec![0; BUCKET_BOUNDS_MS.len() + 1];
        for micros in &micros {
            let ms = *micros as f64 / 1000.0;
            let bucket = BUCKET_BOUNDS_MS
                .iter()
                .position(|bound| ms <= *bound)
                .unwrap_or(BUCKET_BOUNDS_MS.len());
            histogram[bucket] += 1;
        }
        Self {
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            samples: micros.len(),
            histogram,
        }
    }
}

/// Results of one target (wabot or the echo).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TargetResult {
    /// Customer messages answered.
    pub messages: usize,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Answered messages per second.
    pub messages_per_second: f64,
    /// Webhook acknowledgement latency (simulator's request to the 2xx).
    pub ack: Latency,
    /// Customer message to answer (reply, or 2xx for the echo).
    pub answer: Latency,
    /// The same for the noisy tenant's customers only (noisy scenario).
    pub answer_noisy_tenant: Option<Latency>,
    /// The same for the other tenants' customers (noisy scenario).
    pub answer_other_tenants: Option<Latency>,
    /// Webhook attempts answered non-2xx or not at all (retried by the simulator).
    pub webhook_errors: usize,
    /// Messages with no answer within the timeout.
    pub lost: usize,
    /// Replies beyond one per message.
    pub duplicated: usize,
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Scenario.
    pub scenario: Scenario,
    /// Tenants.
    pub tenants: usize,
    /// Customers in all.
    pub customers: usize,
    /// Against wabot.
    pub wabot: TargetResult,
    /// Against the bare echo server, same customers.
    pub echo: TargetResult,
    /// Against the bare relay, same customers.
    pub relay: TargetResult,
    /// wabot's messages/s divided by the echo's.
    pub throughput_ratio: f64,
    /// wabot's messages/s divided by the relay's.
    pub relay_ratio: f64,
}

/// A bare axum server that parses each JSON body and returns it.
pub async fn start_echo_server() -> std::io::Result<SocketAddr> {
    let app = axum::Router::new().route(
        "/echo",
        post(|Json(body): Json<Value>| async move { Json(body) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "echo server stopped");
        }
    });
    Ok(addr)
}

/// What the relay needs to answer through WAHA.
#[derive(Clone)]
struct Relay {
    client: reqwest::Client,
    waha_url: String,
    api_key: String,
    /// Bounds the answers in flight, as any real server must (wabot's
    /// sessions bound theirs): unbounded, thousands of customers open
    /// thousands of connections and the machine runs out of sockets.
    in_flight: Arc<tokio::sync::Semaphore>,
}

/// Answers the relay has in flight at most.
const RELAY_IN_FLIGHT: usize = 256;

/// A bare axum server that acknowledges each webhook at once, then makes
/// the WAHA calls wabot makes for one message: `sendSeen` and `sendText`.
async fn start_relay_server(waha_url: String, api_key: String) -> std::io::Result<SocketAddr> {
    let relay = Relay {
        client: reqwest::Client::new(),
        waha_url,
        api_key,
        in_flight: Arc::new(tokio::sync::Semaphore::new(RELAY_IN_FLIGHT)),
    };
    let app = axum::Router::new()
        .route("/relay", post(relay_message))
        .with_state(relay);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "relay server stopped");
        }
    });
    Ok(addr)
}

async fn relay_message(
    axum::extract::State(relay): axum::extract::State<Relay>,
    Json(event): Json<Value>,
) -> Json<Value> {
    let session = event["session"].as_str().unwrap_or_default().to_owned();
    let chat_id = event["payload"]["from"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let message_id = event["payload"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    tokio::spawn(async move {
        let Ok(_permit) = relay.in_flight.clone().acquire_owned().await else {
            return;
        };
        let calls = [
            (
                "sendSeen",
                json!({"session": session, "chatId": chat_id, "messageIds": [message_id]}),
            ),
            (
                "sendText",
                json!({"session": session, "chatId": chat_id, "text": "ok"}),
            ),
        ];
        for (call, body) in calls {
            let sent = relay
                .client
                .post(format!("{}/api/{call}", relay.waha_url))
                .header("X-Api-Key", &relay.api_key)
                .json(&body)
                .send()
                .await;
            if let Err(error) = sent {
                tracing::warn!(%error, call, "relay call failed");
            }
        }
    });
    Json(json!({"status": "ok"}))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Wabot,
    Echo,
    Relay,
}

impl Target {
    /// Sessions of this target start with this prefix.
    fn prefix(self) -> &'static str {
        match self {
            Target::Wabot => "load-",
            Target::Echo => "echo-",
            Target::Relay => "relay-",
        }
    }

    /// Its name in progress lines.
    fn label(self) -> &'static str {
        match self {
            Target::Wabot => "wabot",
            Target::Echo => "echo ",
            Target::Relay => "relay",
        }
    }
}

/// Registers the simulator and `tenants` restaurant tenants with their
/// sessions; returns the simulator and the sessions' names.
async fn set_up_tenants(
    tenants: usize,
    server_url: &str,
    token: &str,
) -> anyhow::Result<(Arc<Simulator>, Vec<String>, String)> {
    let sim = Arc::new(Simulator::start(SimulatorConfig::fast()).await?);
    let driver = Driver::new(server_url, token);
    let run_id = run_id();
    let instance = driver
        .register_instance(&format!("load-{run_id}"), &sim)
        .await?;
    let mut wabot_sessions = Vec::with_capacity(tenants);
    for tenant in 0..tenants {
        // Unique per server, so runs can repeat against the same database.
        let session = format!("load-{tenant}-{run_id}");
        let secret = format!("load-secret-{tenant}-0123456789");
        let created = driver
            .create_tenant(&json!({
                "business_name": format!("Load Bistro {tenant}"),
                "phone_number": format!("1999{:07}", tenant + rand_suffix()),
                "plugin_type": "restaurant",
                "session_name": session,
                "webhook_secret": secret,
                "waha_instance_id": instance["id"],
                // A load run measures the server, not the quotas of a tier.
                "subscription_tier": "enterprise",
            }))
            .await?;
        let tenant_id = created["id"].as_str().unwrap_or_default().to_owned();
        driver.put_menu(&tenant_id, &sample_menu()).await?;
        driver
            .connect_session(&sim, &session, &secret, "15550001111")
            .await?;
        wabot_sessions.push(session);
    }
    Ok((sim, wabot_sessions, run_id))
}

/// Runs `plan` against the wabot at `server_url` (operator `token`), then
/// against an echo server with the same customers, and reports both.
pub async fn run(plan: &LoadPlan, server_url: &str, token: &str) -> anyhow::Result<LoadReport> {
    let customers = customers(plan);
    let (sim, wabot_sessions, run_id) = set_up_tenants(plan.tenants, server_url, token).await?;
    let echo = start_echo_server().await?;
    let echo_sessions = baseline_sessions(
        &sim,
        plan.tenants,
        &format!("http://{echo}/echo"),
        Target::Echo,
        &run_id,
    )
    .await?;
    let relay = start_relay_server(sim.base_url(), sim.api_key().to_owned()).await?;
    let relay_sessions = baseline_sessions(
        &sim,
        plan.tenants,
        &format!("http://{relay}/relay"),
        Target::Relay,
        &run_id,
    )
    .await?;
    let echo_result = run_target(&sim, &customers, plan, Target::Echo, &echo_sessions).await;
    let relay_result = run_target(&sim, &customers, plan, Target::Relay, &relay_sessions).await;
    let wabot_result = run_target(&sim, &customers, plan, Target::Wabot, &wabot_sessions).await;
    let ratio = |baseline: &TargetResult| {
        if baseline.messages_per_second > 0.0 {
            wabot_result.messages_per_second / baseline.messages_per_second
        } else {
            0.0
        }
    };
    Ok(LoadReport {
        scenario: plan.scenario,
        tenants: plan.tenants,
        customers: customers.len(),
        throughput_ratio: ratio(&echo_result),
        relay_ratio: ratio(&relay_result),
        wabot: wabot_result,
        echo: echo_result,
        relay: relay_result,
    })
}

/// One paired simulator session per tenant whose webhooks go to `url`.
async fn baseline_sessions(
    sim: &Simulator,
    tenants: usize,
    url: &str,
    target: Target,
    run_id: &str,
) -> anyhow::Result<Vec<String>> {
    let mut sessions = Vec::with_capacity(tenants);
    for tenant in 0..tenants {
        let webhook = WebhookConfig::signed(url, &["message"], "baseline-secret-0123456789");
        let session = format!("{}{tenant}-{run_id}", target.prefix());
        sim.create_session(&session, vec![webhook], None, true)?;
        sim.pair(&session, "15550002222", "Baseline", Duration::from_secs(10))
            .await?;
        sessions.push(session);
    }
    Ok(sessions)
}

/// A short random id, to keep names unique across runs on one server.
fn run_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// A random offset that keeps tenants' phone numbers unique across runs.
fn rand_suffix() -> usize {
    (rand::random::<u32>() % 1_000_000) as usize * 10
}

async fn run_target(
    sim: &Arc<Simulator>,
    customers: &[Customer],
    plan: &LoadPlan,
    target: Target,
    sessions: &[String],
) -> TargetResult {
    let total: usize = customers.iter().map(|c| c.lines.len()).sum();
    let answered = Arc::new(AtomicUsize::new(0));
    let deliveries_before = sim.deliveries().len();
    let started = Instant::now();
    let progress = {
        let answered = answered.clone();
        let label = target.label();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let done = answered.load(Ordering::Relaxed);
                eprintln!(
                    "  {label} {done:>7}/{total} answered, {:.0} msg/s",
                    done as f64 / started.elapsed().as_secs_f64()
                );
            }
        })
    };
    let tasks: Vec<_> = customers
        .iter()
        .map(|customer| {
            let sim = sim.clone();
            let answered = answered.clone();
            let session = sessions[customer.tenant].clone();
            let chat_id = customer.chat_id.clone();
            let lines = customer.lines.clone();
            let tenant = customer.tenant;
            let timeout = plan.answer_timeout;
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(lines.len());
                let mut lost = 0;
                // Answers of an earlier target to the same chat count apart.
                let answered_before = sim.sent_count_to(&chat_id);
                for (n, line) in lines.iter().enumerate() {
                    let sent = Instant::now();
                    let Ok(id) = sim.inject_customer_message(&session, &chat_id, line) else {
                        lost += 1;
                        continue;
                    };
                    let ok = match target {
                        Target::Wabot | Target::Relay => {
                            let answers = answered_before + n + 1;
                            sim.wait_for_messages_to(&chat_id, answers, timeout).await >= answers
                        }
                        Target::Echo => sim.wait_for_delivered(&id, timeout).await.is_some(),
                    };
                    if ok {
                        latencies.push(sent.elapsed().as_micros() as u64);
                        answered.fetch_add(1, Ordering::Relaxed);
                    } else {
                        lost += 1;
                    }
                }
                (tenant, chat_id, latencies, lost)
            })
        })
        .collect();
    let mut all = Vec::new();
    let (mut noisy, mut others) = (Vec::new(), Vec::new());
    let mut lost = 0;
    let mut chats = Vec::new();
    for task in tasks {
        let Ok((tenant, chat_id, latencies, customer_lost)) = task.await else {
            continue;
        };
        lost += customer_lost;
        if tenant == 0 {
            noisy.extend_from_slice(&latencies);
        } else {
            others.extend_from_slice(&latencies);
        }
        all.extend(latencies);
        chats.push((chat_id, customer_lost));
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.abort();
    let duplicated = if target == Target::Wabot {
        let sent = sim.sent();
        customers
            .iter()
            .map(|c| {
                let replies = sent
                    .iter()
                    .filter(|r| {
                        r.chat_id == c.chat_id
                            && r.session.starts_with(target.prefix())
                            && (r.kind == "text" || r.kind == "image")
                    })
                    .count();
                replies.saturating_sub(c.lines.len())
            })
            .sum()
    } else {
        0
    };
    let deliveries = sim.deliveries();
    let ours: Vec<_> = deliveries[deliveries_before..]
        .iter()
        .filter(|d| d.event == "message" && d.session.starts_with(target.prefix()))
        .collect();
    let webhook_errors = ours
        .iter()
        .filter(|d| !d.status.is_some_and(|s| (200..300).contains(&s)))
        .count();
    let ack = Latency::of(
        ours.iter()
            .filter(|d| d.status.is_some_and(|s| (200..300).contains(&s)))
            .map(|d| d.latency_us)
            .collect(),
    );
    let messages = all.len();
    let split = plan.scenario == Scenario::Noisy;
    TargetResult {
        messages,
        seconds,
        messages_per_second: messages as f64 / seconds.max(f64::EPSILON),
        ack,
        answer: Latency::of(all),
        answer_noisy_tenant: split.then(|| Latency::of(noisy)),
        answer_other_tenants: split.then(|| Latency::of(others)),
        webhook_errors,
        lost,
        duplicated,
    }
}

impl LoadReport {
    /// The report as a Markdown table.
    pub fn markdown(&self) -> String {
        let row = |name: &str, r: &TargetResult| {
            format!(
                "| {name} | {} | {:.1} | {:.0} | {:.2} / {:.2} / {:.2} | {:.2} / {:.2} / {:.2} | {} | {} | {} |",
                r.messages,
                r.seconds,
                r.messages_per_second,
                r.ack.p50_ms,
                r.ack.p99_ms,
                r.ack.p999_ms,
                r.answer.p50_ms,
                r.answer.p99_ms,
                r.answer.p999_ms,
                r.webhook_errors,
                r.lost,
                r.duplicated,
            )
        };
        let mut text = format!(
            "## wabot-load: {:?}, {} tenants, {} customers\n\n| target | messages | s | msg/s | ack p50/p99/p999 ms | answer p50/p99/p999 ms | webhook errors | lost | duplicated |\n|---|---|---|---|---|---|---|---|---|\n{}\n{}\n{}\n\nThroughput ratio wabot / echo: **{:.3}**; wabot / relay: **{:.3}**\n",
            self.scenario,
            self.tenants,
            self.customers,
            row("wabot", &self.wabot),
            row("bare relay", &self.relay),
            row("axum echo", &self.echo),
            self.throughput_ratio,
            self.relay_ratio
        );
        if let (Some(noisy), Some(others)) = (
            &self.wabot.answer_noisy_tenant,
            &self.wabot.answer_other_tenants,
        ) {
            text.push_str(&format!(
                "\nAnswer latency, noisy tenant: p50 {:.2} ms, p99 {:.2} ms; other tenants: p50 {:.2} ms, p99 {:.2} ms\n",
                noisy.p50_ms, noisy.p99_ms, others.p50_ms, others.p99_ms
            ));
        }
        text
    }
}

/// An open-loop run: messages at a fixed rate, whatever the answers.
#[derive(Debug, Clone)]
pub struct RatePlan {
    /// Tenants.
    pub tenants: usize,
    /// Distinct customers the messages rotate over.
    pub customers: usize,
    /// Messages per second.
    pub rate: f64,
    /// How long to send.
    pub duration: Duration,
    /// How long to wait for the last answers afterwards.
    pub drain: Duration,
}

/// Results of an open-loop run.
#[derive(Debug, Clone, Serialize)]
pub struct RateReport {
    /// Messages per second offered.
    pub rate: f64,
    /// Messages offered.
    pub sent: usize,
    /// Messages wabot acknowledged (a 2xx, possibly after WAHA's retries).
    pub acknowledged: usize,
    /// Messages WAHA dropped after its last retry: never acknowledged, so
    /// never wabot's to lose (WAHA keeps no durable outbox).
    pub dropped_by_waha: usize,
    /// Acknowledged messages answered by the end of the drain.
    pub answered: usize,
    /// Webhook acknowledgement latency of accepted deliveries.
    pub ack: Latency,
    /// Webhook attempts answered 429 or 503 (to be retried by WAHA).
    pub throttled: usize,
    /// Other webhook failures.
    pub webhook_errors: usize,
    /// Acknowledged messages never answered (or still undecided at the end).
    pub lost: usize,
    /// Replies beyond one per acknowledged message.
    pub duplicated: usize,
}

#[derive(Default)]
struct RateTally {
    pending: usize,
    acknowledged: usize,
    dropped_by_waha: usize,
    answered: usize,
    unanswered: usize,
    extra: usize,
}

/// Offers `plan.rate` messages per second ("menu", one reply each) for
/// `plan.duration`, spread over the customers, then waits for the answers.
pub async fn run_rate(
    plan: &RatePlan,
    server_url: &str,
    token: &str,
) -> anyhow::Result<RateReport> {
    let (sim, sessions, _) = set_up_tenants(plan.tenants, server_url, token).await?;
    let customers: Vec<(String, String)> = (0..plan.customers.max(1))
        .map(|n| {
            (
                sessions[n % sessions.len()].clone(),
                format!("1888{n:07}@c.us"),
            )
        })
        .collect();
    let mut offered: Vec<Vec<String>> = vec![Vec::new(); customers.len()];
    let deliveries_before = sim.deliveries().len();
    let period = Duration::from_secs_f64(1.0 / plan.rate.max(0.001));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < plan.duration {
        ticker.tick().await;
        let index = sent % customers.len();
        let (session, chat_id) = &customers[index];
        if let Ok(id) = sim.inject_customer_message(session, chat_id, "menu") {
            offered[index].push(id);
            sent += 1;
        }
        if sent % (plan.rate.max(1.0) as usize) == 0 {
            eprintln!(
                "  offered {sent} messages in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    // Settle: every event acknowledged or dropped by WAHA, and every
    // acknowledged one answered, or the drain time is over.
    let deadline = Instant::now() + plan.drain;
    let tally = |sim: &Simulator| {
        let mut tally = RateTally::default();
        for ((_, chat_id), ids) in customers.iter().zip(&offered) {
            let outcomes: Vec<_> = ids.iter().map(|id| sim.delivery_outcome(id)).collect();
            let acknowledged = outcomes.iter().filter(|o| **o == Some(true)).count();
            tally.pending += outcomes.iter().filter(|o| o.is_none()).count();
            tally.acknowledged += acknowledged;
            tally.dropped_by_waha += outcomes.iter().filter(|o| **o == Some(false)).count();
            let replies = sim.sent_count_to(chat_id);
            tally.answered += replies.min(acknowledged);
            tally.unanswered += acknowledged.saturating_sub(replies);
            tally.extra += replies.saturating_sub(acknowledged);
        }
        tally
    };
    let mut settled = tally(&sim);
    while (settled.pending > 0 || settled.unanswered > 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        settled = tally(&sim);
    }
    let deliveries = sim.deliveries();
    let ours: Vec<_> = deliveries[deliveries_before..]
        .iter()
        .filter(|d| d.event == "message")
        .collect();
    let ok = |d: &&&waha_sim::DeliveryRecord| d.status.is_some_and(|s| (200..300).contains(&s));
    let throttled = ours
        .iter()
        .filter(|d| matches!(d.status, Some(429 | 503)))
        .count();
    let webhook_errors = ours.iter().filter(|d| !ok(d)).count() - throttled;
    Ok(RateReport {
        rate: plan.rate,
        sent,
        acknowledged: settled.acknowledged,
        dropped_by_waha: settled.dropped_by_waha,
        answered: settled.answered,
        ack: Latency::of(
            ours.iter()
                .filter(|d| ok(d))
                .map(|d| d.latency_us)
                .collect(),
        ),
        throttled,
        webhook_errors,
        lost: settled.unanswered + settled.pending,
        duplicated: settled.extra,
    })
}

impl LoadReport {
    /// The message-to-answer latency of every target as an SVG bar chart
    /// (share of messages per latency bucket).
    pub fn latency_svg(&self) -> String {
        let series = [
            ("wabot", "#d9480f", &self.wabot.answer),
            ("bare relay", "#2f9e44", &self.relay.answer),
            ("axum echo", "#1971c2", &self.echo.answer),
        ];
        let buckets = BUCKET_BOUNDS_MS.len() + 1;
        let (width, height, left, bottom) = (760.0, 320.0, 50.0, 40.0);
        let slot = (width - left - 10.0) / buckets as f64;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
             <text x=\"{left}\" y=\"14\">{:?}: share of messages by time to answer (ms)</text>\n",
            self.scenario
        );
        for (index, (name, colour, latency)) in series.iter().enumerate() {
            let total = latency.samples.max(1) as f64;
            for (bucket, count) in latency.histogram.iter().enumerate() {
                let share = *count as f64 / total;
                let bar = share * (height - bottom - 30.0);
                let bar_width = slot / series.len() as f64;
                let x = left + bucket as f64 * slot + index as f64 * bar_width + 1.0;
                let y = height - bottom - bar;
                svg.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar:.1}\" fill=\"{colour}\"/>\n",
                    bar_width - 2.0
                ));
            }
            svg.push_str(&format!(
                "<rect x=\"{}\" y=\"24\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"33\">{name}</text>\n",
                width - 255.0 + index as f64 * 85.0,
                width - 241.0 + index as f64 * 85.0
            ));
        }
        for bucket in 0..buckets {
            let label = BUCKET_BOUNDS_MS
                .get(bucket)
                .map_or_else(|| ">5000".to_owned(), |bound| format!("≤{bound}"));
            let x = left + bucket as f64 * slot + slot / 2.0;
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>\n",
                height - bottom + 14.0
            ));
        }
        svg.push_str("</svg>\n");
        svg
    }
}
