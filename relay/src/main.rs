//! `assent-relay`: serve the relay, or manage tenants and API keys.

use std::process::ExitCode;

use assent_relay::cli::{Cli, Command};
use assent_relay::clock::{Clock, SystemClock};
use assent_relay::config::Config;
use assent_relay::{admin, server, settings, store};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::resolve(&cli.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("assent-relay: {e}");
            return ExitCode::from(2);
        }
    };
    server::init_logging(&config);
    match cli.command {
        None | Some(Command::Serve) => match server::run(config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "assent-relay failed");
                ExitCode::FAILURE
            }
        },
        Some(Command::Admin(command)) => {
            let store =
                match store::connect(&config.database_url, store::StoreOptions::single()).await {
                    Ok(store) => store,
                    Err(e) => {
                        eprintln!("assent-relay: cannot open database: {e}");
                        return ExitCode::FAILURE;
                    }
                };
            let settings = settings::open(&config.database_url).await.ok();
            let mut out = std::io::stdout();
            match admin::run_with(
                store.as_ref(),
                settings.as_deref(),
                &command,
                SystemClock.now(),
                &mut out,
            )
            .await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("assent-relay: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
