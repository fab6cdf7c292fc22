//! CSRF protection: every form carries the session's token in a hidden `csrf`
//! field, and every POST handler takes its form through [`Posted`], which
//! refuses (403) a missing or wrong token before the handler runs. The check
//! is constant-time. `SameSite=Lax` cookies are the second layer.

use axum::extract::{FromRequest, Request};
use axum::Form;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use crate::error::AppError;
use crate::session::Session;

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

/// A form post whose CSRF token matched: the session and the form.
#[derive(Debug)]
pub struct Posted<T>(pub Session, pub T);

/// Whether `sent` is the session's token (constant time; empty never matches).
pub fn token_matches(session: &Session, sent: &str) -> bool {
    let expected = session.row.csrf.as_bytes();
    !session.is_new && !sent.is_empty() && bool::from(expected.ct_eq(sent.as_bytes()))
}

impl<S, T> FromRequest<S> for Posted<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let session = request
            .extensions()
            .get::<Session>()
            .cloned()
            .ok_or(AppError::Internal("session layer missing"))?;
        let Form(form) = Form::<WithCsrf<T>>::from_request(request, state)
            .await
            .map_err(|_| AppError::BadRequest("form"))?;
        if !token_matches(&session, &form.csrf) {
            return Err(AppError::Forbidden("csrf token missing or wrong"));
        }
        Ok(Posted(session, form.inner))
    }
}

/// A secret form field (password, code): zeroized on drop, Debug redacted.
#[derive(Default)]
pub struct SecretField(zeroize::Zeroizing<String>);

impl SecretField {
    /// The text typed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretField(redacted)")
    }
}

impl<'de> Deserialize<'de> for SecretField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(zeroize::Zeroizing::new(String::deserialize(d)?)))
    }
}
