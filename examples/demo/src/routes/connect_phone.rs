//! Connecting a phone from the security page: the offer (QR code and in-app link),
//! with proof of the existing second factor for another phone or a replacement (the old
//! one removed once the new one is activated); the page's wait for the phone's
//! registration; the activation code the app shows.

use std::time::{Duration, Instant};

use assent_protocol::{DeviceId, EnrollmentId};
use assent_rp::{
    AccountPolicy, ActivationResult, DeviceState, EnrollmentAuthorization, Error as RpError,
    OfferRequest, ProofResult, RegistrationStatus,
};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::require_user;
use super::second_step::refusal;
use super::security::{codes_page, render, user_page};
use crate::csrf::{Posted, SecretField};
use crate::error::{AppError, Result};
use crate::html::{self, esc};
use crate::session::Session;
use crate::state::{rng, AppState};

/// A form carrying a proof of the existing second factor (a code from the app or a
/// backup code): adding a phone, turning two-step verification off.
#[derive(Deserialize)]
pub(super) struct ProofForm {
    #[serde(default)]
    pub(super) proof: SecretField,
}

/// The existing second factor, proven by `typed` (a TOTP code if all digits,
/// else a backup code).
pub(super) async fn prove(state: &AppState, account: &str, typed: &str) -> Result<ProofResult> {
    let typed = typed.trim().to_owned();
    if !typed.is_empty() && typed.chars().all(|c| c.is_ascii_digit()) {
        return Ok(state.rp.prove_with_totp(account, &typed).await?);
    }
    let rp = state.rp.clone();
    let account = account.to_owned();
    state
        .blocking_rp(move || async move { Ok(rp.prove_with_backup_code(&account, &typed).await?) })
        .await
}

pub(super) async fn enroll(
    State(state): State<AppState>,
    Posted(session, form): Posted<ProofForm>,
) -> Result<Response> {
    start(state, session, form.proof, None).await
}

/// "Replace this phone": the form names the phone and carries a proof.
#[derive(Deserialize)]
pub(super) struct ReplaceForm {
    #[serde(default)]
    device: String,
    #[serde(default)]
    proof: SecretField,
}

/// Replacing a phone (lost, broken, or a new one): prove the existing second factor
/// (a code from the app, or a backup code when the old phone is gone), connect the new
/// phone; once it is activated the old one is removed (and told, through the relay).
pub(super) async fn replace(
    State(state): State<AppState>,
    Posted(session, form): Posted<ReplaceForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let old = DeviceId::parse(&form.device).map_err(|_| AppError::BadRequest("device id"))?;
    let active = state
        .rp
        .devices(&user.account())
        .await?
        .iter()
        .any(|d| d.device_id == old && d.state == DeviceState::Active);
    if !active {
        return Err(AppError::BadRequest("no such phone"));
    }
    start(state, session, form.proof, Some(old)).await
}

/// The offer page for a new phone (replacing `replaces` once activated).
async fn start(
    state: AppState,
    mut session: Session,
    proof: SecretField,
    replaces: Option<DeviceId>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let account = user.account();
    let auth = if state.rp.has_second_factor(&account).await? {
        match prove(&state, &account, proof.expose()).await? {
            Ok(proof) => EnrollmentAuthorization::Proven(proof),
            Err(verdict) => {
                let message = refusal(verdict).unwrap_or_default();
                let message = format!("To connect a phone, first prove it is you. {message}");
                return Ok(render(&state, &session, &user, None, Some(&message))
                    .await?
                    .into_response());
            }
        }
    } else {
        EnrollmentAuthorization::NoSecondFactorYet
    };
    let mut request = OfferRequest::new(&state.settings.issuer, &user.username);
    request.min = state.settings.approval;
    let offer = state
        .rp
        .make_offer(
            &account,
            &request,
            &state.settings.relay_url,
            auth,
            &mut rng()?,
        )
        .await;
    let offer = match offer {
        Ok(o) => o,
        Err(e @ RpError::Relay(_)) => {
            tracing::warn!(error = %e, "offer not announced");
            let message = "The phone service is unreachable right now. Try again in a minute.";
            return Ok(render(&state, &session, &user, None, Some(message))
                .await?
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    session.row.enroll_eid = Some(offer.offer.eid.to_string());
    session.row.replace_device = replaces.map(|d| d.to_string());
    session.save(&state)?;
    let qr = offer.qr()?.svg();
    let csrf = &session.row.csrf;
    let sim = if state.sim.is_some() {
        // The fragment never reaches a server; the phone page reads it and clears it.
        let fragment: String = offer
            .uri
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!(
            r#"<p><a id="sim-scan" target="phone" href="/phone#offer={fragment}">Scan with the simulated phone</a> <span class="muted">(opens it in a new tab)</span></p>"#
        )
    } else {
        String::new()
    };
    let code = html::input(
        "code",
        "Code shown in the app",
        "text",
        r#"inputmode="numeric" autocomplete="off" required"#,
    );
    let body = format!(
        r#"<h1>Connect your phone</h1>
<p>Open the Assent app, choose <b>Connect from a computer</b> and scan this code:</p>
<div class="qr" id="qr">{qr}</div>
<p class="muted">Cannot scan? Paste this text into the app:<br><code id="offer-uri">{uri}</code></p>{sim}
<p id="enroll-state" class="muted"><span class="spinner"></span> Waiting for your phone&hellip;</p>
<div id="activate">{form}</div>
<script>
(function () {{
  var state = document.getElementById('enroll-state');
  function poll(delay) {{
    setTimeout(function () {{
      fetch('/security/enroll/status?wait=20', {{credentials: 'same-origin'}})
        .then(function (r) {{ return r.json(); }})
        .then(function (s) {{
          if (s.status === 'registered') {{
            state.className = 'flash';
            state.textContent = 'Your phone \u201c' + s.device + '\u201d is connected. Type the code it shows now:';
            document.getElementById('code').focus();
          }} else if (s.status === 'waiting') {{
            poll(0);
          }} else {{
            state.className = 'error';
            state.textContent = s.message;
          }}
        }})
        .catch(function () {{ poll(Math.min(2 * (delay || 500), 10000)); }});
    }}, delay);
  }}
  poll(0);
}})();
</script>"#,
        qr = *qr,
        uri = esc(&offer.uri),
        form = html::form("/security/activate", csrf, &code, "Activate", ""),
    );
    Ok(user_page("Connect your phone", &user, &session, &body).into_response())
}

/// The enrollment page's long-poll answer.
#[derive(Debug, Serialize)]
pub struct EnrollStatus {
    /// `waiting`, `registered`, `expired`.
    pub status: &'static str,
    /// The phone's name, once registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// What to tell the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

#[derive(Deserialize)]
pub(super) struct WaitQuery {
    #[serde(default)]
    wait: u64,
}

fn session_eid(session: &Session) -> Result<EnrollmentId> {
    let eid = session
        .row
        .enroll_eid
        .as_deref()
        .ok_or(AppError::BadRequest("no enrollment in progress"))?;
    EnrollmentId::parse(eid).map_err(|_| AppError::BadRequest("enrollment id"))
}

pub(super) async fn enroll_status(
    State(state): State<AppState>,
    Query(q): Query<WaitQuery>,
    session: Session,
) -> Result<Json<EnrollStatus>> {
    require_user(&state, &session)?;
    let eid = session_eid(&session)?;
    let deadline = Instant::now() + Duration::from_secs(q.wait.min(25));
    loop {
        let status = state.rp.complete_registration(&eid, &mut rng()?).await;
        let (status, device, message) = match status {
            Ok(RegistrationStatus::AwaitingActivation(info)) => {
                ("registered", Some(info.name), None)
            }
            Ok(RegistrationStatus::Waiting) | Err(RpError::Relay(_)) => {
                if Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    continue;
                }
                ("waiting", None, None)
            }
            Err(RpError::EnrollmentExpired) => (
                "expired",
                None,
                Some("This QR code expired. Reload the security page and start again."),
            ),
            Err(RpError::EnrollmentUsed | RpError::UnknownEnrollment) => (
                "expired",
                None,
                Some("This QR code was already used or cancelled. Start again."),
            ),
            Err(e) => return Err(e.into()),
        };
        return Ok(Json(EnrollStatus {
            status,
            device,
            message,
        }));
    }
}

#[derive(Deserialize)]
pub(super) struct ActivateForm {
    #[serde(default)]
    code: SecretField,
}

pub(super) async fn activate(
    State(state): State<AppState>,
    Posted(mut session, form): Posted<ActivateForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let account = user.account();
    let eid = session_eid(&session)?;
    // Without JavaScript nothing has fetched the registration yet.
    if let Ok(RegistrationStatus::Waiting) = state.rp.complete_registration(&eid, &mut rng()?).await
    {
        let message = "Your phone has not connected yet: scan the QR code first, then type the code it shows.";
        return Ok(render(&state, &session, &user, None, Some(message))
            .await?
            .into_response());
    }
    let rp = state.rp.clone();
    let mut r = rng()?;
    let code = form.code;
    let acct = account.clone();
    let result = state
        .blocking_rp(move || async move {
            Ok(rp.activate(&acct, &eid, code.expose().trim(), &mut r).await)
        })
        .await?;
    session.row.enroll_eid = None;
    let replaces = session.row.replace_device.take();
    let message = match result {
        Ok(ActivationResult::Activated(activated)) => {
            state.rp.set_account_policy(
                &account,
                AccountPolicy {
                    kind: state.settings.approval,
                    uv: false,
                },
            ).await?;
            let mut flash = format!("{} was added.", activated.device.name);
            if let Some(old) = replaces.as_deref().and_then(|d| DeviceId::parse(d).ok()) {
                if state.rp.remove_device(&account, &old, &mut rng()?).await? {
                    flash = format!(
                        "{} replaced your old phone, which can no longer approve logins.",
                        activated.device.name
                    );
                }
            }
            session.save(&state)?;
            tracing::info!(user = user.id, replaced = replaces.is_some(), "phone activated");
            return Ok(match activated.backup_codes {
                Some(codes) => codes_page(&user, &session, &codes, true).into_response(),
                None => {
                    session.row.flash = Some(flash);
                    session.save(&state)?;
                    Redirect::to("/security").into_response()
                }
            });
        }
        Ok(ActivationResult::Rejected) => {
            "That code was not right, so this connection was cancelled for your safety. Start again with a new QR code."
        }
        Err(RpError::EnrollmentExpired) => "The connection took too long and expired. Start again.",
        Err(RpError::SecondFactorRequired) => {
            "Two-step verification was turned on meanwhile: add this phone with a code from the other one."
        }
        Err(RpError::NotAwaitingActivation | RpError::UnknownEnrollment) => {
            "This connection is no longer waiting for a code. Start again."
        }
        Err(e) => return Err(e.into()),
    };
    session.row.flash = Some(message.to_owned());
    session.save(&state)?;
    Ok(Redirect::to("/security").into_response())
}
