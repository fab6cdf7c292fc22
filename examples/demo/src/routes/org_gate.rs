//! Holds a logged-in member of an organization that requires two-step verification,
//! while the member has none: every request but those that turn it on (and logging
//! out, and reading the demo's mail) goes to the security page, which then shows only
//! the way to turn it on. Asked of the RP library at every request, so a policy set or
//! a membership added while the member is logged in holds them at their next step.
//! Application passwords (`/api/whoami`, HTTP Basic, no session) are not held.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::logged_in;
use crate::error::AppError;
use crate::session::Session;
use crate::state::AppState;

/// What a held member may still reach: the enrollment itself, logging out, the mail.
const OPEN: &[(Method, &str)] = &[
    (Method::GET, "/security"),
    (Method::POST, "/security/enroll"),
    (Method::GET, "/security/enroll/status"),
    (Method::POST, "/security/activate"),
    (Method::POST, "/logout"),
    (Method::GET, "/outbox"),
    (Method::GET, "/api/whoami"),
];

/// Middleware (inside the session layer).
pub async fn hold(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let open = OPEN
        .iter()
        .any(|(m, p)| request.method() == m && request.uri().path() == *p);
    if !open {
        let session = request.extensions().get::<Session>().cloned();
        if let Some(session) = session {
            if let Some(user) = logged_in(&state, &session)? {
                if state.rp.must_enroll(&user.account()).await? {
                    tracing::info!(user = user.id, path = %request.uri().path(), "held: two-step verification required");
                    return Ok(Redirect::to("/security").into_response());
                }
            }
        }
    }
    Ok(next.run(request).await)
}
