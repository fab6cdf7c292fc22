//! The second step, after a right password:
//!
//! - push: [`start_push`] sends a challenge and keeps its `SessionHandle` in
//!   this server-side session only; the waiting page shows the number (or
//!   code) to type on the phone and long-polls `/login/push/status`, which
//!   verifies the phone's answer through the RP library and, on approval,
//!   redeems it for this session and logs it in;
//! - `/login/totp`: the code the app shows;
//! - `/login/backup`: a single-use backup code.
//!
//! Wrong codes are throttled by the RP library (growing delays per account);
//! the page says how long to wait.

use std::time::Duration;

use assent_protocol::{ApprovalKind, LoginContext};
use assent_rp::{ChallengeStatus, Error as RpError, SessionHandle, Verification};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::trusted_browsers::finish_second_step;
use super::ClientInfo;
use crate::csrf::{Posted, SecretField};
use crate::db::User;
use crate::error::{AppError, Result};
use crate::html::{self, esc, wait_text};
use crate::session::Session;
use crate::state::{rng, AppState};

/// Longest long-poll the status endpoint holds, seconds.
const MAX_WAIT: u64 = 25;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login/push", get(push_page).post(push_again))
        .route("/login/push/status", get(push_status))
        .route("/login/totp", get(totp_page).post(totp_submit))
        .route("/login/backup", get(backup_page).post(backup_submit))
}

/// The user whose password was right, awaiting this step.
fn pending_user(state: &AppState, session: &Session) -> Result<User> {
    match session.row.pending_user_id {
        Some(id) => state.db.user(id)?.ok_or(AppError::LoginRequired),
        None => Err(AppError::LoginRequired),
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The message for a refused code, `None` when accepted.
pub fn refusal(v: Verification) -> Option<String> {
    match v {
        Verification::Accepted => None,
        Verification::Rejected => Some("That code is not right.".into()),
        Verification::Throttled { retry_after } => Some(format!(
            "Too many failed attempts. Try again in {}.",
            wait_text(secs(retry_after))
        )),
    }
}

/// Sends a push challenge for `user` and keeps it in `session` (not saved).
/// Returns the message to show when no push could be sent.
pub async fn start_push(
    state: &AppState,
    session: &mut Session,
    user: &User,
    client: &ClientInfo,
) -> Result<Option<String>> {
    let now = state.rp.now();
    let context = LoginContext::new(&client.agent, client.ip, client.location(), now);
    let result = state
        .rp
        .start_challenge(&user.account(), &context, &mut rng()?)
        .await;
    let message = match result {
        Ok(started) => {
            session.row.push_handle = Some(started.handle.to_base64url().to_string());
            session.row.push_display = Some(started.display.to_string());
            session.row.push_device = Some(started.device_name);
            session.row.push_expires = i64::try_from(started.expires_at).ok();
            return Ok(None);
        }
        Err(RpError::Throttled { retry_after }) => format!(
            "Too many failed attempts. Try again in {}, or use a code.",
            wait_text(secs(retry_after))
        ),
        Err(RpError::Muted { retry_after }) => format!(
            "Login requests are paused for {} after a \u{201c}this wasn't me\u{201d} answer. Use a code from your app instead.",
            wait_text(secs(retry_after))
        ),
        Err(RpError::TooManyChallenges { retry_after }) => format!(
            "Too many requests were sent. Try again in {}, or use a code.",
            wait_text(secs(retry_after))
        ),
        Err(RpError::ChallengePending) if session.row.push_handle.is_some() => return Ok(None),
        Err(RpError::ChallengePending) => {
            "A request is already waiting on your phone from another window. Answer it there, wait for it to expire, or use a code.".into()
        }
        Err(RpError::NoActiveDevice) => "No phone is set up. Use a code instead.".into(),
        Err(e @ RpError::Relay(_)) => {
            tracing::warn!(error = %e, "push not sent");
            "We could not reach your phone. Use a code from your app instead.".into()
        }
        Err(e) => return Err(e.into()),
    };
    session.clear_push();
    Ok(Some(message))
}

/// Links to the other ways of passing this step, without `current`.
fn alternatives(with_push: bool, current: &str) -> String {
    let links = [
        ("push", "/login/push", "Approve on your phone"),
        ("totp", "/login/totp", "Use a code instead"),
        ("backup", "/login/backup", "Use a backup code"),
    ];
    let shown: Vec<String> = links
        .iter()
        .filter(|(id, href, _)| *href != current && (with_push || *id != "push"))
        .map(|(id, href, text)| format!(r#"<a id="use-{id}" href="{href}">{text}</a>"#))
        .collect();
    format!(r#"<p class="muted">{}</p>"#, shown.join(" · "))
}

const POLL_SCRIPT: &str = r#"<script>
(function () {
  var state = document.getElementById('push-state');
  var again = document.getElementById('push-again');
  function stop(message) {
    state.textContent = message;
    state.className = 'error';
    again.hidden = false;
  }
  function poll(delay) {
    setTimeout(function () {
      fetch('/login/push/status?wait=20', {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.status === 'done') {
            state.textContent = 'Approved. Logging you in\u2026';
            state.className = 'flash';
            location.assign(s.next);
          } else if (s.status === 'pending') {
            poll(s.retry ? 1000 : 0);
          } else {
            stop(s.message);
          }
        })
        .catch(function () { poll(Math.min(2 * (delay || 500), 10000)); });
    }, delay);
  }
  poll(0);
})();
</script>"#;

async fn push_page(State(state): State<AppState>, mut session: Session) -> Result<Html<String>> {
    let user = pending_user(&state, &session)?;
    let flash = session.take_flash(&state)?;
    let csrf = session.row.csrf.clone();
    let again = html::form("/login/push", &csrf, "", "Send another request", "");
    let body = match (&session.row.push_handle, &session.row.push_display) {
        (Some(_), Some(display)) => {
            let device = session.row.push_device.clone().unwrap_or_default();
            let what = match display.len() {
                0 => "Open it and tap Approve.".to_owned(),
                2 => "Open it and type this number:".to_owned(),
                _ => "Open it and type this code:".to_owned(),
            };
            format!(
                r#"<h1>Approve on your phone</h1>{flash}
<p>We sent a login request to <b id="push-device">{device}</b>. {what}</p>
<p class="number" id="push-number">{display}</p>
<p id="push-state" class="muted"><span class="spinner"></span> Waiting for your phone&hellip;</p>
<div id="push-again" hidden>{again}</div>{alt}{POLL_SCRIPT}"#,
                flash = html::flash(flash.as_deref()),
                device = esc(&device),
                display = esc(display),
                alt = alternatives(false, "/login/push"),
            )
        }
        _ => format!(
            r#"<h1>Two-step verification</h1>{error}<p>Hello {name}. Approve this login on your phone.</p>
<div id="push-again">{again}</div>{alt}"#,
            error = html::error(flash.as_deref()),
            name = esc(&user.username),
            alt = alternatives(false, "/login/push"),
        ),
    };
    Ok(html::page("Approve on your phone", None, &body))
}

#[derive(Deserialize)]
struct Empty {}

async fn push_again(
    State(state): State<AppState>,
    client: ClientInfo,
    Posted(mut session, _): Posted<Empty>,
) -> Result<Response> {
    let user = pending_user(&state, &session)?;
    session.clear_push();
    if let Some(message) = start_push(&state, &mut session, &user, &client).await? {
        session.row.flash = Some(message);
    }
    session.save(&state)?;
    Ok(Redirect::to("/login/push").into_response())
}

#[derive(Deserialize)]
struct WaitQuery {
    #[serde(default)]
    wait: u64,
}

/// The waiting page's long-poll answer.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PushStatus {
    /// `pending`, `done`, `denied`, `fraud`, `expired`.
    pub status: &'static str,
    /// Where to go when done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<&'static str>,
    /// What to tell the user otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    /// Poll again after a short pause (the relay was unreachable).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retry: bool,
}

fn status(status: &'static str, message: Option<&'static str>) -> Json<PushStatus> {
    Json(PushStatus {
        status,
        next: None,
        message,
        retry: false,
    })
}

async fn push_status(
    State(state): State<AppState>,
    client: ClientInfo,
    Query(q): Query<WaitQuery>,
    mut session: Session,
) -> Result<Json<PushStatus>> {
    if session.row.user_id.is_some() {
        return Ok(Json(PushStatus {
            status: "done",
            next: Some("/security"),
            message: None,
            retry: false,
        }));
    }
    let user = pending_user(&state, &session)?;
    let Some(handle) = session.row.push_handle.as_deref() else {
        return Ok(status(
            "expired",
            Some("No request is waiting. Send another."),
        ));
    };
    let handle = SessionHandle::parse(handle)?;
    let wait = Duration::from_secs(q.wait.min(MAX_WAIT));
    let outcome = match state.rp.poll_challenge(&handle, wait).await {
        Ok(s) => s,
        Err(e @ (RpError::Relay(_) | RpError::InvalidAnswer(_))) => {
            tracing::warn!(error = %e, "push status unavailable");
            return Ok(Json(PushStatus {
                status: "pending",
                next: None,
                message: None,
                retry: true,
            }));
        }
        Err(RpError::UnknownSession) => ChallengeStatus::Expired,
        Err(e) => return Err(e.into()),
    };
    let message = match outcome {
        ChallengeStatus::Pending => return Ok(status("pending", None)),
        ChallengeStatus::Approved => match state.rp.redeem(&handle).await {
            Ok(_) => {
                finish_second_step(&state, &mut session, &user, None, &client).await?;
                return Ok(Json(PushStatus {
                    status: "done",
                    next: Some("/security"),
                    message: None,
                    retry: false,
                }));
            }
            Err(RpError::NotRedeemable) => "This approval can no longer be used. Send another request.",
            Err(e) => return Err(e.into()),
        },
        ChallengeStatus::Denied => "The request was denied on your phone (or the number typed there was wrong). Send another or use a code.",
        ChallengeStatus::FraudReported => "You answered \u{201c}this wasn't me\u{201d}. Login requests are paused for a while. If it was you after all, use a code from your app.",
        ChallengeStatus::Expired => "The request expired. Send another.",
        ChallengeStatus::Cancelled => "That phone was removed. Use a code instead.",
        _ => "This request was already used. Send another.",
    };
    let kind = match outcome {
        ChallengeStatus::Denied => "denied",
        ChallengeStatus::FraudReported => "fraud",
        _ => "expired",
    };
    session.clear_push();
    session.save(&state)?;
    Ok(status(kind, Some(message)))
}

fn code_page(
    title: &str,
    action: &str,
    label: &str,
    hint: &str,
    csrf: &str,
    error: Option<&str>,
    with_push: bool,
) -> Html<String> {
    let field = html::input(
        "code",
        label,
        "text",
        r#"inputmode="text" autocomplete="one-time-code" required autofocus"#,
    );
    html::page(
        title,
        None,
        &format!(
            r#"<h1>{}</h1>{}<p>{}</p>{}{}"#,
            esc(title),
            html::error(error),
            esc(hint),
            html::form(action, csrf, &field, "Verify", ""),
            alternatives(with_push, action)
        ),
    )
}

async fn has_phone(state: &AppState, user: &User) -> Result<bool> {
    Ok(state
        .rp
        .devices(&user.account())
        .await?
        .iter()
        .any(|d| d.state == assent_rp::DeviceState::Active))
}

const TOTP_HINT: &str = "Open the Assent app and type the 6-digit code it shows for this site.";
const BACKUP_HINT: &str =
    "Type one of the backup codes you saved (like abcde-fghjk). Each works once.";

async fn totp_page(State(state): State<AppState>, mut session: Session) -> Result<Html<String>> {
    let user = pending_user(&state, &session)?;
    let flash = session.take_flash(&state)?;
    Ok(code_page(
        "Enter the code from your app",
        "/login/totp",
        "Code",
        TOTP_HINT,
        &session.row.csrf,
        flash.as_deref(),
        has_phone(&state, &user).await?,
    ))
}

async fn backup_page(State(state): State<AppState>, session: Session) -> Result<Html<String>> {
    let user = pending_user(&state, &session)?;
    Ok(code_page(
        "Use a backup code",
        "/login/backup",
        "Backup code",
        BACKUP_HINT,
        &session.row.csrf,
        None,
        has_phone(&state, &user).await?,
    ))
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: SecretField,
}

async fn totp_submit(
    State(state): State<AppState>,
    client: ClientInfo,
    Posted(mut session, form): Posted<CodeForm>,
) -> Result<Response> {
    let user = pending_user(&state, &session)?;
    let verdict = state
        .rp
        .from_source(client.ip)
        .verify_totp(&user.account(), form.code.expose().trim())
        .await?;
    finish(
        &state,
        &client,
        &mut session,
        &user,
        verdict,
        "/login/totp",
        None,
    )
    .await
}

async fn backup_submit(
    State(state): State<AppState>,
    client: ClientInfo,
    Posted(mut session, form): Posted<CodeForm>,
) -> Result<Response> {
    let user = pending_user(&state, &session)?;
    let rp = state.rp.clone();
    let account = user.account();
    let (verdict, left) = state
        .blocking_rp(move || async move {
            let verdict = rp
                .from_source(client.ip)
                .verify_backup_code(&account, form.code.expose())
                .await?;
            Ok((verdict, rp.backup_codes_remaining(&account).await?))
        })
        .await?;
    let flash = format!("You used a backup code: {left} left. You can make new ones below.");
    finish(
        &state,
        &client,
        &mut session,
        &user,
        verdict,
        "/login/backup",
        Some(flash),
    )
    .await
}

async fn finish(
    state: &AppState,
    client: &ClientInfo,
    session: &mut Session,
    user: &User,
    verdict: Verification,
    again: &str,
    flash: Option<String>,
) -> Result<Response> {
    match refusal(verdict) {
        None => {
            finish_second_step(state, session, user, flash, client).await?;
            Ok(Redirect::to("/security").into_response())
        }
        Some(message) => {
            let (title, label, hint) = if again == "/login/totp" {
                ("Enter the code from your app", "Code", TOTP_HINT)
            } else {
                ("Use a backup code", "Backup code", BACKUP_HINT)
            };
            Ok(code_page(
                title,
                again,
                label,
                hint,
                &session.row.csrf,
                Some(&message),
                has_phone(state, user).await?,
            )
            .into_response())
        }
    }
}

/// The approval kind from its name (`number` or `code`).
pub fn parse_kind(name: &str) -> Option<ApprovalKind> {
    match name {
        "number" => Some(ApprovalKind::Number),
        "code" => Some(ApprovalKind::Code),
        _ => None,
    }
}
