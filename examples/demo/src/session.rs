//! Server-side sessions with a secure cookie.
//!
//! The cookie carries a random 256-bit id (base64url); the database keeps only
//! its SHA-256, so a copy of the database does not hand out live sessions. The
//! cookie is `HttpOnly`, `SameSite=Lax`, and `Secure` with the `__Host-` prefix
//! when the site is served over https. Every session has an absolute expiry
//! (1 hour before login, 12 hours after) and a CSRF token of its own; logging
//! in moves the session to a fresh id (no session fixation).
//!
//! [`layer`] loads or creates the session before the handler runs and sets the
//! cookie afterwards if the handler created, rotated or ended it.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::{OsRng, TryRngCore};
use sha2::{Digest, Sha256};

use crate::db::SessionRow;
use crate::error::{AppError, Result};
use crate::state::AppState;

/// Lifetime of a session before login, seconds.
pub const ANONYMOUS_TTL: i64 = 3600;
/// Lifetime of a session after login, seconds.
pub const LOGGED_IN_TTL: i64 = 12 * 3600;
const COOKIE_NAME: &str = "assent_demo_session";

/// 32 random bytes from the OS, base64url.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| AppError::Internal("random generator failed"))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    Ok(token)
}

/// A 16-byte salt from the OS, for password hashes.
pub fn random_salt() -> Result<[u8; assent_rp::SALT_LEN]> {
    let mut salt = [0u8; assent_rp::SALT_LEN];
    OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|_| AppError::Internal("random generator failed"))?;
    Ok(salt)
}

fn hash_id(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// The session cookie's name (`__Host-` prefixed when secure).
pub fn cookie_name(secure: bool) -> String {
    named(COOKIE_NAME, secure)
}

/// A cookie's name: `__Host-` prefixed when secure (host-only, path `/`, `Secure`).
fn named(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

fn cookie(secure: bool, value: &str, max_age: i64) -> String {
    cookie_header(COOKIE_NAME, secure, value, Some(max_age))
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, path `/`, `Secure` (and the
/// `__Host-` prefix) over https. Without `max_age` the browser drops it when it closes.
pub fn cookie_header(base: &str, secure: bool, value: &str, max_age: Option<i64>) -> String {
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax{}{}",
        named(base, secure),
        max_age.map_or(String::new(), |age| format!("; Max-Age={age}")),
        if secure { "; Secure" } else { "" }
    )
}

/// The value of the cookie named `base` (prefixed when secure) in the request, if it
/// has one of 43 characters (a 256-bit base64url token).
pub fn token_cookie(headers: &axum::http::HeaderMap, base: &str, secure: bool) -> Option<String> {
    let name = named(base, secure);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 43)
}

/// The session id in the request's cookies, if any.
fn id_from_headers(headers: &axum::http::HeaderMap, secure: bool) -> Option<String> {
    token_cookie(headers, COOKIE_NAME, secure)
}

/// The `Set-Cookie` values a handler asked for.
#[derive(Debug, Default)]
struct Cookies {
    session: Option<String>,
    other: Vec<String>,
}

/// The current browser session. Change [`Session::row`] and call
/// [`Session::save`]; the cookie follows by itself.
#[derive(Debug, Clone)]
pub struct Session {
    id_hash: [u8; 32],
    /// The stored fields.
    pub row: SessionRow,
    /// True if the request carried no valid session cookie.
    pub is_new: bool,
    set_cookie: Arc<Mutex<Cookies>>,
}

impl Session {
    /// Sets the session cookie (a later call of the same request replaces it).
    fn emit(&self, value: String) {
        self.cookies().session = Some(value);
    }

    /// Sets another cookie on the response (a trusted browser's token).
    pub fn set_cookie(&self, header: String) {
        self.cookies().other.push(header);
    }

    fn cookies(&self) -> MutexGuard<'_, Cookies> {
        self.set_cookie.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// SHA-256 of the session id: the row's key.
    pub fn id_hash(&self) -> &[u8; 32] {
        &self.id_hash
    }

    /// Writes the row.
    pub fn save(&self, state: &AppState) -> Result<()> {
        state.db.save_session(&self.id_hash, &self.row)
    }

    /// Moves the session to a fresh id and CSRF token, with the logged-in
    /// lifetime, and saves it. Call on every change of who is logged in.
    pub fn rotate(&mut self, state: &AppState) -> Result<()> {
        self.rotate_with(state, true)
    }

    /// [`Session::rotate`]; when not `persistent`, the cookie has no `Max-Age`, so the
    /// browser forgets the login when it closes ("ask every time").
    pub fn rotate_with(&mut self, state: &AppState, persistent: bool) -> Result<()> {
        let id = random_token()?;
        let new_hash = hash_id(&id);
        state.db.rekey_session(&self.id_hash, &new_hash)?;
        self.id_hash = new_hash;
        self.row.csrf = random_token()?;
        self.row.expires_at = state.now().saturating_add(LOGGED_IN_TTL);
        self.save(state)?;
        let secure = state.settings.secure_cookies;
        self.emit(cookie_header(
            COOKIE_NAME,
            secure,
            &id,
            persistent.then_some(LOGGED_IN_TTL),
        ));
        Ok(())
    }

    /// Ends the session (logout).
    pub fn destroy(self, state: &AppState) -> Result<()> {
        state.db.delete_session(&self.id_hash)?;
        self.emit(cookie(state.settings.secure_cookies, "", 0));
        Ok(())
    }

    /// Takes the one-time message (saves the session if there was one).
    pub fn take_flash(&mut self, state: &AppState) -> Result<Option<String>> {
        let flash = self.row.flash.take();
        if flash.is_some() {
            self.save(state)?;
        }
        Ok(flash)
    }

    /// Clears the push challenge fields.
    pub fn clear_push(&mut self) {
        self.row.push_handle = None;
        self.row.push_display = None;
        self.row.push_device = None;
        self.row.push_expires = None;
    }
}

async fn load_or_create(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Session> {
    let now = state.now();
    let secure = state.settings.secure_cookies;
    let set_cookie = Arc::new(Mutex::new(Cookies::default()));
    if let Some(id) = id_from_headers(headers, secure) {
        let id_hash = hash_id(&id);
        if let Some(row) = state.db.session(&id_hash, now)? {
            return Ok(Session {
                id_hash,
                row,
                is_new: false,
                set_cookie,
            });
        }
    }
    let id = random_token()?;
    let id_hash = hash_id(&id);
    let row = SessionRow {
        csrf: random_token()?,
        created_at: now,
        expires_at: now.saturating_add(ANONYMOUS_TTL),
        ..SessionRow::default()
    };
    state.db.insert_session(&id_hash, &row)?;
    let session = Session {
        id_hash,
        row,
        is_new: true,
        set_cookie,
    };
    session.emit(cookie(secure, &id, ANONYMOUS_TTL));
    Ok(session)
}

/// Middleware: puts the [`Session`] in the request, sets the cookie on the way
/// out when it changed.
pub async fn layer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> std::result::Result<Response, AppError> {
    let session = load_or_create(&state, request.headers()).await?;
    let slot = session.set_cookie.clone();
    request.extensions_mut().insert(session);
    let mut response = next.run(request).await;
    let cookies = std::mem::take(&mut *slot.lock().unwrap_or_else(|e| e.into_inner()));
    for value in cookies.session.into_iter().chain(cookies.other) {
        let value =
            HeaderValue::from_str(&value).map_err(|_| AppError::Internal("cookie header"))?;
        response.headers_mut().append(SET_COOKIE, value);
    }
    Ok(response)
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or(AppError::Internal("session layer missing"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_are_256_bit_and_distinct() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn cookies_are_httponly_lax_and_secure_over_https() {
        let plain = cookie(false, "x", 10);
        assert!(plain.starts_with("assent_demo_session=x;"));
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(!plain.contains("Secure"));
        let secure = cookie(true, "x", 10);
        assert!(secure.starts_with("__Host-assent_demo_session=x;"));
        assert!(secure.ends_with("; Secure"));
        assert!(plain.contains("Max-Age=10"));
        let until_closed = cookie_header(COOKIE_NAME, false, "x", None);
        assert!(!until_closed.contains("Max-Age"), "{until_closed}");
    }

    #[test]
    fn finds_the_session_cookie_among_others() {
        let id = "a".repeat(43);
        let mut h = axum::http::HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_str(&format!("x=1; assent_demo_session={id}; y=2")).unwrap(),
        );
        assert_eq!(id_from_headers(&h, false), Some(id));
        assert_eq!(id_from_headers(&h, true), None);
    }
}
