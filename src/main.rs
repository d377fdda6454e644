//! The `wabot` binary: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    wabot::cli::run(wabot::cli::Cli::parse()).await
}
