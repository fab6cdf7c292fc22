//! `assent accounts …`: the vault in the home directory.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use assent_core::{AccountId, CodeTiming, Vault};
use clap::Subcommand;

use crate::code::read_uri;
use crate::error::CliError;
use crate::home;
use crate::transfer;

/// Subcommands of `assent accounts`.
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Add an account from an otpauth:// URI ("-" reads it from stdin);
    /// prints the new account's id.
    Add {
        /// The otpauth:// URI, or "-".
        uri: String,
        /// A display name instead of "Issuer: account".
        #[arg(long)]
        name: Option<String>,
    },
    /// List accounts: id, type and name, tab-separated.
    List,
    /// Remove an account.
    Remove {
        /// The account's id (from `list`).
        id: AccountId,
    },
    /// Rename an account.
    Rename {
        /// The account's id.
        id: AccountId,
        /// The new display name.
        name: String,
    },
    /// Advance an HOTP account's counter and print its new code.
    Next {
        /// The account's id.
        id: AccountId,
    },
    /// Import another authenticator's export (Aegis, 2FAS, andOTP,
    /// FreeOTP+, Bitwarden, Ente Auth, Authenticator Pro, Proton, Google
    /// Authenticator migration URIs, otpauth lists); prints each entry.
    Import {
        /// The export file.
        file: PathBuf,
        /// The environment variable holding the file's password.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Export every account to stdout.
    Export {
        /// The format to write.
        #[arg(long, value_enum)]
        format: transfer::Format,
        /// The environment variable holding the password (Aegis only).
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Write an encrypted backup of every account to FILE (argon2id +
    /// AES-256-GCM; docs/backup.md). Push accounts are saved without keys.
    Backup {
        /// The backup file to write (replaced if it exists).
        file: PathBuf,
        /// The environment variable holding the backup password.
        #[arg(long, value_name = "VAR")]
        password_env: String,
    },
    /// Restore a backup FILE: OTP accounts are added after the existing
    /// ones, push accounts listed as needing re-activation.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// The environment variable holding the backup password.
        #[arg(long, value_name = "VAR")]
        password_env: String,
    },
    /// Show every account's code and the seconds it has left.
    Codes {
        /// Refresh every second until interrupted (Ctrl-C).
        #[arg(long)]
        watch: bool,
    },
}

/// Runs an `accounts` subcommand on the vault in `home`.
pub fn run(home: Option<PathBuf>, command: AccountsCommand) -> Result<(), CliError> {
    let home = home::resolve(home)?;
    let mut vault = home::open_vault(&home)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match command {
        AccountsCommand::Add { uri, name } => {
            let uri = read_uri(&uri)?;
            let id = vault.add_uri(&uri)?;
            if let Some(name) = name {
                vault.rename(&id, &name)?;
            }
            writeln!(out, "{id}")?;
        }
        AccountsCommand::List => {
            for account in vault.accounts() {
                let kind = if account.counter().is_some() {
                    "hotp"
                } else if account.is_steam() {
                    "steam"
                } else {
                    "totp"
                };
                writeln!(out, "{}\t{kind}\t{}", account.id(), account.name())?;
            }
        }
        AccountsCommand::Remove { id } => {
            let removed = vault.remove(&id)?;
            writeln!(out, "removed {}", removed.name())?;
        }
        AccountsCommand::Rename { id, name } => vault.rename(&id, &name)?,
        AccountsCommand::Next { id } => {
            let view = vault.next_hotp_code(&id)?;
            writeln!(out, "{}", view.code)?;
        }
        AccountsCommand::Import { file, password_env } => {
            transfer::import(&mut vault, &file, password_env.as_deref(), &mut out)?
        }
        AccountsCommand::Export {
            format,
            password_env,
        } => transfer::export(&mut vault, format, password_env.as_deref(), &mut out)?,
        AccountsCommand::Backup { file, password_env } => {
            transfer::backup(&mut vault, &file, &password_env, &mut out)?
        }
        AccountsCommand::Restore { file, password_env } => {
            transfer::restore(&mut vault, &file, &password_env, &mut out)?
        }
        AccountsCommand::Codes { watch: false } => print_codes(&vault, &mut out)?,
        AccountsCommand::Codes { watch: true } => loop {
            // Clear the screen and home the cursor, then redraw.
            write!(out, "\x1b[2J\x1b[H")?;
            print_codes(&vault, &mut out)?;
            out.flush()?;
            thread::sleep(Duration::from_secs(1));
        },
    }
    out.flush()?;
    Ok(())
}

/// One line per account: code, time left (or counter), name.
fn print_codes(vault: &Vault, out: &mut impl Write) -> Result<(), CliError> {
    let views = vault.codes()?;
    if views.is_empty() {
        writeln!(
            out,
            "no accounts; add one with `assent accounts add <otpauth-uri>`"
        )?;
    }
    for view in views {
        let timing = match view.timing {
            CodeTiming::Totp { seconds_left, .. } => format!("{seconds_left:>3}s"),
            CodeTiming::Hotp { counter } => format!("#{counter}"),
        };
        writeln!(
            out,
            "{:<8}  {timing:>6}  {}",
            view.code.to_string(),
            view.name
        )?;
    }
    Ok(())
}
