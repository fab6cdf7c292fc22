//! `assent-relay`: serve the relay, or manage tenants and API keys.

use std::process::ExitCode;

use assent_relay::cli::Cli;
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    assent_relay::cli::run(Cli::parse()).await
}
