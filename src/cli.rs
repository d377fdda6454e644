//! The command line: `wabot serve`, `wabot demo [--serve]`, `wabot migrate`,
//! `wabot openapi`, `wabot healthcheck`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use clap::{Parser, Subcommand};

use crate::app::{App, shutdown_signal};
use crate::config::Settings;
use crate::redaction::redacted_url;
use crate::{http, storage, telemetry};

/// wabot: multi-tenant WhatsApp ordering bots.
#[derive(Debug, Parser)]
#[command(name = "wabot", version, about)]
pub struct Cli {
    /// TOML settings file (default: ./wabot.toml when present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Run a complete demo order against a built-in WAHA simulator, then exit.
    Demo {
        /// Keep the server and simulator running afterwards, to try by hand.
        #[arg(long)]
        serve: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Print the OpenAPI 3 document of the HTTP API (as `/openapi.json`) and exit.
    Openapi,
    /// Exit 0 if the server configured here answers `/healthz` (for container
    /// health checks, where no curl is installed).
    Healthcheck {
        /// Ask this URL instead (default: `http://` + `server.listen`, with a
        /// wildcard address replaced by 127.0.0.1).
        #[arg(long)]
        url: Option<String>,
    },
}

/// Writes `text` and a line break to standard output. A reader that
/// stops early (`wabot openapi | head`) is not an error.
fn print_to_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    match written {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(()),
    }
}

/// Runs the chosen command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => {
            telemetry::init(&settings.log);
            let app = App::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        #[cfg(feature = "demo")]
        Command::Demo { serve } => crate::demo::run(settings, serve).await,
        #[cfg(not(feature = "demo"))]
        Command::Demo { .. } => anyhow::bail!(
            "this build has no demo (it was built without the default 'demo' feature)"
        ),
        Command::Openapi => print_to_stdout(&http::openapi_document().to_pretty_json()?),
        Command::Healthcheck { url } => {
            let url = url.unwrap_or_else(|| {
                let mut address = settings.server.listen;
                if address.ip().is_unspecified() {
                    address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{address}/healthz")
            });
            wabot_actors::waha_client::install_tls_provider();
            let answer = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(3))
                .build()?
                .get(&url)
                .send()
                .await?;
            anyhow::ensure!(
                answer.status().is_success(),
                "{url} answered {}",
                answer.status()
            );
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(&settings.log);
            let url = redacted_url(&settings.database.url);
            storage::migrate(&settings.database.url)
                .await
                .with_context(|| format!("migrating {url}"))?;
            tracing::info!(%url, "migrations applied");
            Ok(())
        }
    }
}
