//! `assent accounts import FILE` and `assent accounts export --format …`:
//! other authenticators' exports, both ways. Passwords come from an
//! environment variable (`--password-env VAR`), never from the command line.
//! `assent accounts backup FILE` / `restore FILE`: encrypted backups.

use std::io::Write;
use std::path::Path;

use assent_core::backup::RestoreOutcome;
use assent_core::import::{EntryOutcome, ImportReport};
use assent_core::{ExportFormat, Vault};
use clap::ValueEnum;
use zeroize::Zeroizing;

use crate::error::CliError;

/// The export formats of `assent accounts export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// otpauth:// URIs, one a line.
    Otpauth,
    /// Google Authenticator migration URIs, one per QR code.
    Google,
    /// An Aegis vault file (JSON), encrypted with --password-env.
    Aegis,
}

/// The password in the environment variable `var`, if one was named.
pub fn password(var: Option<&str>) -> Result<Option<Zeroizing<String>>, CliError> {
    match var {
        None => Ok(None),
        Some(var) => std::env::var(var)
            .map(|p| Some(Zeroizing::new(p)))
            .map_err(|_| CliError::Usage("the --password-env variable is not set")),
    }
}

/// Imports `file` and prints one line per entry, then a summary.
pub fn import(
    vault: &mut Vault,
    file: &Path,
    password_env: Option<&str>,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let bytes = Zeroizing::new(std::fs::read(file)?);
    let password = password(password_env)?;
    let report = vault.import(&bytes, password.as_deref().map(String::as_str))?;
    print_report(&report, out)
}

fn print_report(report: &ImportReport, out: &mut impl Write) -> Result<(), CliError> {
    writeln!(out, "format: {}", report.format)?;
    for entry in &report.entries {
        match &entry.outcome {
            EntryOutcome::Imported(id) => writeln!(out, "imported\t{id}\t{}", entry.name)?,
            EntryOutcome::AlreadyPresent(id) => writeln!(out, "present\t{id}\t{}", entry.name)?,
            EntryOutcome::Skipped(why) => writeln!(out, "skipped\t{why}\t{}", entry.name)?,
        }
    }
    if let Some((seen, of)) = report.batches {
        writeln!(out, "QR codes: {seen} of {of}")?;
    }
    writeln!(
        out,
        "{} imported, {} already present, {} skipped",
        report.imported(),
        report.already_present(),
        report.skipped()
    )?;
    Ok(())
}

/// Exports every account to stdout; accounts left out go to stderr.
pub fn export(
    vault: &mut Vault,
    format: Format,
    password_env: Option<&str>,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let password = password(password_env)?;
    let format = match format {
        Format::Otpauth => ExportFormat::Otpauth,
        Format::Google => ExportFormat::GoogleMigration,
        Format::Aegis => ExportFormat::Aegis,
    };
    let exported = vault.export(format, password.as_deref().map(String::as_str))?;
    out.write_all(exported.text.as_bytes())?;
    if !exported.text.ends_with('\n') {
        writeln!(out)?;
    }
    for (name, why) in &exported.skipped {
        eprintln!("not exported: {name}: {why}");
    }
    Ok(())
}

fn required_password(var: &str) -> Result<Zeroizing<String>, CliError> {
    password(Some(var))?.ok_or(CliError::Usage("the --password-env variable is not set"))
}

/// Writes an encrypted backup of every account to `file`.
pub fn backup(
    vault: &mut Vault,
    file: &Path,
    password_env: &str,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let password = required_password(password_env)?;
    let bytes = vault.backup(&password)?;
    std::fs::write(file, &bytes)?;
    writeln!(
        out,
        "backed up {} accounts to {}",
        vault.accounts().len() + vault.reactivation_needed().len(),
        file.display()
    )?;
    Ok(())
}

/// Restores the backup `file` and prints one line per account, then a summary.
pub fn restore(
    vault: &mut Vault,
    file: &Path,
    password_env: &str,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let password = required_password(password_env)?;
    let bytes = std::fs::read(file)?;
    let report = vault.restore(&bytes, &password)?;
    for entry in &report.entries {
        match &entry.outcome {
            RestoreOutcome::Restored(id) => writeln!(out, "restored\t{id}\t{}", entry.name)?,
            RestoreOutcome::AlreadyPresent(id) => writeln!(out, "present\t{id}\t{}", entry.name)?,
            RestoreOutcome::NeedsReactivation(id) => {
                writeln!(out, "reactivate\t{id}\t{}", entry.name)?
            }
        }
    }
    writeln!(
        out,
        "{} restored, {} already present, {} need re-activation",
        report.restored(),
        report.already_present(),
        report.needs_reactivation()
    )?;
    Ok(())
}
