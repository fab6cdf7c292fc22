//! Command line of the `assent-relay` binary.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigArgs};
use crate::webhook::Destinations;
use crate::{admin, server, settings, store};

/// Assent relay: carries push-approval challenges between login servers and
/// phones. Without a subcommand it serves HTTPS (see `--tls-cert`) or, with
/// `--plain-http`, plain HTTP behind a TLS proxy.
///
/// Every option can also be given as an `ASSENT_RELAY_*` environment variable
/// or in the TOML file named by `--config`; flags win over the environment,
/// which wins over the file.
#[derive(Debug, Parser)]
#[command(name = "assent-relay", version)]
pub struct Cli {
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API over HTTPS or plain HTTP (the default).
    Serve,
    /// Manage tenants and API keys in the configured database.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// `admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Tenants (one per relying party).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// API keys of tenants.
    #[command(subcommand)]
    Key(KeyCommand),
}

/// `admin tenant` subcommands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Unique name (e.g. the login server's host name).
        name: String,
        /// Managed mode: the relay acts as this tenant's RP (holds its keys,
        /// gives verdicts over /v1/managed/...) and is trusted by it.
        #[arg(long)]
        managed: bool,
        /// RP id (host name) of a managed tenant's offers [default: the name].
        #[arg(long, requires = "managed")]
        rp_id: Option<String>,
    },
    /// List tenants.
    List,
    /// Turn managed mode on (or off with --off) for a tenant.
    SetManaged {
        /// Tenant id or name.
        tenant: String,
        /// RP id (host name) of its offers [default: the tenant's name].
        #[arg(long)]
        rp_id: Option<String>,
        /// Turn managed mode off (the tenant's managed accounts stay stored).
        #[arg(long, conflicts_with = "rp_id")]
        off: bool,
    },
    /// Set a tenant's webhook (https URL); prints its signing secret once.
    SetWebhook {
        /// Tenant id or name.
        tenant: String,
        /// The https:// URL events are POSTed to.
        url: String,
    },
    /// Remove a tenant's webhook.
    ClearWebhook {
        /// Tenant id or name.
        tenant: String,
    },
}

/// `admin key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key for a tenant; the key is printed once.
    Create {
        /// Tenant id or name.
        tenant: String,
    },
    /// Revoke an API key.
    Revoke {
        /// The key's public id (the 16 hex characters after `ask_`).
        key_id: String,
    },
    /// List a tenant's API keys (ids only).
    List {
        /// Tenant id or name.
        tenant: String,
    },
}

/// Runs the binary's command line: serve (the default) or one admin command. Exit
/// status 2 is a configuration error, 1 a failure while running.
pub async fn run(cli: Cli) -> ExitCode {
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
        Some(Command::Admin(command)) => run_admin(&config, &command).await,
    }
}

async fn run_admin(config: &Config, command: &AdminCommand) -> ExitCode {
    let store = match store::connect(&config.database_url, store::StoreOptions::single()).await {
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
        &Destinations::with_networks(&config.webhook_allow_networks),
        command,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_documents_every_option() {
        let help = Cli::command().render_long_help().to_string();
        for flag in [
            "--config",
            "--listen",
            "--database-url",
            "--db-max-connections",
            "--public-origin",
            "--body-limit",
            "--purge-interval-secs",
            "--max-wait-secs",
            "--max-challenge-ttl-secs",
            "--max-enrollment-ttl-secs",
            "--retention-secs",
            "--max-pending-per-device",
            "--log",
            "--log-format",
            "--tls-cert",
            "--tls-key",
            "--plain-http",
            "--max-long-polls-per-tenant",
            "--max-long-polls-per-device",
            "--metrics-listen",
            "--metrics-token",
            "--webhook-allow-network",
            "assent-relay-ca.pem",
            "ASSENT_RELAY_LISTEN",
        ] {
            assert!(help.contains(flag), "--help lacks {flag}");
        }
    }

    #[test]
    fn admin_commands_parse() {
        let cli = Cli::try_parse_from(["assent-relay", "admin", "key", "revoke", "00ff"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Admin(AdminCommand::Key(KeyCommand::Revoke { key_id }))) if key_id == "00ff"
        ));
        let cli = Cli::try_parse_from([
            "assent-relay",
            "admin",
            "tenant",
            "create",
            "example.com",
            "--database-url",
            "sqlite::memory:",
        ])
        .unwrap();
        assert_eq!(cli.config.database_url.as_deref(), Some("sqlite::memory:"));
    }

    #[test]
    fn abuse_limits_parse_from_flags() {
        let cli = Cli::try_parse_from([
            "assent-relay",
            "--metrics-listen",
            "off",
            "--webhook-allow-network",
            "10.20.0.0/16,fd00:1::/32",
            "--webhook-allow-network",
            "192.168.7.9",
            "--max-long-polls-per-device",
            "2",
        ])
        .unwrap();
        let config = Config::resolve(&cli.config).unwrap();
        assert_eq!(config.metrics.listen, None);
        let networks: Vec<String> = config
            .webhook_allow_networks
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            networks,
            ["10.20.0.0/16", "fd00:1::/32", "192.168.7.9/32"].map(String::from)
        );
        assert_eq!(config.limits.max_long_polls_per_device, 2);
        assert_eq!(config.limits.max_long_polls_per_tenant, 2500);
        for bad in [
            ["--metrics-listen", "loopback"],
            ["--webhook-allow-network", "10.0.0.0/40"],
        ] {
            assert!(Cli::try_parse_from(["assent-relay", bad[0], bad[1]]).is_err());
        }
        let short_token = Cli::try_parse_from(["assent-relay", "--metrics-token", "abc"]).unwrap();
        assert!(Config::resolve(&short_token.config).is_err());
    }
}
