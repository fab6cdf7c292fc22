//! Mock FCM: the OAuth token endpoint (`POST /token`, verifies the RS256
//! assertion) and `POST /v1/projects/{id}/messages:send` (checks the access token
//! and the message), answering what the test scripted per device token.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine;
use hyper::body::Incoming;
use hyper::Request;
use ring::signature::{RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use tokio::task::JoinHandle;

use super::apns::final_status;
use super::server::{body_bytes, play, respond, serve, Answer, MockError, Reply};
use super::tls::TestCa;
use crate::clock::{unix_secs, Clock};
use crate::fcm::{FcmConfig, ServiceAccount, FCM_SCOPE};
use crate::pem::pkcs8_der;

/// A fixed RSA key for the mock's service account. Test builds only.
const TEST_RSA_KEY: &str = include_str!("test_rsa_key.pem");
const PROJECT_ID: &str = "assent-mock";
const CLIENT_EMAIL: &str = "relay@assent-mock.iam.gserviceaccount.com";

/// One message the mock FCM received.
#[derive(Debug, Clone)]
pub struct FcmRequest {
    /// `message.token`.
    pub token: String,
    /// Whether it came over HTTP/2.
    pub http2: bool,
    /// The parsed body.
    pub body: serde_json::Value,
    /// The raw body.
    pub raw: Vec<u8>,
    /// What the mock answered (0 for a reset).
    pub status: u16,
}

struct State {
    public_key: Vec<u8>,
    token_uri: String,
    clock: Arc<dyn Clock>,
    lifetime: Mutex<u64>,
    issued: Mutex<HashMap<String, SystemTime>>,
    token_script: Mutex<VecDeque<Answer>>,
    token_requests: Mutex<u64>,
    scripts: Mutex<HashMap<String, VecDeque<Answer>>>,
    received: Mutex<Vec<FcmRequest>>,
}

/// A running mock FCM. Stops when dropped.
pub struct MockFcm {
    addr: SocketAddr,
    ca: TestCa,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for MockFcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockFcm").field("addr", &self.addr).finish()
    }
}

impl Drop for MockFcm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An FCM error reply (`google.rpc.Status` with an `FcmError` detail).
pub fn error(status: u16, grpc_status: &str, error_code: &str, message: &str) -> Answer {
    Answer::reply(
        status,
        serde_json::json!({ "error": {
            "code": status,
            "message": message,
            "status": grpc_status,
            "details": [{
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": error_code,
            }],
        }})
        .to_string(),
    )
}

impl MockFcm {
    /// Starts a mock on a loopback port; token lifetimes are judged by `clock`.
    pub async fn start(clock: Arc<dyn Clock>) -> Result<Self, MockError> {
        let ca = TestCa::make()?;
        let der = pkcs8_der(TEST_RSA_KEY).ok_or_else(|| MockError("test key".into()))?;
        let pair = RsaKeyPair::from_pkcs8(&der).map_err(|_| MockError("test key".into()))?;
        let listener_state = Arc::new(Mutex::new(None::<Arc<State>>));
        let slot = listener_state.clone();
        let (addr, task) = serve(ca.server_config(&[b"h2", b"http/1.1"])?, move |req| {
            let state = slot.lock().ok().and_then(|s| s.clone());
            handle(state, req)
        })
        .await?;
        let state = Arc::new(State {
            public_key: pair.public().as_ref().to_vec(),
            token_uri: format!("https://127.0.0.1:{}/token", addr.port()),
            clock,
            lifetime: Mutex::new(3600),
            issued: Mutex::new(HashMap::new()),
            token_script: Mutex::new(VecDeque::new()),
            token_requests: Mutex::new(0),
            scripts: Mutex::new(HashMap::new()),
            received: Mutex::new(Vec::new()),
        });
        if let Ok(mut s) = listener_state.lock() {
            *s = Some(state.clone());
        }
        Ok(MockFcm {
            addr,
            ca,
            state,
            task,
        })
    }

    /// The base URL (`https://127.0.0.1:port`).
    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// The CA to trust.
    pub fn ca_pem(&self) -> &str {
        self.ca.ca_pem()
    }

    /// The project id the mock serves.
    pub fn project_id(&self) -> &'static str {
        PROJECT_ID
    }

    /// A service-account JSON key whose `token_uri` is this mock.
    pub fn service_account_json(&self) -> String {
        serde_json::json!({
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": "0000",
            "private_key": TEST_RSA_KEY,
            "client_email": CLIENT_EMAIL,
            "client_id": "1",
            "token_uri": self.state.token_uri,
        })
        .to_string()
    }

    /// A client configuration pointing at this mock.
    pub fn config(&self) -> Result<FcmConfig, MockError> {
        let account = ServiceAccount::from_json(&self.service_account_json())
            .map_err(|e| MockError(e.to_string()))?;
        let mut c = FcmConfig::new(account);
        c.base_url = self.base_url();
        c.extra_ca_pem = Some(self.ca_pem().to_owned());
        Ok(c)
    }

    /// Access tokens issued from now on live `secs` seconds.
    pub fn set_token_lifetime(&self, secs: u64) {
        if let Ok(mut l) = self.state.lifetime.lock() {
            *l = secs;
        }
    }

    /// Queues answers for the token endpoint (then it issues tokens).
    pub fn script_token_endpoint(&self, answers: impl IntoIterator<Item = Answer>) {
        if let Ok(mut s) = self.state.token_script.lock() {
            s.extend(answers);
        }
    }

    /// Queues answers for device `token`, played in order (then 200).
    pub fn script(&self, token: &str, answers: impl IntoIterator<Item = Answer>) {
        if let Ok(mut s) = self.state.scripts.lock() {
            s.entry(token.to_owned()).or_default().extend(answers);
        }
    }

    /// How many token requests arrived.
    pub fn token_requests(&self) -> u64 {
        self.state.token_requests.lock().map(|n| *n).unwrap_or(0)
    }

    /// Forgets every access token issued (as if Google revoked them).
    pub fn revoke_access_tokens(&self) {
        if let Ok(mut i) = self.state.issued.lock() {
            i.clear();
        }
    }

    /// Every message so far.
    pub fn received(&self) -> Vec<FcmRequest> {
        self.state
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The messages for device `token`.
    pub fn received_for(&self, token: &str) -> Vec<FcmRequest> {
        self.received()
            .into_iter()
            .filter(|r| r.token == token)
            .collect()
    }
}

fn oauth_error(error: &str) -> Answer {
    Answer::reply(400, serde_json::json!({ "error": error }).to_string())
}

/// Verifies the RS256 assertion as Google's token endpoint does.
fn check_assertion(state: &State, form: &str) -> Result<(), &'static str> {
    let mut grant = None;
    let mut assertion = None;
    for pair in form.split('&') {
        match pair.split_once('=') {
            Some(("grant_type", v)) => grant = Some(v),
            Some(("assertion", v)) => assertion = Some(v),
            _ => {}
        }
    }
    if grant != Some("urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") {
        return Err("unsupported_grant_type");
    }
    let jwt = assertion.ok_or("invalid_request")?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("invalid_grant");
    };
    let sig = b64.decode(sig).map_err(|_| "invalid_grant")?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &state.public_key)
        .verify(format!("{h}.{c}").as_bytes(), &sig)
        .map_err(|_| "invalid_grant")?;
    let header: serde_json::Value = b64
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("invalid_grant")?;
    let claims: serde_json::Value = b64
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("invalid_grant")?;
    let now = unix_secs(state.clock.now());
    let iat = claims["iat"].as_u64().ok_or("invalid_grant")?;
    let exp = claims["exp"].as_u64().ok_or("invalid_grant")?;
    let ok = header["alg"] == "RS256"
        && claims["iss"] == CLIENT_EMAIL
        && claims["aud"] == state.token_uri.as_str()
        && claims["scope"] == FCM_SCOPE
        && exp > iat
        && exp - iat <= 3600
        && iat <= now + 300
        && now < exp;
    if ok {
        Ok(())
    } else {
        Err("invalid_grant")
    }
}

async fn handle(state: Option<Arc<State>>, req: Request<Incoming>) -> Reply {
    let Some(state) = state else {
        return Ok(respond(503, "{}", None));
    };
    let http2 = req.version() == hyper::Version::HTTP_2;
    let path = req.uri().path().to_owned();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_owned);
    let body = body_bytes(req.into_body())
        .await
        .unwrap_or_default()
        .to_vec();
    if path == "/token" {
        if let Ok(mut n) = state.token_requests.lock() {
            *n += 1;
        }
        if let Some(answer) = state
            .token_script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
        {
            return play(answer).await;
        }
        if let Err(e) = check_assertion(&state, &String::from_utf8_lossy(&body)) {
            return play(oauth_error(e)).await;
        }
        let lifetime = state.lifetime.lock().map(|l| *l).unwrap_or(3600);
        let token = match state.issued.lock() {
            Ok(mut issued) => {
                let t = format!("ya29.mock-{}", issued.len() + 1);
                issued.insert(t.clone(), state.clock.now() + Duration::from_secs(lifetime));
                t
            }
            Err(_) => return Ok(respond(500, "{}", None)),
        };
        let reply = serde_json::json!({ "access_token": token, "expires_in": lifetime, "token_type": "Bearer" });
        return Ok(respond(200, reply.to_string(), None));
    }
    let expected = format!("/v1/projects/{PROJECT_ID}/messages:send");
    if path != expected {
        return Ok(respond(
            404,
            r#"{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}"#,
            None,
        ));
    }
    let now = state.clock.now();
    let authorized = auth.is_some_and(|a| {
        state
            .issued
            .lock()
            .ok()
            .and_then(|i| i.get(&a).copied())
            .is_some_and(|exp| now < exp)
    });
    let parsed: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let token = parsed["message"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let answer = if !authorized {
        Answer::reply(
            401,
            r#"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#,
        )
    } else if token.is_empty() {
        error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "message.token is required",
        )
    } else {
        state
            .scripts
            .lock()
            .ok()
            .and_then(|mut s| s.get_mut(&token).and_then(VecDeque::pop_front))
            .unwrap_or_else(|| {
                Answer::reply(
                    200,
                    serde_json::json!({ "name": format!("projects/{PROJECT_ID}/messages/0:1") })
                        .to_string(),
                )
            })
    };
    let status = final_status(&answer);
    if let Ok(mut r) = state.received.lock() {
        r.push(FcmRequest {
            token,
            http2,
            body: parsed,
            raw: body,
            status,
        });
    }
    play(answer).await
}
