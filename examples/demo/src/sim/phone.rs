//! The simulated phone at `/phone`: the same core an app embeds
//! ([`PushClient`]), over HTTPS to the embedded relay, with its vault and
//! device keys in `<data dir>/phone/`. It enrolls from an offer URI ("scan the
//! QR code"), shows the activation code, lists requests with their context and
//! answers them, and shows the accounts' TOTP codes. Demo only: a real phone
//! keeps its keys in secure hardware.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assent_core::{
    ChallengeView, Decision, DeviceInfo, Entry, FileStorage, KeyFile, Platform, PushClient,
    RelayTransport, SoftwareKeyStore, Vault, VaultEnv,
};
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use axum::Router;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use tokio::sync::Mutex;

use crate::error::{AppError, Result};
use crate::html::{self, esc};
use crate::session::random_token;
use crate::state::AppState;

/// How long `/phone/enroll` waits for the site to answer the registration.
const ENROLL_WAIT: Duration = Duration::from_secs(30);

/// The simulated phone.
pub struct SimPhone {
    client: Mutex<PushClient>,
    flash: std::sync::Mutex<Option<String>>,
}

impl std::fmt::Debug for SimPhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimPhone")
    }
}

impl SimPhone {
    /// The phone whose vault and keys live in `dir`, reaching its relay
    /// through `relay` (HTTPS to the embedded relay).
    pub fn open(dir: &Path, relay: Arc<dyn RelayTransport>) -> Result<Self> {
        let fail = |_| AppError::Internal("simulated phone storage");
        std::fs::create_dir_all(dir).map_err(|_| AppError::Internal("simulated phone dir"))?;
        let storage = Arc::new(FileStorage::new(dir.join("data")).map_err(fail)?);
        let key = KeyFile::open_or_create(dir.join("vault.key"), &mut rand_core::OsRng)
            .map_err(|_| AppError::Internal("simulated phone key"))?;
        let vault = Vault::open_or_create(VaultEnv::new(storage.clone(), Arc::new(key)))
            .map_err(|_| AppError::Internal("simulated phone vault"))?;
        let keys = SoftwareKeyStore::new(storage);
        Ok(Self {
            client: Mutex::new(PushClient::new(
                vault,
                relay,
                Arc::new(keys),
                DeviceInfo {
                    platform: Platform::Poll,
                    name: "Simulated phone".into(),
                    push_token: String::new(),
                },
            )),
            flash: std::sync::Mutex::new(None),
        })
    }
}

impl SimPhone {
    fn set_flash(&self, message: String) {
        *self.flash.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
    }

    fn take_flash(&self) -> Option<String> {
        self.flash.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// The phone's cookie: its own CSRF token (double-submit). The phone is
/// another device: it never shares the site's session, whose id changes at
/// every login.
const PHONE_COOKIE: &str = "assent_demo_phone";

fn phone_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == PHONE_COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 43)
}

#[derive(Deserialize)]
struct WithToken<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

/// A phone form whose token matches the phone's cookie (constant time).
struct PhonePosted<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequest<S> for PhonePosted<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self> {
        let cookie = phone_token(request.headers());
        let Form(form) = Form::<WithToken<T>>::from_request(request, state)
            .await
            .map_err(|_| AppError::BadRequest("form"))?;
        match cookie {
            Some(c) if bool::from(c.as_bytes().ct_eq(form.csrf.as_bytes())) => Ok(Self(form.inner)),
            _ => Err(AppError::Forbidden("phone csrf token missing or wrong")),
        }
    }
}

/// The phone's routes (outside the site's session layer).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/phone", get(show))
        .route("/phone/enroll", post(enroll))
        .route("/phone/answer", post(answer))
}

fn sim(state: &AppState) -> Result<&SimPhone> {
    state
        .sim
        .as_deref()
        .ok_or(AppError::BadRequest("no simulated phone"))
}

fn request_card(view: &ChallengeView, csrf: &str) -> String {
    let entry = match view.entry {
        Entry::Nothing => String::new(),
        e => html::input(
            "entry",
            &format!("Type {e}"),
            "text",
            r#"inputmode="numeric" autocomplete="off""#,
        ),
    };
    let id = view.challenge_id.to_string();
    let buttons = r#"<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
<button type="submit" name="decision" value="fraud" class="danger">This wasn't me</button>"#;
    format!(
        r#"<div class="notice request" id="request-{id}"><p><b>Is this you logging in to {issuer} as {account}?</b><br>
<span class="muted">{client} · {ip} · {location} · expires in {left} s</span></p>
<form method="post" action="/phone/answer">{csrf}<input type="hidden" name="challenge" value="{id}">{entry}{buttons}</form></div>"#,
        id = esc(&id),
        issuer = esc(view.issuer.as_deref().unwrap_or("")),
        account = esc(&view.account_name),
        client = esc(&view.client),
        ip = esc(&view.ip.to_string()),
        location = esc(&view.location),
        left = view.seconds_left,
        csrf = html::csrf_field(csrf),
    )
}

async fn show(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let phone = sim(&state)?;
    let flash = phone.take_flash();
    let (token, set_cookie) = match phone_token(&headers) {
        Some(t) => (t, None),
        None => {
            let t = random_token()?;
            let cookie = format!("{PHONE_COOKIE}={t}; Path=/phone; HttpOnly; SameSite=Strict");
            (t, Some(cookie))
        }
    };
    let mut client = phone.client.lock().await;
    let pending = client.pending().await.map_err(|e| {
        tracing::warn!(error = %e, "simulated phone: poll failed");
        AppError::Internal("simulated phone poll")
    })?;
    let codes = client.vault().codes().unwrap_or_default();
    drop(client);
    let csrf = &token;
    let requests: String = pending
        .shown
        .iter()
        .map(|v| request_card(v, csrf))
        .collect();
    let requests = if requests.is_empty() {
        r#"<p class="muted" id="no-requests">No login requests. This page checks every 2 seconds.</p>
<script>
(function () {
  // An offer handed over by the site's "Scan with the simulated phone" link.
  var offer = document.getElementById('offer');
  if (offer && location.hash.indexOf('#offer=') === 0) {
    offer.value = decodeURIComponent(location.hash.slice(7));
    history.replaceState(null, '', '/phone');
  }
  // Look for new requests every 2 s, unless the user is typing an offer.
  setInterval(function () {
    var offer = document.getElementById('offer');
    if (!offer || (offer.value === '' && document.activeElement !== offer)) location.reload();
  }, 2000);
})();
</script>"#
            .to_owned()
    } else {
        requests
    };
    let codes: String = codes
        .iter()
        .map(|c| {
            format!(
                r#"<tr><td>{} <span class="muted">{}</span></td><td><code class="totp" data-account="{}">{}</code></td></tr>"#,
                esc(c.issuer.as_deref().unwrap_or("")),
                esc(&c.name),
                esc(&c.name),
                esc(&c.code.to_string())
            )
        })
        .collect();
    let enroll = html::form(
        "/phone/enroll",
        csrf,
        &html::input(
            "offer",
            "Offer (the text under the QR code)",
            "text",
            r#"autocomplete="off" placeholder="assent://enroll?…""#,
        ),
        "Scan",
        "secondary",
    );
    let body = format!(
        r#"<h1>Simulated phone</h1>
<p class="muted">This page plays the Assent app, with the same core a real app embeds. It exists only in the demo's simulated mode.</p>
{flash}<h2>Login requests</h2>{requests}
<h2>Codes</h2><table id="codes">{codes}</table>
<h2>Add an account</h2>{enroll}"#,
        flash = flash_html(flash.as_deref()),
    );
    let mut response = html::page("Simulated phone", None, &body).into_response();
    if let Some(cookie) = set_cookie {
        let value = HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal("cookie"))?;
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

fn flash_html(flash: Option<&str>) -> String {
    match flash.and_then(|f| f.strip_prefix("activation:")) {
        Some(code) => format!(
            r#"<p class="flash">Enrolled. Type this code on the site to finish:</p><p class="number" id="activation-code">{}</p>"#,
            esc(code)
        ),
        None => html::flash(flash),
    }
}

#[derive(Debug, Deserialize)]
struct EnrollForm {
    #[serde(default)]
    offer: String,
}

async fn enroll(
    State(state): State<AppState>,
    PhonePosted(form): PhonePosted<EnrollForm>,
) -> Result<Response> {
    let phone = sim(&state)?;
    let pending = {
        let mut client = phone.client.lock().await;
        client.enroll_uri(form.offer.trim()).await
    };
    let pending = match pending {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(error = %e, "simulated phone: enrollment refused");
            phone.set_flash(format!("That offer was refused: {e}"));
            return Ok(Redirect::to("/phone").into_response());
        }
    };
    let deadline = Instant::now() + ENROLL_WAIT;
    let id = loop {
        let finished = phone.client.lock().await.finish_enrollment(&pending).await;
        match finished {
            Ok(Some(id)) => break Some(id),
            Ok(None) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(300)).await
            }
            Ok(None) => break None,
            Err(e) => {
                tracing::info!(error = %e, "simulated phone: enrollment answer refused");
                break None;
            }
        }
    };
    let client = phone.client.lock().await;
    phone.set_flash(match id.map(|id| client.activation_code(&id)) {
        Some(Ok(code)) => format!("activation:{}", code.code),
        _ => "The site did not answer the enrollment. Keep its page open and scan again.".into(),
    });
    Ok(Redirect::to("/phone").into_response())
}

#[derive(Debug, Deserialize)]
struct AnswerForm {
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    entry: String,
}

async fn answer(
    State(state): State<AppState>,
    PhonePosted(form): PhonePosted<AnswerForm>,
) -> Result<Response> {
    let phone = sim(&state)?;
    let decision = match form.decision.as_str() {
        "approve" => Decision::Approve,
        "deny" => Decision::Deny,
        "fraud" => Decision::Fraud,
        _ => return Err(AppError::BadRequest("decision")),
    };
    let mut client = phone.client.lock().await;
    let pending = client
        .pending()
        .await
        .map_err(|_| AppError::Internal("simulated phone poll"))?;
    let view = pending
        .shown
        .into_iter()
        .find(|v| v.challenge_id.to_string() == form.challenge);
    let message = match view {
        None => "That request is no longer pending.".to_owned(),
        Some(view) => {
            let entry = if decision == Decision::Approve {
                form.entry.trim()
            } else {
                ""
            };
            match client.answer(&view, decision, entry, false).await {
                Ok(()) => match decision {
                    Decision::Approve => "Approved.".to_owned(),
                    Decision::Deny => "Denied.".to_owned(),
                    _ => "Reported: the site will pause requests for a while.".to_owned(),
                },
                Err(e) => format!("The answer was not sent: {e}"),
            }
        }
    };
    drop(client);
    phone.set_flash(message);
    Ok(Redirect::to("/phone").into_response())
}
