//! Trusted browsers: "trust this browser" on the second-step pages, the skipped second
//! step at the next login, and the security page's list (revoke one or all).
//!
//! Trusting is the user's choice on the login form, taken when the second step is passed
//! (so a push approved while the page waits counts it too). Not trusting is "ask every
//! time":
//! the login's session cookie then has no lifetime, so the browser forgets the login
//! when it closes, and the next login asks for the second step again.

use assent_rp::TrustedBrowserInfo;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;

use super::{complete_login_with, require_user, ClientInfo};
use crate::csrf::Posted;
use crate::db::User;
use crate::error::Result;
use crate::html::{self, esc};
use crate::session::{cookie_header, token_cookie, Session};
use crate::state::{rng, AppState};

/// The trust cookie's name (`__Host-` prefixed over https).
const COOKIE: &str = "assent_demo_trust";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/security/trusted-browsers/revoke", post(revoke))
        .route("/security/trusted-browsers/revoke-all", post(revoke_all))
}

/// The login form's checkbox.
pub fn checkbox() -> &'static str {
    r#"<label class="check"><input type="checkbox" name="trust" id="trust" value="1"> <b>Trust this browser</b>: no second step here for 30 days. <span class="muted">Unticked, we ask every time and forget this login when the browser closes.</span></label>"#
}

/// The trusted browser this request comes from, for `user`, if its cookie is still
/// trusted (its use is recorded).
pub async fn trusted(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    client: &ClientInfo,
) -> Result<Option<TrustedBrowserInfo>> {
    let Some(token) = token_cookie(headers, COOKIE, state.settings.secure_cookies) else {
        return Ok(None);
    };
    Ok(state
        .rp
        .check_trusted_browser(&user.account(), &token, Some(client.ip))
        .await?)
}

/// Finishes a login after its second step. If the user ticked "trust this browser",
/// the browser gets a trust cookie and a login that outlives the browser; otherwise
/// the login ends when the browser closes.
pub async fn finish_second_step(
    state: &AppState,
    session: &mut Session,
    user: &User,
    flash: Option<String>,
    client: &ClientInfo,
) -> Result<()> {
    let trust = std::mem::take(&mut session.row.trust);
    if trust {
        let new = state
            .rp
            .trust_browser(
                &user.account(),
                &client.user_agent,
                Some(client.ip),
                &mut rng()?,
            )
            .await?;
        let lifetime = new.info.expires_at.saturating_sub(new.info.created_at);
        session.set_cookie(cookie_header(
            COOKIE,
            state.settings.secure_cookies,
            &new.token.to_base64url(),
            Some(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        ));
    }
    complete_login_with(state, session, user, flash, trust)
}

/// The security page's section.
pub async fn section(state: &AppState, account: &str, csrf: &str) -> Result<String> {
    let browsers = state.rp.list_trusted_browsers(account).await?;
    if browsers.is_empty() {
        return Ok(r#"<h2>Trusted browsers</h2><p id="trusted-browsers" class="muted">No browser skips the second step. Tick &ldquo;trust this browser&rdquo; at your next login to add this one.</p>"#.to_owned());
    }
    let rows: String = browsers
        .iter()
        .map(|b| {
            let field = format!(
                r#"<input type="hidden" name="id" value="{}">"#,
                esc(&b.id)
            );
            format!(
                r#"<tr class="trusted-browser"><td>{name}</td><td class="muted">from {ip}, trusted {since}, last used {used}, until {until}</td><td>{form}</td></tr>"#,
                name = esc(&b.name),
                ip = esc(b.first_ip.as_deref().unwrap_or("an unknown address")),
                since = html::date(i64::try_from(b.created_at).unwrap_or(0)),
                used = b
                    .last_used_at
                    .map_or("never".to_owned(), |t| html::date(i64::try_from(t).unwrap_or(0))),
                until = html::date(i64::try_from(b.expires_at).unwrap_or(0)),
                form = html::form(
                    "/security/trusted-browsers/revoke",
                    csrf,
                    &field,
                    "Revoke",
                    "danger inline"
                ),
            )
        })
        .collect();
    Ok(format!(
        r#"<h2>Trusted browsers</h2><p class="muted">These browsers log in with your password alone.</p><table id="trusted-browsers">{rows}</table>{}"#,
        html::form(
            "/security/trusted-browsers/revoke-all",
            csrf,
            "",
            "Revoke all",
            "secondary"
        )
    ))
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
    let done = state
        .rp
        .revoke_trusted_browser(&user.account(), &form.id)
        .await?;
    session.row.flash = Some(if done {
        "That browser will ask for the second step again.".into()
    } else {
        "That browser was no longer trusted.".into()
    });
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
    let n = state
        .rp
        .revoke_all_trusted_browsers(&user.account())
        .await?;
    session.row.flash = Some(format!(
        "{n} browser(s) will ask for the second step again."
    ));
    session.save(&state)?;
    Ok(Redirect::to("/security").into_response())
}
