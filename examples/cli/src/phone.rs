//! `assent phone …`: the phone simulator. It plays a real phone against a
//! running relay, with the same core an app embeds: enroll from an offer,
//! list pending challenges, approve / deny / report one, ask the RP to
//! remove the enrollment, and move accounts to another phone (`handover`).
//!
//! Device keys are software keys kept in the home directory
//! (`data/devkey.*`, inside the same 0600 storage as the vault); a real
//! phone keeps them in the Secure Enclave or StrongBox.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assent_core::https::HttpsTransport;
use assent_core::{
    AccountId, ChallengeView, Decision, DeviceInfo, FileStorage, Platform, PushClient,
    RelayTransport, SoftwareKeyStore,
};
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::home;

/// Options shared by every phone command.
#[derive(Debug, Args)]
pub struct PhoneOptions {
    /// Also trust this CA certificate (PEM) for the relay's TLS, e.g. the
    /// test CA of a local relay (`assent-relay --dev-tls`).
    #[arg(long, global = true, value_name = "PEM", env = "ASSENT_RELAY_CA")]
    ca: Option<PathBuf>,
}

/// Phone commands.
#[derive(Debug, Subcommand)]
pub enum PhoneCommand {
    /// Enroll from an offer: an `assent://enroll?…` URI from the QR code, or
    /// the in-app JSON value ("-" reads it from stdin). Prints the account id
    /// and the code to type on the login page to activate the phone.
    Enroll {
        /// The offer.
        offer: String,
        /// What the login page shows about this phone.
        #[arg(long, default_value = "assent phone simulator")]
        name: String,
        /// How long to wait for the RP's answer, in seconds.
        #[arg(long, default_value_t = 60)]
        wait: u64,
    },
    /// List the pending challenges of every push account (what the phone
    /// would show).
    Pending {
        /// Wait up to this many seconds for one to arrive.
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// Approve a challenge: YES. `--entry` is the number or code shown on
    /// the login page, when the challenge asks for one.
    Approve {
        /// The challenge id (from `pending`), or "-" for the only pending one.
        challenge: String,
        /// The 2-digit number or 6-digit code shown on the login page.
        #[arg(long, default_value = "")]
        entry: String,
        /// Say that the user was verified (biometric or PIN) before approving.
        #[arg(long)]
        uv: bool,
    },
    /// Deny a challenge: NO.
    Deny {
        /// The challenge id, or "-" for the only pending one.
        challenge: String,
    },
    /// Report a challenge: "this wasn't me" (the RP mutes pushes for a while).
    Report {
        /// The challenge id, or "-" for the only pending one.
        challenge: String,
    },
    /// Ask the RP to remove this phone's enrollment of an account; succeeds
    /// only on the RP's authenticated confirmation.
    Unenroll {
        /// The account id (from `assent accounts list`).
        id: String,
        /// How long to wait for the RP's confirmation, in seconds.
        #[arg(long, default_value_t = 60)]
        wait: u64,
    },
    /// Show the clock corrections the phone applies.
    Clock,
    /// Move accounts to another phone, or take them from one.
    #[command(subcommand)]
    Handover(crate::handover::HandoverCommand),
}

/// Runs a phone command.
pub fn run(
    home: Option<PathBuf>,
    options: PhoneOptions,
    command: PhoneCommand,
) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(home, options, command))
}

async fn run_async(
    home: Option<PathBuf>,
    options: PhoneOptions,
    command: PhoneCommand,
) -> Result<(), CliError> {
    let mut phone = open(home, &options)?;
    let mut out = std::io::stdout().lock();
    match command {
        PhoneCommand::Enroll { offer, name, wait } => {
            let offer = crate::code::read_uri(&offer)?;
            phone.set_device_info(DeviceInfo {
                platform: Platform::Poll,
                name,
                push_token: String::new(),
            });
            let pending = if offer.trim_start().starts_with('{') {
                phone.enroll_json(offer.as_bytes()).await?
            } else {
                phone.enroll_uri(offer.trim()).await?
            };
            let deadline = Instant::now() + Duration::from_secs(wait);
            let id = loop {
                if let Some(id) = phone.finish_enrollment(&pending).await? {
                    break id;
                }
                if Instant::now() >= deadline {
                    phone.cancel_enrollment(pending)?;
                    return Err(CliError::Usage(
                        "the RP did not answer the registration in time",
                    ));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            };
            let code = phone.activation_code(&id)?;
            writeln!(out, "enrolled {} ({})", id, pending.account())?;
            writeln!(out, "activation code: {}", code.code)?;
        }
        PhoneCommand::Pending { wait } => {
            let deadline = Instant::now() + Duration::from_secs(wait);
            loop {
                let polled = phone.pending().await?;
                for refused in &polled.refused {
                    eprintln!("refused: {}", refused.error);
                }
                if !polled.shown.is_empty() || Instant::now() >= deadline {
                    for view in &polled.shown {
                        print_view(&mut out, view)?;
                    }
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        PhoneCommand::Approve {
            challenge,
            entry,
            uv,
        } => {
            let view = find(&mut phone, &challenge).await?;
            phone
                .answer(&view, Decision::Approve, entry.trim(), uv)
                .await?;
            writeln!(out, "approved {}", view.challenge_id)?;
        }
        PhoneCommand::Deny { challenge } => {
            let view = find(&mut phone, &challenge).await?;
            phone.answer(&view, Decision::Deny, "", false).await?;
            writeln!(out, "denied {}", view.challenge_id)?;
        }
        PhoneCommand::Report { challenge } => {
            let view = find(&mut phone, &challenge).await?;
            phone.answer(&view, Decision::Fraud, "", false).await?;
            writeln!(out, "reported {}", view.challenge_id)?;
        }
        PhoneCommand::Unenroll { id, wait } => {
            let id = AccountId::new(&id);
            phone.request_unenroll(&id).await?;
            let deadline = Instant::now() + Duration::from_secs(wait);
            loop {
                if phone.finish_unenroll(&id).await? {
                    writeln!(out, "removed {id}")?;
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(CliError::Usage(
                        "the RP has not confirmed the removal yet; run unenroll again later",
                    ));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        PhoneCommand::Handover(command) => {
            crate::handover::run(&mut phone, command, &mut out).await?;
        }
        PhoneCommand::Clock => {
            let status = phone.clock_status();
            writeln!(out, "relay offset: {} s", status.relay_offset)?;
            writeln!(
                out,
                "code offset: {} s{}",
                status.totp_offset,
                if status.capped {
                    " (capped at one step)"
                } else {
                    ""
                }
            )?;
        }
    }
    Ok(())
}

/// The push client over the home directory's vault and key storage.
fn open(home: Option<PathBuf>, options: &PhoneOptions) -> Result<PushClient, CliError> {
    let home = home::resolve(home)?;
    let vault = home::open_vault(&home)?;
    let storage = FileStorage::new(home.join("data")).map_err(assent_core::Error::from)?;
    let keys = SoftwareKeyStore::new(Arc::new(storage));
    let transport = match &options.ca {
        Some(path) => HttpsTransport::with_extra_ca(&std::fs::read(path)?),
        None => HttpsTransport::new(),
    }
    .map_err(assent_core::Error::from)?;
    let transport: Arc<dyn RelayTransport> = Arc::new(transport);
    Ok(PushClient::new(
        vault,
        transport,
        Arc::new(keys),
        DeviceInfo {
            platform: Platform::Poll,
            name: "assent phone simulator".into(),
            push_token: String::new(),
        },
    ))
}

/// The pending challenge with this id ("-": the only one pending).
async fn find(phone: &mut PushClient, id: &str) -> Result<ChallengeView, CliError> {
    let polled = phone.pending().await?;
    let mut shown = polled.shown.into_iter();
    if id == "-" {
        return match (shown.next(), shown.next()) {
            (Some(view), None) => Ok(view),
            (None, _) => Err(CliError::Usage("no pending challenge")),
            (Some(_), Some(_)) => Err(CliError::Usage(
                "several challenges are pending; name one (see `assent phone pending`)",
            )),
        };
    }
    shown
        .find(|v| v.challenge_id.to_string() == id)
        .ok_or(CliError::Usage("no such pending challenge"))
}

fn print_view(out: &mut impl Write, view: &ChallengeView) -> Result<(), CliError> {
    writeln!(out, "challenge {}", view.challenge_id)?;
    writeln!(out, "  account:  {}", view.account_name)?;
    writeln!(
        out,
        "  from:     {} at {} ({})",
        view.client, view.ip, view.location
    )?;
    writeln!(
        out,
        "  kind:     {} — type {}",
        view.kind.as_str(),
        view.entry
    )?;
    if view.user_verification {
        writeln!(out, "  requires user verification (--uv)")?;
    }
    if view.custody == assent_core::Custody::Relay {
        writeln!(out, "  managed mode: the relay holds this RP's keys")?;
    }
    writeln!(out, "  expires in {} s", view.seconds_left)?;
    Ok(())
}
