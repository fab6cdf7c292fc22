//! One login: the push challenge, the conversation, the fallback codes, the verdict.
//!
//! 1. The challenge goes to the user's phone with the login's context (host, service,
//!    remote address, user), sealed end to end by the RP library.
//! 2. One message, then one prompt: "Approve on your phone (type 42 there) and press
//!    Enter, or enter a code:". A non-interactive client answers with an empty line (or
//!    its conversation fails), and the module waits for the phone.
//! 3. A typed code is a TOTP code (digits) or a backup code (`xxxxx-xxxxx`), checked by the
//!    library (replay guard, throttling per source address); the challenge is withdrawn.
//! 4. Otherwise the signed answer is awaited until the challenge's deadline (the configured
//!    timeout): approved and redeemed → success; denied, "this wasn't me", or no answer in
//!    time → failure.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use assent_protocol::{ApprovalKind, LoginContext};
use assent_rp::{
    ChallengeState, ChallengeStatus, Error as RpError, RelayError, Rp, StartedChallenge,
    Verification,
};
use zeroize::Zeroizing;

use crate::config::{Config, FailMode};
use crate::conversation::Conversation;
use crate::error::Result;

/// Who is logging in, to what, from where.
#[derive(Debug, Clone)]
pub struct Login {
    /// The user.
    pub user: String,
    /// The PAM service (`sshd`, `sudo` …).
    pub service: String,
    /// `PAM_RHOST`: the remote host, if any.
    pub rhost: Option<String>,
    /// This machine's name.
    pub hostname: String,
}

impl Login {
    /// The remote address, if `rhost` is one.
    pub fn remote_ip(&self) -> Option<IpAddr> {
        self.rhost.as_deref().and_then(|r| r.parse().ok())
    }

    /// The context sealed to the phone: "sshd: alice@web1" and the remote address (the
    /// loopback address for a local login such as sudo; `location` names a remote host
    /// given by name).
    pub fn context(&self, now: u64) -> LoginContext {
        let client = format!("{}: {}@{}", self.service, self.user, self.hostname);
        let (ip, location) = match (&self.rhost, self.remote_ip()) {
            (_, Some(ip)) => (ip, String::new()),
            (Some(name), None) if !name.is_empty() => {
                (IpAddr::V4(Ipv4Addr::UNSPECIFIED), format!("from {name}"))
            }
            _ => (IpAddr::V4(Ipv4Addr::LOCALHOST), "local login".to_owned()),
        };
        LoginContext::new(&client, ip, &location, now)
    }
}

/// What the module tells libpam.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Second factor given.
    Success,
    /// Refused: denied, reported, timed out, wrong code.
    Failure,
    /// Too many wrong codes: try later.
    Throttled,
}

/// The longest single long-poll (the relay caps waits too).
const POLL: Duration = Duration::from_secs(25);
/// How long starting a challenge may take before the relay counts as unreachable.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Why no push was sent.
enum NoPush {
    /// No active phone.
    NoPhone,
    /// The relay could not be reached.
    RelayDown,
    /// Muted, pending, window full, throttled, refused.
    NotNow(String),
}

/// Runs one login. `log` receives syslog lines (never a secret).
pub async fn authenticate(
    rp: &Rp,
    config: &Config,
    login: &Login,
    conversation: &mut dyn Conversation,
    log: &mut dyn FnMut(&str),
) -> Result<Verdict> {
    let mut rng = crate::setup::rng()?;
    let context = login.context(rp.now());
    let user = login.user.as_str();
    let started =
        match tokio::time::timeout(START_TIMEOUT, rp.start_challenge(user, &context, &mut rng))
            .await
        {
            Ok(Ok(started)) => Ok(started),
            Ok(Err(RpError::NoActiveDevice)) => Err(NoPush::NoPhone),
            Ok(Err(RpError::Relay(RelayError::Unavailable(reason)))) => {
                log(&format!("relay unreachable for {user}: {reason}"));
                Err(NoPush::RelayDown)
            }
            Err(_) => {
                log(&format!("relay did not answer in time for {user}"));
                Err(NoPush::RelayDown)
            }
            Ok(Err(RpError::Muted { retry_after })) => Err(NoPush::NotNow(format!(
                "phone approvals are paused for {} min after a \"this wasn't me\" report",
                retry_after.as_secs().div_ceil(60)
            ))),
            Ok(Err(
                e @ (RpError::ChallengePending
                | RpError::TooManyChallenges { .. }
                | RpError::Throttled { .. }),
            )) => {
                log(&format!("no push for {user}: {e}"));
                Err(NoPush::NotNow(
                    "too many login requests; try again later".into(),
                ))
            }
            Ok(Err(RpError::Relay(e))) => {
                log(&format!("relay refused the challenge for {user}: {e}"));
                Err(NoPush::NotNow("the phone cannot be asked now".into()))
            }
            Ok(Err(e)) => return Err(e.into()),
        };
    let prompt = match &started {
        Ok(s) => {
            log(&format!(
                "challenge {} sent to {user}'s phone {}",
                s.challenge_id, s.device_id
            ));
            // Messages are best effort: the prompt alone carries what the user needs.
            let _ = conversation.info(&format!(
                "Assent: a login request was sent to \"{}\".",
                s.device_name
            ));
            match s.kind {
                ApprovalKind::Number => format!(
                    "Approve on your phone (type {} there) and press Enter, or enter a code: ",
                    s.display.as_str()
                ),
                ApprovalKind::Code => format!(
                    "Approve on your phone (type the code {} there) and press Enter, or enter a code: ",
                    s.display.as_str()
                ),
                ApprovalKind::Simple => {
                    "Approve on your phone and press Enter, or enter a code: ".to_owned()
                }
            }
        }
        Err(why) => {
            let text = match why {
                NoPush::NoPhone => format!("Assent: no phone is enrolled for {user}."),
                NoPush::RelayDown => "Assent: your phone cannot be reached now.".to_owned(),
                NoPush::NotNow(reason) => format!("Assent: {reason}."),
            };
            let _ = conversation.info(&text);
            "Enter a one-time code or a backup code: ".to_owned()
        }
    };
    // A failed conversation (a client that cannot answer prompts) means: wait.
    let typed = match conversation.prompt(&prompt) {
        Ok(typed) => typed,
        Err(_) => Zeroizing::new(String::new()),
    };
    let typed = typed.trim();
    if !typed.is_empty() {
        if let Ok(s) = &started {
            withdraw(rp, s).await;
        }
        return check_code(rp, login, typed, conversation, log).await;
    }
    match started {
        Ok(s) => wait_for_phone(rp, &s, conversation, log, user).await,
        Err(NoPush::RelayDown) if config.fail_mode == FailMode::Open => {
            log(&format!(
                "relay unreachable: fail-open lets {user} in without a second factor"
            ));
            Ok(Verdict::Success)
        }
        Err(_) => {
            log(&format!("no code given by {user}"));
            Ok(Verdict::Failure)
        }
    }
}

/// Checks a typed TOTP or backup code.
async fn check_code(
    rp: &Rp,
    login: &Login,
    typed: &str,
    conversation: &mut dyn Conversation,
    log: &mut dyn FnMut(&str),
) -> Result<Verdict> {
    let user = login.user.as_str();
    // TOTP codes are 6–8 digits; backup codes are 10 characters (`xxxxx-xxxxx`).
    let totp = typed.len() <= 8 && typed.bytes().all(|b| b.is_ascii_digit());
    let kind = if totp { "TOTP code" } else { "backup code" };
    let checked = match (login.remote_ip(), totp) {
        (Some(ip), true) => rp.from_source(ip).verify_totp(user, typed).await,
        (Some(ip), false) => rp.from_source(ip).verify_backup_code(user, typed).await,
        (None, true) => rp.verify_totp(user, typed).await,
        (None, false) => rp.verify_backup_code(user, typed).await,
    };
    let verification = match checked {
        Ok(v) => v,
        // No TOTP secret (no phone): just a wrong code.
        Err(RpError::NotEnrolled(_)) => Verification::Rejected,
        Err(e) => return Err(e.into()),
    };
    match verification {
        Verification::Accepted => {
            log(&format!("{kind} accepted for {user}"));
            Ok(Verdict::Success)
        }
        Verification::Rejected => {
            log(&format!("{kind} rejected for {user}"));
            let _ = conversation.error("Assent: wrong code.");
            Ok(Verdict::Failure)
        }
        Verification::Throttled { retry_after } => {
            log(&format!("{kind} throttled for {user}"));
            let _ = conversation.error(&format!(
                "Assent: too many wrong codes; try again in {} s.",
                retry_after.as_secs().max(1)
            ));
            Ok(Verdict::Throttled)
        }
    }
}

/// Waits for the phone's signed answer until the challenge's deadline.
async fn wait_for_phone(
    rp: &Rp,
    started: &StartedChallenge,
    conversation: &mut dyn Conversation,
    log: &mut dyn FnMut(&str),
    user: &str,
) -> Result<Verdict> {
    let status = loop {
        match rp.poll_challenge(&started.handle, POLL).await {
            Ok(ChallengeStatus::Pending) => {
                // The deadline is the RP's; poll_challenge settles it as Expired.
                if rp.now() > started.expires_at {
                    break ChallengeStatus::Expired;
                }
            }
            Ok(status) => break status,
            Err(e @ (RpError::Relay(_) | RpError::InvalidAnswer(_))) => {
                log(&format!("waiting for {user}'s phone: {e}"));
                if rp.now() >= started.expires_at {
                    break rp
                        .check(&started.handle)
                        .await
                        .unwrap_or(ChallengeStatus::Expired);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let (verdict, text, line) = match status {
        ChallengeStatus::Approved => match rp.redeem(&started.handle).await {
            Ok(_) => (Verdict::Success, None, "approved on the phone"),
            Err(_) => (
                Verdict::Failure,
                Some("Assent: the approval came too late."),
                "approval not redeemable",
            ),
        },
        ChallengeStatus::Denied => (
            Verdict::Failure,
            Some("Assent: denied on the phone."),
            "denied on the phone",
        ),
        ChallengeStatus::FraudReported => (
            Verdict::Failure,
            Some("Assent: reported on the phone as not you; phone approvals are paused."),
            "reported as fraud on the phone",
        ),
        ChallengeStatus::Expired => (
            Verdict::Failure,
            Some("Assent: no answer from the phone in time."),
            "timed out",
        ),
        _ => (
            Verdict::Failure,
            Some("Assent: the request was cancelled."),
            "cancelled",
        ),
    };
    log(&format!(
        "challenge {} for {user}: {line}",
        started.challenge_id
    ));
    if let Some(text) = text {
        let _ = conversation.error(text);
    }
    Ok(verdict)
}

/// Withdraws a challenge the user no longer needs (a code was typed instead), so the next
/// login can push at once; the phone's late answer then changes nothing.
async fn withdraw(rp: &Rp, started: &StartedChallenge) {
    let _ = rp
        .store()
        .resolve_challenge(
            &started.challenge_id,
            ChallengeState::Pending,
            ChallengeState::Cancelled,
            rp.now(),
        )
        .await;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn login(rhost: Option<&str>) -> Login {
        Login {
            user: "alice".into(),
            service: "sshd".into(),
            rhost: rhost.map(str::to_owned),
            hostname: "web1".into(),
        }
    }

    #[test]
    fn the_context_names_service_user_host_and_remote_address() {
        let c = login(Some("198.51.100.4")).context(7);
        assert_eq!(c.client(), "sshd: alice@web1");
        assert_eq!(c.ip().to_string(), "198.51.100.4");
        assert_eq!(c.location(), "");
        assert_eq!(c.time(), 7);
        let c = login(Some("2001:db8::1")).context(7);
        assert_eq!(c.ip().to_string(), "2001:db8::1");
        let c = login(Some("client.example.net")).context(7);
        assert!(c.ip().is_unspecified());
        assert_eq!(c.location(), "from client.example.net");
        let c = login(None).context(7);
        assert!(c.ip().is_loopback());
        assert_eq!(c.location(), "local login");
    }
}
