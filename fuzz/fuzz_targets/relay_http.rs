//! The relay's HTTP API, end to end: every route's path and query, the
//! `Authorization` and signed-request (`Assent-*`) headers, content types and
//! JSON bodies, through the real router (`assent_relay::Relay::router`) over
//! an in-memory database, as `tower::ServiceExt::oneshot` requests.
//!
//! The input is a small HTTP-like text, so seeds are readable and mutations
//! stay near the grammar:
//!
//! ```text
//! POST /v1/rp/enrollments
//! authorization: Bearer {KEY}
//! content-type: application/json
//!
//! {"eid":"…","expires_at":{NOW}}
//! ```
//!
//! Before sending, the harness fills in placeholders: `{KEY}` a valid API
//! key, `{NOW}` the relay's (fixed) time, `{DEVICE}` and `{EID}` an enrolled
//! device and its enrollment, and a header value `{SIG}` the device's real
//! signature over the final method, path and body, so signed requests get
//! past authentication into the handlers' body parsing.
//!
//! Checks: no request makes the relay answer 500 (a panic, caught by the
//! relay's catch-panic layer, or an internal error from unchecked input);
//! every error reply is the relay's one JSON error body with a status that
//! matches its code; every reply carries the relay's time header.
#![no_main]

use std::sync::{Arc, Mutex};

use assent_protocol::api::ErrorBody;
use assent_protocol::testing::FixedRng;
use assent_protocol::{
    Algorithm, ApprovalKind, Custody, DeviceId, Enrolled, EnrollmentAnswer, EnrollmentId,
    ManualClock, Offer, OfferParams, Platform, Registration, RelayUrl, RequestAuth, RpId, Secret,
    SoftwareSigner, TotpParams,
};
use assent_relay::Relay;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const ORIGIN: &str = "https://relay.example.com";
const NOW: u64 = 1_700_000_000;
/// The relay is rebuilt after this many requests, so that what earlier inputs
/// stored (enrollments, challenges, rate buckets) neither grows without bound
/// nor fills every cap; and at once after a request that removed the device.
const REBUILD_EVERY: u32 = 2048;
const MAX_BODY_READ: usize = 1 << 20;

struct Harness {
    runtime: tokio::runtime::Runtime,
    relay: Relay,
    key: String,
    eid: EnrollmentId,
    device: DeviceId,
    signer: SoftwareSigner,
    served: u32,
}

static HARNESS: Mutex<Option<Harness>> = Mutex::new(None);

type Setup<T> = Result<T, String>;

fn rng(seed: u8) -> FixedRng {
    FixedRng::new(vec![seed; 256])
}

async fn send(relay: &Relay, request: Request<Body>) -> Setup<(StatusCode, Vec<u8>)> {
    let response = relay
        .router()
        .oneshot(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), MAX_BODY_READ)
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, body.to_vec()))
}

async fn post(relay: &Relay, path: &str, key: Option<&str>, body: String) -> Setup<()> {
    let mut builder = Request::post(path).header("content-type", "application/json");
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    let request = builder.body(Body::from(body)).map_err(|e| e.to_string())?;
    let (status, body) = send(relay, request).await?;
    if status == StatusCode::CREATED {
        Ok(())
    } else {
        Err(format!(
            "{path}: {status} {}",
            String::from_utf8_lossy(&body)
        ))
    }
}

/// A fresh relay with one tenant and one device enrolled through the real
/// API (announce → register → deliver), always with the same ids and keys.
fn set_up() -> Setup<Harness> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    let (relay, key, eid, device, signer) = runtime.block_on(async {
        let relay = Relay::builder()
            .public_origin(ORIGIN)
            .clock(Arc::new(ManualClock::new(NOW)))
            .max_wait_secs(0)
            .build()
            .await
            .map_err(|e| e.to_string())?;
        let key = relay
            .create_tenant("example.com")
            .await
            .map_err(|e| e.to_string())?
            .as_str()
            .to_owned();
        let rp = RpId::parse("example.com").map_err(|e| e.to_string())?;
        let params = OfferParams {
            rp: rp.clone(),
            issuer: "Example".into(),
            account: "alice".into(),
            relay: RelayUrl::parse(ORIGIN).map_err(|e| e.to_string())?,
            min: ApprovalKind::Number,
            custody: Custody::Rp,
            uv: false,
            expires_at: NOW + 600,
        };
        let (offer, secrets) = Offer::make(params, &mut rng(1)).map_err(|e| e.to_string())?;
        let eid = offer.eid;
        let announce = format!(r#"{{"eid":"{eid}","expires_at":{}}}"#, NOW + 600);
        post(&relay, "/v1/rp/enrollments", Some(&key), announce).await?;
        let signer = SoftwareSigner::make(&mut rng(2)).map_err(|e| e.to_string())?;
        let (registration, _) =
            Registration::make(&offer, &signer, Platform::Poll, "phone", "", &mut rng(3))
                .map_err(|e| e.to_string())?;
        post(&relay, "/v1/register", None, registration.to_json()).await?;
        let verified = registration
            .verify(&offer, &secrets, NOW)
            .map_err(|e| e.to_string())?;
        let device = DeviceId::from_bytes([4; 16]);
        let enrolled = Enrolled {
            device_id: device,
            totp: TotpParams {
                secret: Secret::from_bytes(vec![7; 20]).map_err(|e| e.to_string())?,
                algorithm: Algorithm::Sha1,
                digits: 6,
                period: 30,
            },
            min: ApprovalKind::Number,
        };
        let answer = EnrollmentAnswer::seal(
            &rp,
            &eid,
            &verified.device_pub,
            &verified.channel_key,
            &enrolled,
            &mut rng(5),
        )
        .map_err(|e| e.to_string())?;
        let path = format!("/v1/rp/enrollments/{eid}/answer");
        post(&relay, &path, Some(&key), answer.to_json()).await?;
        Ok::<_, String>((relay, key, eid, device, signer))
    })?;
    Ok(Harness {
        runtime,
        relay,
        key,
        eid,
        device,
        signer,
        served: 0,
    })
}

impl Harness {
    fn fill(&self, text: &str) -> String {
        text.replace("{KEY}", &self.key)
            .replace("{NOW}", &NOW.to_string())
            .replace("{DEVICE}", &self.device.to_string())
            .replace("{EID}", &self.eid.to_string())
    }

    /// The request the input describes, or `None` where no HTTP server would
    /// hand such a request to the router (bad method, URI or header syntax).
    fn request(&self, input: &str) -> Option<Request<Body>> {
        let (head, body) = input.split_once("\n\n").unwrap_or((input, ""));
        let mut lines = head.lines();
        let (method, path) = lines.next()?.split_once(' ')?;
        let path = self.fill(path);
        let body = self.fill(body);
        let mut builder = Request::builder().method(method).uri(path.as_str());
        for line in lines {
            let (name, value) = line.split_once(':')?;
            let value = value.trim_start();
            let value = if value == "{SIG}" {
                let auth = RequestAuth::sign(
                    &self.signer,
                    &RelayUrl::parse(ORIGIN).ok()?,
                    &self.device,
                    method,
                    &path,
                    NOW,
                    body.as_bytes(),
                )
                .ok()?;
                auth.to_headers()[2].1.clone()
            } else {
                self.fill(value)
            };
            builder = builder.header(name, value);
        }
        builder.body(Body::from(body)).ok()
    }
}

/// `ASSENT_FUZZ_TRACE=1` prints each request's reply (to see what a seed reaches).
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("ASSENT_FUZZ_TRACE").is_some())
}

fn check(method: &str, status: StatusCode, time: Option<String>, body: &[u8]) {
    assert_ne!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "500: {}",
        String::from_utf8_lossy(body)
    );
    assert_eq!(
        time,
        Some(NOW.to_string()),
        "reply without the relay's time"
    );
    if (status.is_client_error() || status.is_server_error()) && method != "HEAD" {
        let error: ErrorBody = match serde_json::from_slice(body) {
            Ok(error) => error,
            Err(_) => panic!(
                "{status} without the JSON error body: {}",
                String::from_utf8_lossy(body)
            ),
        };
        assert_eq!(
            error.error.code.status(),
            status.as_u16(),
            "status does not match its code {:?}",
            error.error.code
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut guard = HARNESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if guard.as_ref().is_none_or(|h| h.served >= REBUILD_EVERY) {
        *guard = None;
        match set_up() {
            Ok(harness) => *guard = Some(harness),
            Err(e) => panic!("harness set-up failed: {e}"),
        }
    }
    let Some(harness) = guard.as_mut() else {
        return;
    };
    harness.served += 1;
    let Some(request) = harness.request(input) else {
        return;
    };
    let method = request.method().as_str().to_owned();
    // A request that removes the enrolled device (or asks to) would leave
    // every later signed request at `unknown_device`: rebuild after it.
    let removes = method == "DELETE" || request.uri().path().contains("unenroll");
    let reply = harness.runtime.block_on(async {
        let response = harness.relay.router().oneshot(request).await.ok()?;
        let status = response.status();
        let time = response
            .headers()
            .get(assent_protocol::api::headers::TIME)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = axum::body::to_bytes(response.into_body(), MAX_BODY_READ)
            .await
            .ok()?;
        Some((status, time, body))
    });
    let Some((status, time, body)) = reply else {
        panic!("the router failed to answer");
    };
    if trace() {
        eprintln!(
            "{method} {input:.60?} -> {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    if removes && status.is_success() {
        harness.served = REBUILD_EVERY;
    }
    check(&method, status, time, &body);
});
