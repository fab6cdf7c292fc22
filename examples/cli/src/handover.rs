//! `assent phone handover …`: move accounts to another phone. The new phone
//! (`show`) opens a mailbox at its relay and prints the QR URI; the old phone
//! (`scan`) reads it; both print the same six digits, which the user
//! compares before saying yes on each; the accounts move sealed between the
//! two, and push accounts move once their RP confirms the signed handover.

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use assent_core::protocol::RelayUrl;
use assent_core::{AccountId, DeviceInfo, Platform, PushClient};
use clap::Subcommand;

use crate::error::CliError;

/// Handover commands.
#[derive(Debug, Subcommand)]
pub enum HandoverCommand {
    /// New phone: open a handover at a relay, print the QR URI, wait for the
    /// old phone, print the confirmation code, and take the accounts once the
    /// user confirms that the old phone shows the same code.
    Show {
        /// The relay to hold the mailbox (this phone's relay).
        #[arg(long)]
        relay: String,
        /// What the old phone and the login pages show about this phone.
        #[arg(long, default_value = "assent phone simulator")]
        name: String,
        /// How long to wait for each step, in seconds.
        #[arg(long, default_value_t = 300)]
        wait: u64,
        /// Do not ask: accept when the offer arrives (scripts and tests; the
        /// code is still printed for comparison).
        #[arg(long)]
        yes: bool,
    },
    /// Old phone: read the new phone's QR URI, print the confirmation code,
    /// and send the accounts once the user confirms that the new phone shows
    /// the same code.
    Scan {
        /// The `assent://handover?…` URI ("-" reads it from stdin).
        uri: String,
        /// Account ids to move (comma-separated); all when absent.
        #[arg(long, value_delimiter = ',')]
        accounts: Vec<String>,
        /// How long to wait for each step, in seconds.
        #[arg(long, default_value_t = 300)]
        wait: u64,
        /// Do not ask (scripts and tests).
        #[arg(long)]
        yes: bool,
    },
    /// Either phone: check the RPs' confirmations of handovers under way.
    Check,
}

/// Runs a handover command on `phone`.
pub async fn run(
    phone: &mut PushClient,
    command: HandoverCommand,
    out: &mut impl Write,
) -> Result<(), CliError> {
    match command {
        HandoverCommand::Show {
            relay,
            name,
            wait,
            yes,
        } => {
            phone.set_device_info(DeviceInfo {
                platform: Platform::Poll,
                name,
                push_token: String::new(),
            });
            show(phone, &relay, wait, yes, out).await
        }
        HandoverCommand::Scan {
            uri,
            accounts,
            wait,
            yes,
        } => scan(phone, &uri, &accounts, wait, yes, out).await,
        HandoverCommand::Check => {
            let progress = phone.check_handovers().await?;
            print_progress(&progress, out)?;
            Ok(())
        }
    }
}

async fn show(
    phone: &mut PushClient,
    relay: &str,
    wait: u64,
    yes: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let relay = RelayUrl::parse(relay).map_err(|_| CliError::Usage("not a relay URL"))?;
    let mut handover = phone.start_handover(&relay).await?;
    writeln!(out, "handover qr: {}", handover.qr_uri().as_str())?;
    out.flush()?;
    let deadline = Instant::now() + Duration::from_secs(wait);
    let preview = loop {
        if let Some(preview) = phone.poll_handover(&mut handover).await? {
            break preview;
        }
        if Instant::now() >= deadline {
            return Err(CliError::Usage(
                "the old phone did not send its accounts in time",
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    writeln!(out, "confirmation code: {}", preview.confirmation_code)?;
    for account in &preview.accounts {
        writeln!(out, "  offered: {} ({:?})", account.name, account.kind)?;
    }
    if !yes && !confirm(&preview.confirmation_code, out)? {
        writeln!(out, "refused: nothing was stored")?;
        return Ok(());
    }
    let received = phone.accept_handover(&mut handover).await?;
    for id in &received.stored {
        writeln!(out, "stored {id}")?;
    }
    for (name, reason) in &received.skipped {
        writeln!(out, "skipped {name}: {reason}")?;
    }
    wait_for_rp(phone, &received.pending_push, deadline_from(wait), out).await
}

async fn scan(
    phone: &mut PushClient,
    uri: &str,
    accounts: &[String],
    wait: u64,
    yes: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let uri = crate::code::read_uri(uri)?;
    let mut handover = phone.scan_handover(uri.trim())?;
    writeln!(out, "new phone: {}", handover.new_phone_name())?;
    writeln!(out, "confirmation code: {}", handover.confirmation_code())?;
    out.flush()?;
    if !yes && !confirm(&handover.confirmation_code(), out)? {
        phone.cancel_handover(handover);
        writeln!(out, "refused: nothing was sent")?;
        return Ok(());
    }
    let ids: Vec<AccountId> = accounts.iter().map(AccountId::new).collect();
    phone.send_handover(&mut handover, &ids).await?;
    writeln!(out, "sent")?;
    out.flush()?;
    let deadline = deadline_from(wait);
    let sent = loop {
        if let Some(sent) = phone.finish_handover(&mut handover).await? {
            break sent;
        }
        if Instant::now() >= deadline {
            phone.cancel_handover(handover);
            return Err(CliError::Usage("the new phone did not answer in time"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    for name in &sent.moved_codes {
        writeln!(out, "moved {name}")?;
    }
    for (id, reason) in &sent.kept {
        writeln!(out, "kept {id}: {reason}")?;
    }
    let mut waiting = sent.handed_over.clone();
    waiting.extend(sent.not_sent.iter().cloned());
    wait_for_rp(phone, &waiting, deadline, out).await
}

fn deadline_from(wait: u64) -> Instant {
    Instant::now() + Duration::from_secs(wait)
}

/// Polls the RPs until every account of `ids` is confirmed or the deadline.
async fn wait_for_rp(
    phone: &mut PushClient,
    ids: &[AccountId],
    deadline: Instant,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let mut left: Vec<AccountId> = ids.to_vec();
    while !left.is_empty() {
        let progress = phone.check_handovers().await?;
        print_progress(&progress, out)?;
        left.retain(|id| {
            !progress.activated.contains(id)
                && !progress.moved_away.contains(id)
                && !progress.expired.contains(id)
        });
        if left.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            return Err(CliError::Usage(
                "the RP has not confirmed yet; run `assent phone handover check` later",
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    writeln!(out, "done")?;
    Ok(())
}

fn print_progress(
    progress: &assent_core::HandoverProgress,
    out: &mut impl Write,
) -> Result<(), CliError> {
    for id in &progress.activated {
        writeln!(out, "activated {id}")?;
    }
    for id in &progress.moved_away {
        writeln!(out, "moved away {id}")?;
    }
    for id in &progress.expired {
        writeln!(out, "expired {id}: enroll it again")?;
    }
    for (id, reason) in &progress.errors {
        writeln!(out, "error {id}: {reason}")?;
    }
    Ok(())
}

/// Asks on the terminal whether the other phone shows `code`.
fn confirm(code: &str, out: &mut impl Write) -> Result<bool, CliError> {
    write!(out, "Does the other phone show {code}? [y/N] ")?;
    out.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
