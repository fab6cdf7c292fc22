//! Changing the password (security page): the current password first (throttled like
//! the login), then the new one. Every other session of the user ends, and every
//! trusted browser must pass the second step again (`Rp::password_changed`).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;

use super::security::render;
use super::signup::{PASSWORD_MAX, PASSWORD_MIN};
use super::{require_user, ClientInfo};
use crate::csrf::{Posted, SecretField};
use crate::error::Result;
use crate::gate::Refusal;
use crate::html::{self, wait_text};
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/security/password", post(change))
}

/// The security page's form.
pub fn section(csrf: &str) -> String {
    let fields = format!(
        "{}{}",
        html::input(
            "current",
            "Current password",
            "password",
            r#"autocomplete="current-password" required"#
        ),
        html::input(
            "new",
            "New password (8 to 256 characters)",
            "password",
            r#"autocomplete="new-password" required"#
        ),
    );
    format!(
        r#"<details id="change-password"><summary>Change your password</summary><p class="muted">Your other sessions end and trusted browsers ask for the second step again.</p>{}</details>"#,
        html::form(
            "/security/password",
            csrf,
            &fields,
            "Change password",
            "secondary"
        )
    )
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    current: SecretField,
    #[serde(default)]
    new: SecretField,
}

async fn change(
    State(state): State<AppState>,
    client: ClientInfo,
    Posted(mut session, form): Posted<ChangeForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let now = u64::try_from(state.now()).unwrap_or(0);
    if let Err(Refusal::Throttled(wait)) = state.gate.admit(&user.username, client.ip, now) {
        let message = format!(
            "Too many attempts. Try again in {}.",
            wait_text(wait.as_secs())
        );
        return Ok(render(&state, &session, &user, None, Some(&message))
            .await?
            .into_response());
    }
    let length = form.new.expose().chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        let message = "Passwords are 8 to 256 characters.";
        return Ok(render(&state, &session, &user, None, Some(message))
            .await?
            .into_response());
    }
    let stored = state.db.user_by_name(&user.username)?.map(|(_, hash)| hash);
    let hasher = state.hasher.clone();
    let new_hash = state
        .blocking(move || {
            let right = match stored {
                Some(hash) => hasher.verify(form.current.expose().as_bytes(), &hash)?,
                None => false,
            };
            if !right {
                return Ok(None);
            }
            let salt = crate::session::random_salt()?;
            Ok(Some(hasher.hash(form.new.expose().as_bytes(), &salt)?))
        })
        .await?;
    let Some(new_hash) = new_hash else {
        tracing::info!(user = user.id, "password change: wrong current password");
        return Ok(render(
            &state,
            &session,
            &user,
            None,
            Some("Your current password is not that."),
        )
        .await?
        .into_response());
    };
    state.gate.succeeded(&user.username, client.ip, now);
    state
        .db
        .set_password(user.id, &new_hash, session.id_hash())?;
    let revoked = state.rp.password_changed(&user.account()).await?;
    tracing::info!(user = user.id, revoked, "password changed");
    state.db.add_notice(
        &user.account(),
        &format!(
            "Your password was changed. Your other sessions ended; {revoked} trusted browser(s) will ask for the second step again. If this wasn't you, change it again at once and check your phones."
        ),
        state.now(),
    )?;
    session.row.flash = Some("Your password was changed.".into());
    session.save(&state)?;
    Ok(Redirect::to("/security").into_response())
}
