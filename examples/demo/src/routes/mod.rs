//! The site's routes, built in one place by [`app`].
//!
//! - `signup`: create an account.
//! - `login`: password step, logout.
//! - `second_step`: push approval (waiting page + long-poll), TOTP, backup code.
//! - `security`: the security page: phones (list, remove), backup codes, notices.
//! - `connect_phone`: turn on two-step verification or add a phone (QR, wait,
//!   activation code).
//! - `app_passwords`: create / list / revoke (one or all), and `/api/whoami` that
//!   accepts them.
//! - `trusted_browsers`: "trust this browser" on the login form (no second step on
//!   that browser at its next logins), and the security page's list (revoke one or
//!   all).
//! - `password`: changing the password (ends other sessions, revokes trusted browsers).
//! - `org`: organizations (members, the two-step requirement, reminders) and the
//!   demo's mail outbox; `org_gate`: holds a member who must turn two-step
//!   verification on.

pub mod app_passwords;
mod connect_phone;
pub mod login;
mod org;
mod org_gate;
mod password;
pub mod second_step;
pub mod security;
pub mod signup;
pub mod trusted_browsers;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{CACHE_CONTROL, USER_AGENT};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::db::User;
use crate::error::{AppError, Result};
use crate::session::{self, Session};
use crate::state::AppState;

/// The whole site.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/", get(home))
        .merge(signup::routes())
        .merge(login::routes())
        .merge(second_step::routes())
        .merge(security::routes())
        .merge(app_passwords::routes())
        .merge(password::routes())
        .merge(trusted_browsers::routes())
        .merge(org::routes())
        // Inside the session layer: it reads the session that layer loaded.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            org_gate::hold,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ));
    if state.sim.is_some() {
        // The simulated phone is another device: it never touches the site's
        // session (whose id changes at every login, mid-request on the phone).
        router = router.merge(crate::sim::phone::routes());
    }
    router.layer(middleware::from_fn(headers)).with_state(state)
}

/// No caching (pages carry one-time secrets), no framing, no sniffing.
async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

async fn home(State(state): State<AppState>, session: Session) -> Result<Response> {
    Ok(match logged_in(&state, &session)? {
        Some(_) => Redirect::to("/security").into_response(),
        None => Redirect::to("/login").into_response(),
    })
}

/// The fully logged-in user, if any.
pub fn logged_in(state: &AppState, session: &Session) -> Result<Option<User>> {
    match session.row.user_id {
        Some(id) => state.db.user(id),
        None => Ok(None),
    }
}

/// The fully logged-in user, or a redirect to the login page.
pub fn require_user(state: &AppState, session: &Session) -> Result<User> {
    logged_in(state, session)?.ok_or(AppError::LoginRequired)
}

/// Finishes a login: the session now belongs to `user`, under a fresh id.
pub fn complete_login(
    state: &AppState,
    session: &mut Session,
    user: &User,
    flash: Option<String>,
) -> Result<()> {
    complete_login_with(state, session, user, flash, true)
}

/// [`complete_login`]; when not `persistent` the browser forgets the login when it
/// closes ("ask every time").
pub fn complete_login_with(
    state: &AppState,
    session: &mut Session,
    user: &User,
    flash: Option<String>,
    persistent: bool,
) -> Result<()> {
    session.row.user_id = Some(user.id);
    session.row.pending_user_id = None;
    session.row.enroll_eid = None;
    session.clear_push();
    session.row.flash = flash;
    session.rotate_with(state, persistent)?;
    tracing::info!(user = user.id, "logged in");
    Ok(())
}

/// Who is asking: browser and address, for the phone's prompt.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// A short browser description ("Chrome on Linux").
    pub agent: String,
    /// The `User-Agent` header as sent (hyper bounds its size; `browser_name` reads
    /// its first 512 bytes).
    pub user_agent: String,
    /// The peer address.
    pub ip: IpAddr,
}

impl ClientInfo {
    /// An approximate place for the prompt. The demo has no geo-IP database.
    pub fn location(&self) -> &'static str {
        let private = match self.ip {
            IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
            IpAddr::V6(v6) => v6.is_loopback(),
        };
        if private {
            "Local network"
        } else {
            "Unknown location"
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        Ok(Self {
            agent: assent_rp::browser_name(agent),
            user_agent: agent.to_owned(),
            ip,
        })
    }
}
