//! The password step and logout. A right password for an account with a
//! second factor leads to the second step (a push to the phone at once when
//! it has one), unless this browser is trusted for the account; without one, it logs in.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::second_step::start_push;
use super::trusted_browsers;
use super::{complete_login, logged_in, ClientInfo};
use crate::csrf::{Posted, SecretField};
use crate::error::Result;
use crate::gate::Refusal;
use crate::html::{self, wait_text};
use crate::session::Session;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(show).post(submit))
        .route("/logout", post(logout))
}

fn form(csrf: &str, username: &str, flash: Option<&str>, error: Option<&str>) -> Html<String> {
    let fields = format!(
        "{}{}{}",
        html::input(
            "username",
            "Username",
            "text",
            &format!(
                r#"autocomplete="username" required autofocus value="{}""#,
                html::esc(username)
            )
        ),
        html::input(
            "password",
            "Password",
            "password",
            r#"autocomplete="current-password" required"#
        ),
        trusted_browsers::checkbox(),
    );
    html::page(
        "Log in",
        None,
        &format!(
            r#"<h1>Log in</h1>{}{}{}<p class="muted">New here? <a href="/signup">Create an account</a>.</p>"#,
            html::flash(flash),
            html::error(error),
            html::form("/login", csrf, &fields, "Log in", "")
        ),
    )
}

async fn show(State(state): State<AppState>, mut session: Session) -> Result<Response> {
    if logged_in(&state, &session)?.is_some() {
        return Ok(Redirect::to("/security").into_response());
    }
    let flash = session.take_flash(&state)?;
    Ok(form(&session.row.csrf, "", flash.as_deref(), None).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: SecretField,
    /// "Trust this browser" (absent: ask every time).
    #[serde(default)]
    trust: Option<String>,
}

async fn submit(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    Posted(mut session, login): Posted<LoginForm>,
) -> Result<Response> {
    let username = login.username.trim().to_lowercase();
    // Throttled before any hash (issue 13 finding 4): per account and per source.
    let now = u64::try_from(state.now()).unwrap_or(0);
    if let Err(Refusal::Throttled(wait)) = state.gate.admit(&username, client.ip, now) {
        tracing::info!("password attempt throttled");
        let message = format!(
            "Too many attempts. Try again in {}.",
            wait_text(wait.as_secs())
        );
        let mut response = form(&session.row.csrf, &username, None, Some(&message)).into_response();
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(response);
    }
    let found = state.db.user_by_name(&username)?;
    let hasher = state.hasher.clone();
    let password = login.password;
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let right = state
        .blocking(move || match stored {
            Some(hash) => Ok(hasher.verify(password.expose().as_bytes(), &hash)?),
            None => {
                // Spend the same time on unknown names as on wrong passwords.
                let salt = crate::session::random_salt()?;
                hasher.hash(password.expose().as_bytes(), &salt)?;
                Ok(false)
            }
        })
        .await?;
    let Some(user) = user.filter(|_| right) else {
        tracing::info!("wrong username or password");
        return Ok(form(
            &session.row.csrf,
            &username,
            None,
            Some("Wrong username or password."),
        )
        .into_response());
    };
    state.gate.succeeded(&username, client.ip, now);
    let account = user.account();
    if !state.rp.has_second_factor(&account).await? {
        complete_login(&state, &mut session, &user, None)?;
        return Ok(Redirect::to("/security").into_response());
    }
    if let Some(browser) = trusted_browsers::trusted(&state, &headers, &user, &client).await? {
        tracing::info!(user = user.id, browser = %browser.id, "second step skipped: trusted browser");
        let flash = format!(
            "This browser ({}) is trusted: no second step until {}.",
            browser.name,
            crate::html::date(i64::try_from(browser.expires_at).unwrap_or(0))
        );
        complete_login(&state, &mut session, &user, Some(flash))?;
        return Ok(Redirect::to("/security").into_response());
    }
    session.row.user_id = None;
    session.row.pending_user_id = Some(user.id);
    session.row.trust = login.trust.is_some();
    session.clear_push();
    session.rotate(&state)?;
    let has_phone = state
        .rp
        .devices(&account)
        .await?
        .iter()
        .any(|d| d.state == assent_rp::DeviceState::Active);
    if !has_phone {
        return Ok(Redirect::to("/login/totp").into_response());
    }
    if let Some(message) = start_push(&state, &mut session, &user, &client).await? {
        session.row.flash = Some(message);
    }
    session.save(&state)?;
    Ok(Redirect::to("/login/push").into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
    Posted(session, _): Posted<Empty>,
) -> Result<Response> {
    session.destroy(&state)?;
    Ok(Redirect::to("/login").into_response())
}
