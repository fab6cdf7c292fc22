//! `assent`: a terminal authenticator on the Assent core.
//!
//! - `assent code <otpauth-uri>` prints codes for a URI without storing it
//!   (`--at`, `--counter`, `--window` as with `oathtool`);
//! - `assent accounts …` manages an encrypted vault in a home directory;
//! - `assent phone …` plays a phone against a running relay (enroll from an
//!   offer, list / approve / deny / report challenges, unenroll).
//!
//! The CLI is thin: parsing and printing here, everything else in
//! `assent-otp` and `assent-core`. Errors print one line on stderr and exit
//! with status 1 (2 for usage errors, from clap).

mod accounts;
mod code;
mod error;
mod handover;
mod home;
mod phone;
mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// A terminal authenticator: one-time codes and an encrypted accounts vault.
#[derive(Debug, Parser)]
#[command(name = "assent", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the code(s) of an otpauth:// URI ("-" reads it from stdin).
    Code(code::CodeArgs),
    /// Manage the accounts vault in DIR/data, encrypted with the key in
    /// DIR/vault.key (created with mode 0600; phones keep this key in their
    /// keystore instead).
    Accounts {
        /// The data directory (default: the platform's data dir + "/assent").
        #[arg(long, global = true, value_name = "DIR")]
        home: Option<PathBuf>,
        #[command(subcommand)]
        command: accounts::AccountsCommand,
    },
    /// Play a phone against a running relay, on the same vault (push
    /// accounts show codes too).
    Phone {
        /// The data directory (default: the platform's data dir + "/assent").
        #[arg(long, global = true, value_name = "DIR")]
        home: Option<PathBuf>,
        #[command(flatten)]
        options: phone::PhoneOptions,
        #[command(subcommand)]
        command: phone::PhoneCommand,
    },
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Code(args) => code::run(&args),
        Command::Accounts { home, command } => accounts::run(home, command),
        Command::Phone {
            home,
            options,
            command,
        } => phone::run(home, options, command),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assent: {e}");
            ExitCode::FAILURE
        }
    }
}
