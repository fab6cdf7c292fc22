//! Mock APNs: HTTP/2 only (ALPN `h2`), `POST /3/device/{token}`, checks the
//! headers and the ES256 provider token as Apple does, then answers what the
//! test scripted for that device token (200 when nothing is scripted).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use hyper::body::Incoming;
use hyper::Request;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use tokio::task::JoinHandle;

use super::server::{body_bytes, play, respond, serve, Answer, MockError, Reply};
use super::tls::TestCa;
use crate::apns::{ApnsConfig, ApnsEndpoint, ApnsKey};
use crate::clock::{unix_secs, Clock};

/// The bundle id the mock expects.
pub const MOCK_TOPIC: &str = "org.assent.test";
const KEY_ID: &str = "MOCKKEY123";
const TEAM_ID: &str = "MOCKTEAM12";

/// One request the mock APNs received.
#[derive(Debug, Clone)]
pub struct ApnsRequest {
    /// The device token from the path.
    pub token: String,
    /// Whether it came over HTTP/2.
    pub http2: bool,
    /// The `apns-*` and `content-type` headers.
    pub headers: BTreeMap<String, String>,
    /// The JWT's `iat`, if the JWT verified.
    pub jwt_iat: Option<u64>,
    /// A fingerprint of the JWT text (to tell reuse from re-signing).
    pub jwt_fingerprint: u64,
    /// The body.
    pub body: Vec<u8>,
    /// What the mock answered (0 for a reset).
    pub status: u16,
}

struct State {
    public_key: Vec<u8>,
    clock: Arc<dyn Clock>,
    scripts: Mutex<HashMap<String, VecDeque<Answer>>>,
    received: Mutex<Vec<ApnsRequest>>,
}

/// A running mock APNs. Stops when dropped.
pub struct MockApns {
    addr: SocketAddr,
    ca: TestCa,
    key_pkcs8: Vec<u8>,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for MockApns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockApns")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Drop for MockApns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An APNs error reply (`{"reason": ...}`).
pub fn reason(status: u16, reason: &str) -> Answer {
    Answer::reply(status, serde_json::json!({ "reason": reason }).to_string())
}

impl MockApns {
    /// Starts a mock on a loopback port, with its own CA and signing key; JWT ages
    /// are judged by `clock`.
    pub async fn start(clock: Arc<dyn Clock>) -> Result<Self, MockError> {
        let ca = TestCa::make()?;
        let key =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| MockError("key generation".into()))?;
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            key.as_ref(),
            &SystemRandom::new(),
        )
        .map_err(|_| MockError("key".into()))?;
        let state = Arc::new(State {
            public_key: pair.public_key().as_ref().to_vec(),
            clock,
            scripts: Mutex::new(HashMap::new()),
            received: Mutex::new(Vec::new()),
        });
        let s = state.clone();
        let (addr, task) = serve(ca.server_config(&[b"h2"])?, move |req| {
            handle(s.clone(), req)
        })
        .await?;
        Ok(MockApns {
            addr,
            ca,
            key_pkcs8: key.as_ref().to_vec(),
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

    /// The signing key as a `.p8` file's text.
    pub fn p8_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.key_pkcs8);
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        pem
    }

    /// The key id and team id the mock expects.
    pub fn ids(&self) -> (&'static str, &'static str) {
        (KEY_ID, TEAM_ID)
    }

    /// A client configuration pointing at this mock, with the right key, ids,
    /// topic and CA.
    pub fn config(&self) -> Result<ApnsConfig, MockError> {
        let key = ApnsKey::from_p8(&self.p8_pem(), KEY_ID, TEAM_ID)
            .map_err(|e| MockError(e.to_string()))?;
        let mut c = ApnsConfig::new(key, MOCK_TOPIC, ApnsEndpoint::Custom(self.base_url()));
        c.extra_ca_pem = Some(self.ca_pem().to_owned());
        Ok(c)
    }

    /// Queues answers for `token`, played in order (then 200).
    pub fn script(&self, token: &str, answers: impl IntoIterator<Item = Answer>) {
        if let Ok(mut s) = self.state.scripts.lock() {
            s.entry(token.to_owned()).or_default().extend(answers);
        }
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<ApnsRequest> {
        self.state
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The requests for `token`.
    pub fn received_for(&self, token: &str) -> Vec<ApnsRequest> {
        self.received()
            .into_iter()
            .filter(|r| r.token == token)
            .collect()
    }
}

/// Checks the JWT as APNs does; `Err` is the reason to answer with 403.
fn check_jwt(state: &State, auth: Option<&str>) -> Result<u64, &'static str> {
    let jwt = auth
        .and_then(|a| {
            a.strip_prefix("bearer ")
                .or_else(|| a.strip_prefix("Bearer "))
        })
        .ok_or("MissingProviderToken")?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("InvalidProviderToken");
    };
    let header: serde_json::Value = b64
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("InvalidProviderToken")?;
    let claims: serde_json::Value = b64
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("InvalidProviderToken")?;
    if header["alg"] != "ES256" || header["kid"] != KEY_ID || claims["iss"] != TEAM_ID {
        return Err("InvalidProviderToken");
    }
    let sig = b64.decode(sig).map_err(|_| "InvalidProviderToken")?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &state.public_key)
        .verify(format!("{h}.{c}").as_bytes(), &sig)
        .map_err(|_| "InvalidProviderToken")?;
    let iat = claims["iat"].as_u64().ok_or("InvalidProviderToken")?;
    let now = unix_secs(state.clock.now());
    if iat > now + 60 {
        return Err("InvalidProviderToken");
    }
    if now - iat > 3600 {
        return Err("ExpiredProviderToken");
    }
    Ok(iat)
}

fn fingerprint(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Reply {
    let http2 = req.version() == hyper::Version::HTTP_2;
    let path = req.uri().path().to_owned();
    let post = req.method() == hyper::Method::POST;
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let auth = header("authorization");
    let mut headers = BTreeMap::new();
    for name in [
        "apns-topic",
        "apns-push-type",
        "apns-priority",
        "apns-expiration",
        "apns-collapse-id",
        "apns-id",
        "content-type",
    ] {
        if let Some(v) = header(name) {
            headers.insert(name.to_owned(), v);
        }
    }
    let body = body_bytes(req.into_body())
        .await
        .unwrap_or_default()
        .to_vec();
    let token = path
        .strip_prefix("/3/device/")
        .unwrap_or_default()
        .to_owned();
    let jwt = check_jwt(&state, auth.as_deref());
    let expiration_ok = headers
        .get("apns-expiration")
        .is_some_and(|e| e.parse::<u64>().is_ok());
    let collapse_ok = headers
        .get("apns-collapse-id")
        .map_or(true, |c| c.len() <= 64);
    // Apple's own checks first, in roughly Apple's order.
    let checked: Option<Answer> = if !http2 {
        Some(reason(400, "BadPath"))
    } else if !post {
        Some(reason(405, "MethodNotAllowed"))
    } else if token.is_empty() || token.contains('/') {
        Some(reason(404, "BadPath"))
    } else if let Err(r) = jwt {
        Some(reason(403, r))
    } else if headers.get("apns-topic").map(String::as_str) != Some(MOCK_TOPIC) {
        Some(reason(400, "BadTopic"))
    } else if headers.get("apns-push-type").map(String::as_str) != Some("alert") {
        Some(reason(400, "InvalidPushType"))
    } else if headers.get("apns-priority").map(String::as_str) != Some("10") {
        Some(reason(400, "BadPriority"))
    } else if !expiration_ok {
        Some(reason(400, "BadExpirationDate"))
    } else if !collapse_ok {
        Some(reason(400, "BadCollapseId"))
    } else if body.len() > 4096 {
        Some(reason(413, "PayloadTooLarge"))
    } else if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        Some(reason(400, "PayloadEmpty"))
    } else {
        None
    };
    let answer = checked.unwrap_or_else(|| {
        state
            .scripts
            .lock()
            .ok()
            .and_then(|mut s| s.get_mut(&token).and_then(VecDeque::pop_front))
            .unwrap_or_else(|| Answer::reply(200, ""))
    });
    let status = final_status(&answer);
    if let Ok(mut r) = state.received.lock() {
        r.push(ApnsRequest {
            token,
            http2,
            headers,
            jwt_iat: jwt.ok(),
            jwt_fingerprint: auth.as_deref().map(fingerprint).unwrap_or(0),
            body,
            status,
        });
    }
    let mut reply = play(answer).await;
    if let Ok(resp) = &mut reply {
        if resp.status() == hyper::StatusCode::OK {
            *resp = respond(200, "", None);
        }
    }
    reply
}

/// The status an answer ends in (0 for a reset).
pub(crate) fn final_status(answer: &Answer) -> u16 {
    match answer {
        Answer::Reply { status, .. } => *status,
        Answer::Slow(_, next) => final_status(next),
        Answer::Reset => 0,
    }
}
