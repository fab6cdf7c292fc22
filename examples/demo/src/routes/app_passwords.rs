//! Application passwords: for tools that cannot do two-step verification
//! (mail clients, sync tools). Created with a name and shown once, listed,
//! revoked. `/api/whoami` is such a tool's endpoint: HTTP Basic auth with the
//! username and an application password (the account password is refused
//! there once two-step verification is on).

use assent_rp::{Admission, Error as RpError, Verification};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::security::{render, user_page};
use super::{require_user, ClientInfo};
use crate::csrf::Posted;
use crate::error::Result;
use crate::html::{self, esc};
use crate::state::{rng, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/security/app-passwords", post(create))
        .route("/security/app-passwords/revoke", post(revoke))
        .route("/security/app-passwords/revoke-all", post(revoke_all))
        .route("/api/whoami", get(whoami))
}

/// The security page's section: the list and the create form.
pub async fn section(state: &AppState, account: &str, csrf: &str) -> Result<String> {
    let rows: String = state
        .rp
        .list_app_passwords(account).await?
        .iter()
        .filter(|p| p.revoked_at.is_none())
        .map(|p| {
            let last = p
                .last_used_at
                .map_or("never used".to_owned(), |t| {
                    format!("last used {}", html::date(t.try_into().unwrap_or(0)))
                });
            let field = format!(
                r#"<input type="hidden" name="id" value="{}">"#,
                esc(&p.id)
            );
            format!(
                r#"<tr class="app-password" data-id="{id}"><td>{name}</td><td class="muted">{last}</td><td>{revoke}</td></tr>"#,
                id = esc(&p.id),
                name = esc(&p.name),
                revoke = html::form(
                    "/security/app-passwords/revoke",
                    csrf,
                    &field,
                    "Revoke",
                    "danger inline"
                ),
            )
        })
        .collect();
    let list = if rows.is_empty() {
        r#"<p class="muted" id="no-app-passwords">None yet.</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="app-passwords">{rows}</table>{}"#,
            html::form(
                "/security/app-passwords/revoke-all",
                csrf,
                "",
                "Revoke all application passwords",
                "danger"
            )
        )
    };
    let field = html::input(
        "name",
        "Name (e.g. Mail on my laptop)",
        "text",
        r#"maxlength="64" required"#,
    );
    Ok(format!(
        r#"<p class="muted">For apps that cannot ask for your phone. They use the address <code>/api/whoami</code> with your username and the app password.</p>{list}{}"#,
        html::form(
            "/security/app-passwords",
            csrf,
            &field,
            "Create",
            "secondary"
        )
    ))
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
}

async fn create(
    State(state): State<AppState>,
    Posted(session, form): Posted<CreateForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let rp = state.rp.clone();
    let account = user.account();
    let mut r = rng()?;
    let created = state
        .blocking_rp(move || async move {
            Ok(rp.create_app_password(&account, &form.name, &mut r).await)
        })
        .await?;
    let created = match created {
        Ok(c) => c,
        Err(RpError::InvalidName) => {
            let message = "Give the application password a name of 1 to 64 characters.";
            return Ok(render(&state, &session, &user, None, Some(message))
                .await?
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let body = format!(
        r#"<h1>Application password created</h1>
<p>Type this password in <b>{name}</b> instead of your account password. It is shown only now.</p>
<p class="number"><code id="new-app-password">{password}</code></p>
<p><a href="/security">Done</a></p>"#,
        name = esc(&created.info.name),
        password = esc(created.password()),
    );
    Ok(user_page("Application password", &user, &session, &body).into_response())
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    id: String,
}

async fn revoke(
    State(state): State<AppState>,
    Posted(mut session, form): Posted<RevokeForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let revoked = state
        .rp
        .revoke_app_password(&user.account(), &form.id)
        .await?;
    session.row.flash = Some(
        if revoked {
            "The application password was revoked."
        } else {
            "That application password was already revoked."
        }
        .to_owned(),
    );
    session.save(&state)?;
    Ok(Redirect::to("/security").into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn revoke_all(
    State(state): State<AppState>,
    Posted(mut session, _): Posted<Empty>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let n = state.rp.revoke_all_app_passwords(&user.account()).await?;
    session.row.flash = Some(format!("{n} application password(s) revoked."));
    session.save(&state)?;
    Ok(Redirect::to("/security").into_response())
}

fn unauthorized(message: &'static str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, r#"Basic realm="assent-demo""#)],
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

/// Username and password from `Authorization: Basic`.
fn basic(headers: &HeaderMap) -> Option<(String, Zeroizing<String>)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = Zeroizing::new(STANDARD.decode(encoded.trim()).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_lowercase(), Zeroizing::new(password.to_owned())))
}

async fn whoami(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
) -> Result<Response> {
    let Some((username, password)) = basic(&headers) else {
        return Ok(unauthorized("basic auth required"));
    };
    let Some((user, _)) = state.db.user_by_name(&username)? else {
        // Counted like guesses at a real account's passwords: the same answers.
        let now = u64::try_from(state.now()).unwrap_or(0);
        return Ok(
            match state.gate.admit_unknown_user(&username, client.ip, now) {
                Admission::Allowed => unauthorized("wrong username or application password"),
                Admission::Throttled { retry_after } => too_many(retry_after),
            },
        );
    };
    let rp = state.rp.clone();
    let account = user.account();
    let verdict = state
        .blocking_rp(move || async move {
            Ok(rp
                .from_source(client.ip)
                .verify_app_password(&account, &password)
                .await?)
        })
        .await?;
    Ok(match verdict {
        Verification::Accepted => {
            Json(serde_json::json!({ "user": user.username })).into_response()
        }
        Verification::Rejected => unauthorized("wrong username or application password"),
        Verification::Throttled { retry_after } => too_many(retry_after),
    })
}

fn too_many(retry_after: std::time::Duration) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", retry_after.as_secs().max(1).to_string())],
        Json(serde_json::json!({ "error": "too many failed attempts" })),
    )
        .into_response()
}
