//! `assent-pam-admin`: enroll a local user's phone for pam_assent, list and remove phones,
//! issue new backup codes. Run as root, on the configuration the module reads.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use assent_rp::{
    AccountPolicy, ActivationResult, DeviceId, EnrollmentAuthorization, OfferRequest,
    RegistrationStatus, Rp,
};
use clap::{Parser, Subcommand};
use pam_assent::config::{self, Config};
use pam_assent::{Error, Result};
use zeroize::Zeroizing;

/// Manage the phones of local users for pam_assent.
#[derive(Debug, Parser)]
#[command(name = "assent-pam-admin", version, about)]
struct Cli {
    /// The configuration file (the module's `config=` argument).
    #[arg(long, global = true, default_value = config::DEFAULT_PATH)]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enroll a phone for USER: shows the QR code (and the offer URI), waits for the phone,
    /// then asks for the activation code it shows. If USER already has a phone or a TOTP
    /// secret, asks first for a current code or a backup code of USER's.
    Enroll {
        /// The local user.
        user: String,
        /// What the phone shows for the account (default: USER@host).
        #[arg(long)]
        label: Option<String>,
    },
    /// List USER's phones.
    List {
        /// The local user.
        user: String,
    },
    /// Remove one of USER's phones (its TOTP codes stop working too).
    Remove {
        /// The local user.
        user: String,
        /// The device id (from `list`). Ids are base64url, so one may start with `-`.
        #[arg(allow_hyphen_values = true)]
        device: String,
    },
    /// Issue USER a new set of 10 backup codes (the old set stops working); prints them once.
    BackupCodes {
        /// The local user.
        user: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = pam_assent::setup::runtime().and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assent-pam-admin: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let config = Config::load(&cli.config)?;
    let rp = pam_assent::setup::open_rp(&config).await?;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Enroll { user, label } => enroll(&rp, &config, &user, label, &mut out).await?,
        Command::List { user } => {
            let devices = rp.devices(&user).await?;
            if devices.is_empty() {
                writeln!(out, "{user} has no phone")?;
            }
            for d in devices {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{:?}",
                    d.device_id,
                    d.state.as_str(),
                    d.platform.as_str(),
                    d.name
                )?;
            }
        }
        Command::Remove { user, device } => {
            let id: DeviceId = device
                .parse()
                .map_err(|_| Error::Admin(format!("{device:?} is not a device id")))?;
            let mut rng = pam_assent::setup::rng()?;
            let live = rp.remove_device(&user, &id, &mut rng).await?;
            writeln!(
                out,
                "{} {id} of {user}",
                if live { "removed" } else { "already removed:" }
            )?;
        }
        Command::BackupCodes { user } => {
            let mut rng = pam_assent::setup::rng()?;
            let codes = rp.generate_backup_codes(&user, &mut rng).await?;
            writeln!(
                out,
                "backup codes for {user} (each works once; keep them safe):"
            )?;
            for code in codes.iter() {
                writeln!(out, "  {code}")?;
            }
        }
    }
    Ok(())
}

/// Reads one line from stdin (the admin's terminal or a script).
fn read_line(out: &mut impl std::io::Write, prompt: &str) -> Result<Zeroizing<String>> {
    write!(out, "{prompt}")?;
    out.flush()?;
    let mut line = Zeroizing::new(String::new());
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        return Err(Error::Admin("no input".into()));
    }
    Ok(Zeroizing::new(line.trim().to_owned()))
}

async fn enroll(
    rp: &Rp,
    config: &Config,
    user: &str,
    label: Option<String>,
    out: &mut impl std::io::Write,
) -> Result<()> {
    let mut rng = pam_assent::setup::rng()?;
    // Enrolling needs the account's existing second factor, if it has one.
    let auth = if rp.has_second_factor(user).await? {
        let typed = read_line(
            out,
            &format!("{user} already has a second factor: a current code from that phone, or a backup code: "),
        )?;
        let proof = if typed.bytes().all(|b| b.is_ascii_digit()) {
            rp.prove_with_totp(user, &typed).await?
        } else {
            rp.prove_with_backup_code(user, &typed).await?
        };
        match proof {
            Ok(p) => EnrollmentAuthorization::Proven(p),
            Err(_) => return Err(Error::Admin("that code was not accepted".into())),
        }
    } else {
        EnrollmentAuthorization::NoSecondFactorYet
    };
    let label = label.unwrap_or_else(|| format!("{user}@{}", config::hostname()));
    let mut request = OfferRequest::new(&config.issuer, &label);
    request.min = config.kind;
    let offer = rp
        .make_offer(user, &request, &config.relay_url, auth, &mut rng)
        .await?;
    writeln!(out, "Scan this with the Assent app to enroll {user}:")?;
    writeln!(out, "{}", offer.qr()?.text().as_str())?;
    writeln!(out, "or open this offer on the phone:")?;
    writeln!(out, "{}", offer.uri.as_str())?;
    writeln!(out, "waiting for the phone…")?;
    out.flush()?;
    let eid = offer.offer.eid;
    let device = loop {
        match rp.complete_registration(&eid, &mut rng).await? {
            RegistrationStatus::AwaitingActivation(device) => break device,
            RegistrationStatus::Waiting => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    };
    writeln!(
        out,
        "phone {:?} registered ({})",
        device.name, device.device_id
    )?;
    let code = read_line(out, "activation code shown on the phone: ")?;
    match rp.activate(user, &eid, &code, &mut rng).await? {
        ActivationResult::Activated(activated) => {
            rp.set_account_policy(
                user,
                AccountPolicy {
                    kind: config.kind,
                    uv: false,
                },
            )
            .await?;
            writeln!(out, "activated {} for {user}", activated.device.device_id)?;
            if let Some(codes) = activated.backup_codes {
                writeln!(
                    out,
                    "backup codes for {user} (each works once; keep them safe):"
                )?;
                for code in codes.iter() {
                    writeln!(out, "  {code}")?;
                }
            }
            Ok(())
        }
        ActivationResult::Rejected => Err(Error::Admin(
            "wrong activation code: the enrollment is void; run enroll again".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::{Cli, Command};

    /// Device ids are base64url: about one in 64 starts with `-` (a fresh-clone CI run
    /// met one), which must still be taken as the id, not as an option.
    #[test]
    fn a_device_id_that_starts_with_a_dash_is_an_id() {
        let cli = Cli::try_parse_from(["assent-pam-admin", "remove", "frank", "-kXb3_q9"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Remove { ref user, ref device } if user == "frank" && device == "-kXb3_q9"
        ));
    }
}
