//! The command line: `wabot serve`, `wabot demo [--serve]`, `wabot migrate`,
//! `wabot openapi`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{App, shutdown_signal};
use crate::config::Settings;
use crate::{demo, http, storage, telemetry};

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
        Command::Demo { serve } => demo::run(settings, serve).await,
        Command::Openapi => {
            println!("{}", http::openapi_document().to_pretty_json()?);
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(&settings.log);
            storage::migrate(&settings.database.url).await?;
            tracing::info!(url = %settings.database.url, "migrations applied");
            Ok(())
        }
    }
}
