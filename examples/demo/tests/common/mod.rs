//! The site in process for tests: the real router over an in-memory site DB
//! and a SQLite RP store, the real relay in process (`assent_tests::HookedRelay`)
//! behind the RP's `Arc<dyn RelayApi>`, a core `PushClient` phone (memory vault,
//! software keys) on the same relay, and one manual clock for all of them. [`Browser`]
//! keeps a cookie and the last CSRF token, and drives the router with
//! `oneshot`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::Arc;

use assent_core::{
    AccountId, ChallengeView, Decision, DeviceInfo, ManualClock, MemoryStorage, Platform,
    PushClient, SoftwareKeyStore, StaticKey, Vault, VaultEnv, VaultKey,
};
use assent_demo::db::Db;
use assent_demo::{app, make_rp, AppState, Settings};
use assent_protocol::{ApprovalKind, RelayUrl, RpId};
use assent_rp::{Clock, SqliteStore};
use assent_tests::{FastHasher, HookedRelay};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt as _;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tempfile::TempDir;
use tower::ServiceExt as _;

/// A TOTP step boundary.
pub const T0: u64 = 1_700_000_010;

/// The phone: the app's push client over memory storage, on its own clock.
pub struct Phone {
    pub client: PushClient,
    pub clock: Arc<ManualClock>,
}

impl Phone {
    pub fn new(relay: Arc<HookedRelay>, now: u64, name: &str) -> Self {
        let clock = Arc::new(ManualClock::new(now));
        let env = VaultEnv::new(
            Arc::new(MemoryStorage::new()),
            Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))),
        )
        .with_clock(clock.clone())
        .with_rng(ChaCha20Rng::seed_from_u64(1));
        let vault = Vault::open_or_create(env).unwrap();
        let keys = Arc::new(SoftwareKeyStore::new(Arc::new(MemoryStorage::new())));
        let client = PushClient::new(
            vault,
            relay,
            keys,
            DeviceInfo {
                platform: Platform::Poll,
                name: name.to_owned(),
                push_token: String::new(),
            },
        );
        Self { client, clock }
    }

    /// The TOTP code shown now for `id`.
    pub fn code(&self, id: &AccountId) -> String {
        self.client.vault().code(id).unwrap().code.to_string()
    }

    /// The one pending request, as the app would show it.
    pub async fn request(&mut self) -> ChallengeView {
        let mut shown = self.client.pending().await.unwrap().shown;
        assert_eq!(shown.len(), 1, "one request pending");
        shown.remove(0)
    }
}

pub struct Site {
    pub router: Router,
    pub state: AppState,
    pub relay: Arc<HookedRelay>,
    pub clock: Arc<ManualClock>,
    pub phone: Phone,
    _dir: TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

pub fn relay_url() -> RelayUrl {
    RelayUrl::parse("https://relay.example.com").unwrap()
}

impl Site {
    pub async fn new() -> Self {
        Self::with_kind(ApprovalKind::Number).await
    }

    pub async fn with_kind(approval: ApprovalKind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let relay = HookedRelay::start(&relay_url(), clock.clone()).await;
        let db = Arc::new(Db::open_in_memory().unwrap());
        let store = Arc::new(
            SqliteStore::open(dir.path().join("rp.sqlite"))
                .await
                .unwrap(),
        );
        let hasher = Arc::new(FastHasher);
        let rp_id = RpId::parse("example.com").unwrap();
        let rp = make_rp(
            store,
            rp_id,
            Arc::new(relay.rp_api()),
            db.clone(),
            hasher.clone(),
        )
        .with_clock(clock.clone());
        let settings = Settings {
            issuer: "Assent demo".into(),
            relay_url: relay_url(),
            secure_cookies: false,
            approval,
        };
        let state = AppState::new(db, rp, settings, hasher);
        let phone = Phone::new(relay.clone(), T0, "Alice's phone");
        Self {
            router: app(state.clone()),
            state,
            relay,
            clock,
            phone,
            _dir: dir,
        }
    }

    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Moves the site's, relay's and phone's clocks together.
    pub fn advance(&self, seconds: u64) {
        self.clock.advance(seconds);
        self.phone.clock.advance(seconds);
    }

    pub fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            cookie: None,
            csrf: None,
        }
    }

    /// The phone answers the pending request.
    pub async fn phone_answers(&mut self, decision: Decision, entry: &str) {
        let view = self.phone.request().await;
        self.phone
            .client
            .answer(&view, decision, entry, false)
            .await
            .unwrap();
    }
}

pub struct Browser {
    router: Router,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

/// The text of the element with this id (`<tag id="id" ...>text</tag>`), unescaped.
pub fn element(body: &str, id: &str) -> Option<String> {
    let start = body.find(&format!(r#"id="{id}""#))?;
    let open_end = start + body[start..].find('>')? + 1;
    let close = open_end + body[open_end..].find("</")?;
    Some(unescape(&body[open_end..close]))
}

pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn csrf_in(body: &str) -> Option<String> {
    let at = body.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    Some(body[at..at + body[at..].find('"')?].to_owned())
}

impl Browser {
    async fn send(&mut self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let pair = value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            self.cookie = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8(bytes.to_vec()).unwrap();
        if let Some(token) = csrf_in(&body) {
            self.csrf = Some(token);
        }
        Reply {
            status,
            location,
            body,
        }
    }

    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, c);
        }
        b
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let request = self.request("GET", path).body(Body::empty()).unwrap();
        self.send(request).await
    }

    pub async fn get_with(&mut self, path: &str, name: &str, value: &str) -> Reply {
        let request = self
            .request("GET", path)
            .header(name, value)
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// Posts a form with the CSRF token of the last page.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        let request = self
            .request("POST", path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap();
        self.send(request).await
    }

    pub async fn signup(&mut self, user: &str, password: &str) -> Reply {
        self.get("/signup").await;
        self.post("/signup", &[("username", user), ("password", password)])
            .await
    }

    pub async fn login(&mut self, user: &str, password: &str) -> Reply {
        self.get("/login").await;
        self.post("/login", &[("username", user), ("password", password)])
            .await
    }

    pub async fn logout(&mut self) {
        self.get("/security").await;
        let r = self.post("/logout", &[]).await;
        assert_eq!(r.location.as_deref(), Some("/login"));
    }

    /// The long-poll endpoint's JSON, without waiting.
    pub async fn push_status(&mut self) -> serde_json::Value {
        let r = self.get("/login/push/status?wait=0").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What enrolling left behind.
pub struct Enrolled {
    pub account_id: AccountId,
    pub backup_codes: Vec<String>,
}

/// Signs `user` up and enrolls the site's phone: reads the offer from the
/// page, the phone registers, the page's status endpoint sees it, the code
/// the phone shows activates it, and the backup codes are shown.
pub async fn signup_and_enroll(site: &mut Site, browser: &mut Browser, user: &str) -> Enrolled {
    let r = browser.signup(user, "correct horse").await;
    assert_eq!(r.location.as_deref(), Some("/security"));
    let r = browser.get("/security").await;
    assert!(r.body.contains("Two-step verification is <b>off</b>"));
    let r = browser.post("/security/enroll", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<svg"), "a QR code");
    let uri = element(&r.body, "offer-uri").expect("the offer on the page");
    assert!(uri.starts_with("assent://enroll?"), "{uri}");
    let pending = site.phone.client.enroll_uri(&uri).await.unwrap();
    let status: serde_json::Value =
        serde_json::from_str(&browser.get("/security/enroll/status?wait=0").await.body).unwrap();
    assert_eq!(status["status"], "registered");
    assert_eq!(status["device"], "Alice's phone");
    let account_id = site
        .phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .expect("the answer was delivered");
    let code = site
        .phone
        .client
        .activation_code(&account_id)
        .unwrap()
        .code
        .to_string();
    let r = browser.post("/security/activate", &[("code", &code)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let start = r
        .body
        .find(r#"id="backup-codes">"#)
        .expect("backup codes shown");
    let list = &r.body[start..start + r.body[start..].find("</ul>").unwrap()];
    let backup_codes: Vec<String> = list
        .split("<li>")
        .skip(1)
        .filter_map(|s| s.split("</li>").next())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(backup_codes.len(), 10);
    Enrolled {
        account_id,
        backup_codes,
    }
}
