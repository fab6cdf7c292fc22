//! The security page: turn on two-step verification by connecting a phone
//! (QR code, then the code the app shows), add another phone (with the
//! existing second factor), list and remove phones, backup codes (shown once,
//! downloadable, regenerated), the RP's notices (new phone, removal, "this
//! wasn't me"), and the application passwords section.

use std::time::{Duration, Instant};

use assent_protocol::{DeviceId, EnrollmentId};
use assent_rp::{
    AccountPolicy, ActivationResult, BackupCodes, DeviceState, EnrollmentAuthorization,
    Error as RpError, OfferRequest, ProofResult, RegistrationStatus,
};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::app_passwords;
use super::require_user;
use super::second_step::refusal;
use crate::csrf::{Posted, SecretField};
use crate::db::User;
use crate::error::{AppError, Result};
use crate::html::{self, esc};
use crate::session::Session;
use crate::state::{blocking_rp, rng, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/security", get(show))
        .route("/security/enroll", post(enroll))
        .route("/security/enroll/status", get(enroll_status))
        .route("/security/activate", post(activate))
        .route("/security/backup-codes", post(regenerate))
        .route("/security/devices/remove", post(remove_device))
        .route("/security/notices/dismiss", post(dismiss))
}

/// A page for the logged-in `user`.
pub fn user_page(title: &str, user: &User, session: &Session, body: &str) -> Html<String> {
    html::page(title, Some((&user.username, &session.row.csrf)), body)
}

async fn show(State(state): State<AppState>, mut session: Session) -> Result<Html<String>> {
    let user = require_user(&state, &session)?;
    let flash = session.take_flash(&state)?;
    render(&state, &session, &user, flash.as_deref(), None).await
}

/// The security page, with a message or an error.
pub async fn render(
    state: &AppState,
    session: &Session,
    user: &User,
    flash: Option<&str>,
    error: Option<&str>,
) -> Result<Html<String>> {
    let account = user.account();
    let csrf = &session.row.csrf;
    let notices = state.db.notices(&account)?;
    let notices = if notices.is_empty() {
        String::new()
    } else {
        let items: String = notices
            .iter()
            .map(|n| {
                format!(
                    r#"<p class="notice">{} <span class="muted">{}</span></p>"#,
                    esc(&n.text),
                    html::date(n.at)
                )
            })
            .collect();
        format!(
            r#"<div id="notices">{items}{}</div>"#,
            html::form(
                "/security/notices/dismiss",
                csrf,
                "",
                "Dismiss",
                "secondary"
            )
        )
    };
    let devices = state.rp.devices(&account).await?;
    let active: Vec<_> = devices
        .iter()
        .filter(|d| d.state == DeviceState::Active)
        .collect();
    let on = state.rp.has_second_factor(&account).await?;
    let tsv = if on {
        let rows: String = active
            .iter()
            .map(|d| {
                let field = format!(
                    r#"<input type="hidden" name="device" value="{}">"#,
                    esc(&d.device_id.to_string())
                );
                format!(
                    r#"<tr class="device"><td>{}</td><td class="muted">added {}</td><td>{}</td></tr>"#,
                    esc(&d.name),
                    html::date(d.activated_at.map_or(d.created_at, |a| a).try_into().unwrap_or(0)),
                    html::form("/security/devices/remove", csrf, &field, "Remove", "danger inline")
                )
            })
            .collect();
        let proof = html::input(
            "proof",
            "Code from your app, or a backup code",
            "text",
            r#"autocomplete="one-time-code" required"#,
        );
        format!(
            r#"<p id="tsv-status">Two-step verification is <b>on</b>. Phones that can approve your logins:</p>
<table id="devices">{rows}</table>
<details><summary>Add another phone</summary>{}</details>"#,
            html::form("/security/enroll", csrf, &proof, "Add a phone", "secondary")
        )
    } else {
        format!(
            r#"<p id="tsv-status">Two-step verification is <b>off</b>. Turn it on: after your password, you approve each login on your phone.</p>{}"#,
            html::form(
                "/security/enroll",
                csrf,
                "",
                "Enable two-step verification",
                ""
            )
        )
    };
    let remaining = state.rp.backup_codes_remaining(&account).await?;
    let backup = if on {
        format!(
            r#"<p id="backup-remaining">{remaining} of 10 backup codes left. They are the way in when your phone is lost.</p>{}"#,
            html::form(
                "/security/backup-codes",
                csrf,
                "",
                "Make new backup codes",
                "secondary"
            )
        )
    } else {
        r#"<p class="muted">You get 10 backup codes when you turn on two-step verification.</p>"#
            .to_owned()
    };
    let body = format!(
        r#"<h1>Security</h1>{}{}{notices}<h2>Two-step verification</h2>{tsv}<h2>Backup codes</h2>{backup}<h2>Application passwords</h2>{}"#,
        html::flash(flash),
        html::error(error),
        app_passwords::section(state, &account, csrf).await?,
    );
    Ok(user_page("Security", user, session, &body))
}

#[derive(Deserialize)]
struct EnrollForm {
    #[serde(default)]
    proof: SecretField,
}

/// The existing second factor, proven by `typed` (a TOTP code if all digits,
/// else a backup code).
async fn prove(state: &AppState, account: &str, typed: &str) -> Result<ProofResult> {
    let typed = typed.trim().to_owned();
    if !typed.is_empty() && typed.chars().all(|c| c.is_ascii_digit()) {
        return Ok(state.rp.prove_with_totp(account, &typed).await?);
    }
    let rp = state.rp.clone();
    let account = account.to_owned();
    blocking_rp(move || async move { Ok(rp.prove_with_backup_code(&account, &typed).await?) }).await
}

async fn enroll(
    State(state): State<AppState>,
    Posted(mut session, form): Posted<EnrollForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let account = user.account();
    let auth = if state.rp.has_second_factor(&account).await? {
        match prove(&state, &account, form.proof.expose()).await? {
            Ok(proof) => EnrollmentAuthorization::Proven(proof),
            Err(verdict) => {
                let message = refusal(verdict).unwrap_or_default();
                let message = format!("To add a phone, first prove it is you. {message}");
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
struct WaitQuery {
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

async fn enroll_status(
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
struct ActivateForm {
    #[serde(default)]
    code: SecretField,
}

async fn activate(
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
    let result = blocking_rp(move || async move {
        Ok(rp.activate(&acct, &eid, code.expose().trim(), &mut r).await)
    })
    .await?;
    session.row.enroll_eid = None;
    let message = match result {
        Ok(ActivationResult::Activated(activated)) => {
            state.rp.set_account_policy(
                &account,
                AccountPolicy {
                    kind: state.settings.approval,
                    uv: false,
                },
            ).await?;
            session.save(&state)?;
            tracing::info!(user = user.id, "phone activated");
            return Ok(match activated.backup_codes {
                Some(codes) => codes_page(&user, &session, &codes, true).into_response(),
                None => {
                    session.row.flash = Some(format!("{} was added.", activated.device.name));
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

/// The backup codes, shown once, with a text-file download.
fn codes_page(user: &User, session: &Session, codes: &BackupCodes, first: bool) -> Html<String> {
    let items: String = codes
        .iter()
        .map(|c| format!("<li>{}</li>", esc(c)))
        .collect();
    let mut file = format!(
        "Assent demo backup codes for {}\r\nEach code works once.\r\n\r\n",
        user.username
    );
    for c in codes.iter() {
        file.push_str(c);
        file.push_str("\r\n");
    }
    let href: String = file
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let lead = if first {
        "Two-step verification is on. "
    } else {
        "Your old backup codes no longer work. "
    };
    let body = format!(
        r#"<h1>Save your backup codes</h1>
<p class="flash">{lead}If you lose your phone, these codes are the only way in. Each works once. They are shown only now.</p>
<ul class="codes" id="backup-codes">{items}</ul>
<p><a id="download-codes" download="assent-demo-backup-codes.txt" href="data:text/plain;charset=utf-8,{href}">Download as a text file</a></p>
<p><a id="codes-saved" href="/security">I saved them</a></p>"#
    );
    user_page("Backup codes", user, session, &body)
}

#[derive(Deserialize)]
struct Empty {}

async fn regenerate(
    State(state): State<AppState>,
    Posted(session, _): Posted<Empty>,
) -> Result<Html<String>> {
    let user = require_user(&state, &session)?;
    let account = user.account();
    if !state.rp.has_second_factor(&account).await? {
        return Err(AppError::BadRequest("two-step verification is off"));
    }
    let rp = state.rp.clone();
    let mut r = rng()?;
    let codes =
        blocking_rp(move || async move { Ok(rp.generate_backup_codes(&account, &mut r).await?) })
            .await?;
    Ok(codes_page(&user, &session, &codes, false))
}

#[derive(Deserialize)]
struct DeviceForm {
    #[serde(default)]
    device: String,
}

async fn remove_device(
    State(state): State<AppState>,
    Posted(mut session, form): Posted<DeviceForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let id = DeviceId::parse(&form.device).map_err(|_| AppError::BadRequest("device id"))?;
    let message = match state
        .rp
        .remove_device(&user.account(), &id, &mut rng()?)
        .await
    {
        Ok(_) => "The phone was removed.",
        Err(RpError::UnknownDevice) => return Err(AppError::BadRequest("unknown device")),
        Err(e @ RpError::Relay(_)) => {
            tracing::warn!(error = %e, "removal not confirmed at the relay");
            "The phone was removed from your account. The phone service was unreachable, so the phone itself may not know yet."
        }
        Err(e) => return Err(e.into()),
    };
    session.row.flash = Some(message.to_owned());
    session.save(&state)?;
    Ok(Redirect::to("/security").into_response())
}

async fn dismiss(
    State(state): State<AppState>,
    Posted(session, _): Posted<Empty>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    state.db.dismiss_notices(&user.account())?;
    Ok(Redirect::to("/security").into_response())
}
