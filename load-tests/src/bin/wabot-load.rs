//! `wabot-load`: load scenarios against a wabot, with a bare axum echo
//! server measured in the same run as the baseline. Prints progress and a
//! table; writes JSON and Markdown results.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use wabot_load_tests::load::{self, LoadPlan, Scenario};

/// Command-line options.
#[derive(Parser)]
#[command(
    version,
    about = "Load scenarios against wabot, measured against a bare axum echo server"
)]
struct Options {
    /// What the customers do.
    #[arg(long, value_enum, default_value = "ordering")]
    scenario: Scenario,
    /// Tenants, each with its own WhatsApp session.
    #[arg(long, default_value_t = 4)]
    tenants: usize,
    /// Customers per tenant.
    #[arg(long, default_value_t = 50)]
    customers: usize,
    /// Customers of the noisy tenant, as a multiple of the others'.
    #[arg(long, default_value_t = 20)]
    noisy_factor: usize,
    /// Seconds to wait for one answer before counting it lost.
    #[arg(long, default_value_t = 30)]
    answer_timeout_secs: u64,
    /// Start this wabot binary (`wabot serve`) for the run, on 127.0.0.1.
    #[arg(long, conflicts_with = "server")]
    spawn: Option<PathBuf>,
    /// Database of the spawned server (default: a fresh SQLite file).
    #[arg(long, requires = "spawn")]
    database: Option<String>,
    /// Or use the wabot already running at this URL...
    #[arg(long, requires = "operator_token")]
    server: Option<String>,
    /// ...with this operator token.
    #[arg(long)]
    operator_token: Option<String>,
    /// Open loop: offer this many messages per second (one reply each)
    /// instead of running the scenario's closed-loop customers.
    #[arg(long)]
    rate: Option<f64>,
    /// Open loop: for this many seconds.
    #[arg(long, default_value_t = 30, requires = "rate")]
    seconds: u64,
    /// Folder for the JSON and Markdown results.
    #[arg(long, default_value = "load-tests/results")]
    out: PathBuf,
}

/// A spawned `wabot serve`, killed when dropped.
struct SpawnedServer {
    child: tokio::process::Child,
}

impl SpawnedServer {
    /// Resident set size of the server process, in MiB (Linux).
    fn rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        let kib: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }
}

async fn spawn_server(
    binary: &PathBuf,
    database: &str,
    token: &str,
) -> anyhow::Result<(SpawnedServer, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = tokio::process::Command::new(binary)
        .arg("serve")
        .env("WABOT_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("WABOT_DATABASE__URL", database)
        .env("WABOT_OPERATOR__TOKEN", token)
        // The benchmark's database is thrown away: so is the key that
        // seals its secrets.
        .env("WABOT_SECRETS__KEYS", throwaway_sealing_key())
        .env("WABOT_LOG__LEVEL", "warn")
        // Anti-ban pacing and typing are for real WhatsApp, not for a benchmark.
        .env("WABOT_WAHA__TYPING_MS_PER_CHAR", "0")
        .env("WABOT_WAHA__MESSAGES_PER_SECOND", "100000")
        .env("WABOT_WAHA__BURST", "100000")
        // Customers here write far faster than people; measure the server,
        // not the per-customer flood limit.
        .env("WABOT_LIMITS__CUSTOMER_MESSAGES_PER_MINUTE", "1000000")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reqwest::get(format!("{url}/healthz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the spawned server did not answer /healthz"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((SpawnedServer { child }, url))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let options = Options::parse();
    waha_sim::install_tls_provider();
    let token = options
        .operator_token
        .clone()
        .unwrap_or_else(|| format!("load-{:016x}", rand::random::<u64>()));
    let (server, url) = match (&options.spawn, &options.server) {
        (Some(binary), _) => {
            let database = options.database.clone().unwrap_or_else(|| {
                let file = std::env::temp_dir()
                    .join(format!("wabot-load-{:08x}.db", rand::random::<u32>()));
                format!("sqlite://{}", file.display())
            });
            eprintln!("starting {} on {database}", binary.display());
            let (server, url) = spawn_server(binary, &database, &token).await?;
            (Some(server), url)
        }
        (None, Some(url)) => (None, url.clone()),
        (None, None) => {
            anyhow::bail!("give --spawn <wabot binary> or --server <url> --operator-token <token>")
        }
    };
    std::fs::create_dir_all(&options.out)?;
    let stamp = chrono_stamp();
    if let Some(rate) = options.rate {
        return run_open_loop(&options, rate, &url, &token, server.as_ref(), stamp).await;
    }
    let plan = LoadPlan {
        scenario: options.scenario,
        tenants: options.tenants.max(1),
        customers_per_tenant: options.customers.max(1),
        noisy_factor: options.noisy_factor.max(1),
        answer_timeout: Duration::from_secs(options.answer_timeout_secs),
    };
    eprintln!(
        "scenario {:?}: {} tenants, {} customers per tenant",
        plan.scenario, plan.tenants, plan.customers_per_tenant
    );
    let report = load::run(&plan, &url, &token).await?;
    let markdown = report.markdown();
    println!("{markdown}");
    let base = options
        .out
        .join(format!("{:?}-{stamp}", plan.scenario).to_lowercase());
    write_results(&base, &report, &markdown)?;
    std::fs::write(base.with_extension("svg"), report.latency_svg())?;
    anyhow::ensure!(
        report.wabot.lost == 0 && report.wabot.duplicated == 0,
        "messages were lost or duplicated"
    );
    Ok(())
}

/// The open-loop run, with the spawned server's RSS sampled 10 s in (after
/// warm-up) and at the end.
async fn run_open_loop(
    options: &Options,
    rate: f64,
    url: &str,
    token: &str,
    server: Option<&SpawnedServer>,
    stamp: u64,
) -> anyhow::Result<()> {
    let plan = load::RatePlan {
        tenants: options.tenants.max(1),
        customers: options.tenants.max(1) * options.customers.max(1),
        rate,
        duration: Duration::from_secs(options.seconds),
        drain: Duration::from_secs(options.answer_timeout_secs),
    };
    eprintln!(
        "open loop: {rate} msg/s for {} s over {} customers",
        options.seconds, plan.customers
    );
    let rss_warm = async {
        let server = server?;
        tokio::time::sleep(Duration::from_secs(10)).await;
        server.rss_mib()
    };
    let (report, rss_warm) = tokio::join!(load::run_rate(&plan, url, token), rss_warm);
    let report = report?;
    let rss_end = server.and_then(SpawnedServer::rss_mib);
    let growth = match (rss_warm, rss_end) {
        (Some(warm), Some(end)) => format!(
            "{warm:.1} MiB at 10 s → {end:.1} MiB at the end ({:+.1} %)",
            (end / warm - 1.0) * 100.0
        ),
        _ => "not measured (no spawned server)".to_owned(),
    };
    let markdown = format!(
        "## wabot-load open loop: {rate} msg/s for {} s\n\n| sent | acknowledged | dropped by WAHA | answered | ack p50/p99/p999 ms | 429/503 | other webhook errors | lost | duplicated |\n|---|---|---|---|---|---|---|---|---|\n| {} | {} | {} | {} | {:.2} / {:.2} / {:.2} | {} | {} | {} | {} |\n\nServer RSS: {growth}\n",
        options.seconds,
        report.sent,
        report.acknowledged,
        report.dropped_by_waha,
        report.answered,
        report.ack.p50_ms,
        report.ack.p99_ms,
        report.ack.p999_ms,
        report.throttled,
        report.webhook_errors,
        report.lost,
        report.duplicated,
    );
    println!("{markdown}");
    let base = options.out.join(format!("rate-{rate}-{stamp}"));
    write_results(&base, &report, &markdown)?;
    anyhow::ensure!(
        report.lost == 0 && report.duplicated == 0,
        "messages were lost or duplicated"
    );
    Ok(())
}

/// Writes `<base>.json` and `<base>.md`.
fn write_results(
    base: &std::path::Path,
    report: &impl serde::Serialize,
    markdown: &str,
) -> anyhow::Result<()> {
    std::fs::write(
        base.with_extension("json"),
        serde_json::to_string_pretty(report)?,
    )?;
    std::fs::write(base.with_extension("md"), markdown)?;
    eprintln!("results written to {}.{{json,md}}", base.display());
    Ok(())
}

/// Seconds since the Unix epoch, to name result files.
fn chrono_stamp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A `secrets.keys` value of one random key, for a server whose database
/// lives only as long as the run.
fn throwaway_sealing_key() -> String {
    use base64::Engine;
    let key: [u8; 32] = rand::random();
    format!(
        "load:{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}
