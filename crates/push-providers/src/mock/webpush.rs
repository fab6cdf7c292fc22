//! Mock Web Push service (a UnifiedPush distributor's push server): HTTP/2 or HTTP/1.1
//! over TLS, `POST /push/{id}`; checks the VAPID JWT (ES256 under the `k=` key, `aud` =
//! this origin, `exp` within 24 h) and the RFC 8030 / RFC 8188 headers as real push
//! services do, then answers what the test scripted for that subscription id (201 when
//! nothing is scripted) and records every request, body included, so tests can decrypt
//! what was sent.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use base64::Engine;
use hyper::body::Incoming;
use hyper::Request;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use tokio::task::JoinHandle;

use super::apns::final_status;
use super::server::{body_bytes, play, serve, Answer, MockError, Reply};
use super::tls::TestCa;
use crate::clock::{unix_secs, Clock};
use crate::webpush::{AddressPolicy, VapidKey, WebPushConfig};

/// A fixed VAPID key for the mock's client configuration (RFC 8291 Appendix A's
/// application server key). Test builds only.
pub const MOCK_VAPID_PRIVATE_KEY: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
/// The contact the mock's client configuration names.
pub const MOCK_CONTACT: &str = "mailto:ops@assent.test";

/// One request the mock push service received.
#[derive(Debug, Clone)]
pub struct WebPushRequest {
    /// The subscription id from the path.
    pub id: String,
    /// Whether it came over HTTP/2.
    pub http2: bool,
    /// Every header (lowercase names).
    pub headers: BTreeMap<String, String>,
    /// The VAPID claims, if the JWT verified under the `k=` key.
    pub vapid_claims: Option<serde_json::Value>,
    /// The `k=` key (base64url).
    pub vapid_key: String,
    /// The body (the encrypted message).
    pub body: Vec<u8>,
    /// What the mock answered (0 for a reset).
    pub status: u16,
}

struct State {
    origin: String,
    clock: Arc<dyn Clock>,
    scripts: Mutex<HashMap<String, VecDeque<Answer>>>,
    received: Mutex<Vec<WebPushRequest>>,
}

/// A running mock push service. Stops when dropped.
pub struct MockWebPush {
    addr: SocketAddr,
    ca: TestCa,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for MockWebPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockWebPush")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Drop for MockWebPush {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Allows loopback only: the mock's address (tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopbackOnly;

impl AddressPolicy for LoopbackOnly {
    fn allows(&self, ip: IpAddr) -> bool {
        ip.is_loopback()
    }
}

impl MockWebPush {
    /// Starts a mock on a loopback port; JWT expiry is judged by `clock`.
    pub async fn start(clock: Arc<dyn Clock>) -> Result<Self, MockError> {
        let ca = TestCa::make()?;
        let slot = Arc::new(Mutex::new(None::<Arc<State>>));
        let listener_slot = slot.clone();
        let (addr, task) = serve(ca.server_config(&[b"h2", b"http/1.1"])?, move |req| {
            let state = listener_slot.lock().ok().and_then(|s| s.clone());
            handle(state, req)
        })
        .await?;
        let state = Arc::new(State {
            origin: format!("https://127.0.0.1:{}", addr.port()),
            clock,
            scripts: Mutex::new(HashMap::new()),
            received: Mutex::new(Vec::new()),
        });
        if let Ok(mut s) = slot.lock() {
            *s = Some(state.clone());
        }
        Ok(MockWebPush {
            addr,
            ca,
            state,
            task,
        })
    }

    /// The origin (`https://127.0.0.1:port`), the JWT's expected `aud`.
    pub fn origin(&self) -> &str {
        &self.state.origin
    }

    /// The endpoint URL of subscription `id`.
    pub fn endpoint(&self, id: &str) -> String {
        format!("{}/push/{id}", self.state.origin)
    }

    /// The CA to trust.
    pub fn ca_pem(&self) -> &str {
        self.ca.ca_pem()
    }

    /// A client configuration pointing at this mock: the fixed test VAPID key, loopback
    /// allowed, its CA trusted.
    pub fn config(&self) -> Result<WebPushConfig, MockError> {
        let key =
            VapidKey::from_text(MOCK_VAPID_PRIVATE_KEY).map_err(|e| MockError(e.to_string()))?;
        let mut c = WebPushConfig::new(key, MOCK_CONTACT, Arc::new(LoopbackOnly));
        c.extra_ca_pem = Some(self.ca_pem().to_owned());
        Ok(c)
    }

    /// Queues answers for subscription `id`, played in order (then 201).
    pub fn script(&self, id: &str, answers: impl IntoIterator<Item = Answer>) {
        if let Ok(mut s) = self.state.scripts.lock() {
            s.entry(id.to_owned()).or_default().extend(answers);
        }
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<WebPushRequest> {
        self.state
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The requests for subscription `id`.
    pub fn received_for(&self, id: &str) -> Vec<WebPushRequest> {
        self.received().into_iter().filter(|r| r.id == id).collect()
    }
}

/// Verifies `Authorization: vapid t=<jwt>, k=<key>`; the claims if it holds.
fn check_vapid(state: &State, authorization: &str) -> (Option<serde_json::Value>, String) {
    let mut jwt = None;
    let mut key = String::new();
    let Some(params) = authorization.strip_prefix("vapid ") else {
        return (None, key);
    };
    for part in params.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => jwt = Some(v.to_owned()),
            Some(("k", v)) => key = v.to_owned(),
            _ => {}
        }
    }
    let claims = (|| {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let jwt = jwt?;
        let mut parts = jwt.split('.');
        let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
        let public = b64.decode(&key).ok()?;
        let verifying = VerifyingKey::from_sec1_bytes(&public).ok()?;
        let sig = Signature::from_slice(&b64.decode(s).ok()?).ok()?;
        verifying.verify(format!("{h}.{c}").as_bytes(), &sig).ok()?;
        let header: serde_json::Value = serde_json::from_slice(&b64.decode(h).ok()?).ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&b64.decode(c).ok()?).ok()?;
        let now = unix_secs(state.clock.now());
        let exp = claims["exp"].as_u64()?;
        let ok = header["alg"] == "ES256"
            && claims["aud"] == state.origin.as_str()
            && exp > now
            && exp <= now + 24 * 3600
            && claims["sub"].as_str().is_some_and(|s| !s.is_empty());
        ok.then_some(claims)
    })();
    (claims, key)
}

async fn handle(state: Option<Arc<State>>, req: Request<Incoming>) -> Reply {
    let Some(state) = state else {
        return Ok(super::server::respond(503, "", None));
    };
    let http2 = req.version() == hyper::Version::HTTP_2;
    let path = req.uri().path().to_owned();
    let method_ok = req.method() == hyper::Method::POST;
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = body_bytes(req.into_body())
        .await
        .unwrap_or_default()
        .to_vec();
    let id = path.strip_prefix("/push/").unwrap_or_default().to_owned();
    let (vapid_claims, vapid_key) = check_vapid(
        &state,
        headers
            .get("authorization")
            .map(String::as_str)
            .unwrap_or(""),
    );
    let header_is = |name: &str, value: &str| headers.get(name).is_some_and(|v| v == value);
    let answer = if !method_ok || id.is_empty() {
        Answer::reply(404, "")
    } else if vapid_claims.is_none() {
        Answer::reply(401, "")
    } else if !header_is("content-encoding", "aes128gcm")
        || headers
            .get("ttl")
            .and_then(|t| t.parse::<u64>().ok())
            .is_none()
    {
        Answer::reply(400, "")
    } else if body.len() > 4096 {
        Answer::reply(413, "")
    } else {
        state
            .scripts
            .lock()
            .ok()
            .and_then(|mut s| s.get_mut(&id).and_then(VecDeque::pop_front))
            .unwrap_or_else(|| Answer::reply(201, ""))
    };
    let status = final_status(&answer);
    if let Ok(mut r) = state.received.lock() {
        r.push(WebPushRequest {
            id,
            http2,
            headers,
            vapid_claims,
            vapid_key,
            body,
            status,
        });
    }
    play(answer).await
}
