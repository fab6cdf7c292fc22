//! The security page: the phones (list and remove; connecting one is
//! `connect_phone.rs`), backup codes (shown once, downloadable, regenerated), the
//! RP's notices (new phone, removal, "this wasn't me"), and the sections of trusted
//! browsers, application passwords and the password.

use assent_protocol::DeviceId;
use assent_rp::{BackupCodes, DeviceState, Error as RpError};
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::require_user;
use super::second_step::refusal;
use super::{app_passwords, connect_phone, password, trusted_browsers};
use crate::csrf::Posted;
use crate::db::User;
use crate::error::{AppError, Result};
use crate::html::{self, esc};
use crate::session::Session;
use crate::state::{rng, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/security", get(show))
        .route("/security/enroll", post(connect_phone::enroll))
        .route("/security/enroll/status", get(connect_phone::enroll_status))
        .route("/security/activate", post(connect_phone::activate))
        .route("/security/backup-codes", post(regenerate))
        .route("/security/devices/remove", post(remove_device))
        .route("/security/devices/replace", post(connect_phone::replace))
        .route("/security/notices/dismiss", post(dismiss))
        .route("/security/turn-off", post(turn_off))
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
                let proof = html::input(
                    "proof",
                    "Code from this phone, or a backup code if it is gone",
                    "text",
                    r#"autocomplete="one-time-code" required"#,
                );
                format!(
                    r#"<tr class="device" data-id="{id}"><td>{}</td><td class="muted">added {}</td><td>{}<details class="replace"><summary>Replace</summary>{}</details></td></tr>"#,
                    esc(&d.name),
                    html::date(d.activated_at.map_or(d.created_at, |a| a).try_into().unwrap_or(0)),
                    html::form("/security/devices/remove", csrf, &field, "Remove", "danger inline"),
                    html::form(
                        "/security/devices/replace",
                        csrf,
                        &format!("{field}{proof}"),
                        "Replace with a new phone",
                        "secondary"
                    ),
                    id = esc(&d.device_id.to_string()),
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
<details><summary>Add another phone</summary>{}</details>
<details id="turn-off"><summary>Turn off two-step verification</summary><p class="muted">Your phones, your backup codes and your application passwords stop working, and trusted browsers are forgotten; after that your password alone logs you in.</p>{}</details>"#,
            html::form("/security/enroll", csrf, &proof, "Add a phone", "secondary"),
            html::form(
                "/security/turn-off",
                csrf,
                &proof,
                "Turn off two-step verification",
                "danger"
            )
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
    if state.rp.must_enroll(&account).await? {
        let org = state
            .rp
            .organization_of(&account)
            .await?
            .unwrap_or_default();
        let body = format!(
            r#"<h1>Security</h1>{}{}<p class="error" id="org-required">Your organization, <b>{}</b>, requires two-step verification. Turn it on to continue.</p>{tsv}"#,
            html::flash(flash),
            html::error(error),
            esc(&org),
        );
        return Ok(user_page("Security", user, session, &body));
    }
    let body = format!(
        r#"<h1>Security</h1>{}{}{notices}<h2>Two-step verification</h2>{tsv}<h2>Backup codes</h2>{backup}{}<h2>Application passwords</h2>{}<h2>Password</h2>{}"#,
        html::flash(flash),
        html::error(error),
        trusted_browsers::section(state, &account, csrf).await?,
        app_passwords::section(state, &account, csrf).await?,
        password::section(csrf),
    );
    Ok(user_page("Security", user, session, &body))
}

/// The backup codes, shown once, with a text-file download.
pub(super) fn codes_page(
    user: &User,
    session: &Session,
    codes: &BackupCodes,
    first: bool,
) -> Html<String> {
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
    let codes = state
        .blocking_rp(move || async move { Ok(rp.generate_backup_codes(&account, &mut r).await?) })
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

/// Turns two-step verification off, with a code from the app or a backup code.
async fn turn_off(
    State(state): State<AppState>,
    Posted(mut session, form): Posted<connect_phone::ProofForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let account = user.account();
    let proof = match connect_phone::prove(&state, &account, form.proof.expose()).await? {
        Ok(proof) => proof,
        Err(verdict) => {
            let message = refusal(verdict).unwrap_or_default();
            let message =
                format!("To turn off two-step verification, first prove it is you. {message}");
            return Ok(render(&state, &session, &user, None, Some(&message))
                .await?
                .into_response());
        }
    };
    let message = match state.rp.turn_off_two_step(proof, &mut rng()?).await {
        Ok(_) => "Two-step verification is off.",
        Err(e @ RpError::Relay(_)) => {
            tracing::warn!(error = %e, "turning off: a phone's removal not confirmed at the relay");
            "The phone service was unreachable: two-step verification is still on. Try again."
        }
        Err(e) => return Err(e.into()),
    };
    session.row.flash = Some(message.to_owned());
    session.save(&state)?;
    Ok(Redirect::to("/security").into_response())
}
