//! Sign up: a username and a password (argon2id), then straight to the
//! security page to turn on two-step verification.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::{complete_login, logged_in};
use crate::csrf::{Posted, SecretField};
use crate::error::Result;
use crate::html;
use crate::session::Session;
use crate::state::AppState;

/// Password length bounds (characters).
pub const PASSWORD_MIN: usize = 8;
/// Longest accepted password (characters).
pub const PASSWORD_MAX: usize = 256;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/signup", get(show).post(submit))
}

fn form(csrf: &str, username: &str, error: Option<&str>) -> Html<String> {
    let fields = format!(
        "{}{}",
        html::input(
            "username",
            "Username",
            "text",
            &format!(
                r#"autocomplete="username" required value="{}""#,
                html::esc(username)
            )
        ),
        html::input(
            "password",
            &format!("Password (at least {PASSWORD_MIN} characters)"),
            "password",
            r#"autocomplete="new-password" required"#
        ),
    );
    html::page(
        "Sign up",
        None,
        &format!(
            r#"<h1>Create an account</h1>{}{}<p class="muted">Already have one? <a href="/login">Log in</a>.</p>"#,
            html::error(error),
            html::form("/signup", csrf, &fields, "Sign up", "")
        ),
    )
}

async fn show(State(state): State<AppState>, session: Session) -> Result<Response> {
    if logged_in(&state, &session)?.is_some() {
        return Ok(Redirect::to("/security").into_response());
    }
    Ok(form(&session.row.csrf, "", None).into_response())
}

/// A username: 3–32 of `a-z 0-9 . _ -` (lowercased).
pub fn check_username(name: &str) -> Option<String> {
    let name = name.trim().to_lowercase();
    let ok = (3..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    ok.then_some(name)
}

#[derive(Deserialize)]
struct SignupForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: SecretField,
}

async fn submit(
    State(state): State<AppState>,
    Posted(mut session, form_data): Posted<SignupForm>,
) -> Result<Response> {
    let csrf = session.row.csrf.clone();
    let Some(username) = check_username(&form_data.username) else {
        return Ok(form(
            &csrf,
            &form_data.username,
            Some("Usernames are 3 to 32 letters, digits, dots, dashes or underscores."),
        )
        .into_response());
    };
    let length = form_data.password.expose().chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        return Ok(
            form(&csrf, &username, Some("Passwords are 8 to 256 characters.")).into_response(),
        );
    }
    let hasher = state.hasher.clone();
    let password = form_data.password;
    let hash = state
        .blocking(move || {
            let salt = crate::session::random_salt()?;
            Ok(hasher.hash(password.expose().as_bytes(), &salt)?)
        })
        .await?;
    let Some(user) = state.db.create_user(&username, &hash, state.now())? else {
        return Ok(form(&csrf, &username, Some("That username is taken.")).into_response());
    };
    tracing::info!(user = user.id, "signed up");
    complete_login(
        &state,
        &mut session,
        &user,
        Some("Welcome! Now turn on two-step verification.".into()),
    )?;
    Ok(Redirect::to("/security").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain_and_lowercased() {
        assert_eq!(check_username(" Alice "), Some("alice".into()));
        assert_eq!(check_username("al"), None);
        assert_eq!(check_username("a<b>c"), None);
        assert_eq!(check_username(&"a".repeat(33)), None);
    }
}
