//! `waha-sim`: the WAHA simulator as a standalone server, for load tests and
//! manual play. Drive it with WAHA's REST API and the `/sim/...` hooks.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use waha_sim::{Engine, Simulator, SimulatorConfig};

/// Command-line options.
#[derive(Parser)]
#[command(version, about = "In-memory WAHA (WhatsApp HTTP API) simulator")]
struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// API key clients must send as X-Api-Key (plain or sha512:<hex>).
    #[arg(long, env = "WAHA_API_KEY", default_value = "waha-sim-key")]
    api_key: String,
    /// Engine whose response shapes to imitate.
    #[arg(long, value_enum, default_value = "gows")]
    engine: Engine,
    /// Seconds a session spends in STARTING.
    #[arg(long, default_value_t = 1.0)]
    starting_seconds: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let options = Options::parse();
    let simulator = Simulator::start(SimulatorConfig {
        bind: options.listen,
        api_key: options.api_key,
        engine: options.engine,
        starting_delay: Duration::from_secs_f64(options.starting_seconds),
        ..SimulatorConfig::default()
    })
    .await?;
    println!("WAHA simulator listening on {}", simulator.base_url());
    tokio::signal::ctrl_c().await?;
    simulator.stop().await;
    Ok(())
}
