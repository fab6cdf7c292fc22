//! A test app with managed mode and webhooks switched on, and a phone (the
//! core's `PushClient`) that reaches the relay through the router in process.
#![allow(dead_code)]
// Shared helpers, not #[test] fns: clippy.toml's allow-unwrap-in-tests misses them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use crate::features::Features;
use crate::managed::{Managed, ManagedDb};
use crate::routes::app;
use crate::settings::{SettingsStore, SqliteSettings};
use crate::state::AppState;
use crate::webhook::{Destinations, HttpTransport, RetryPolicy, Webhooks};
use assent_core::{
    DeviceCall, DeviceInfo, ManualClock, MemoryStorage, Platform, PushClient, RelayReply,
    RelayTransport, SoftwareKeyStore, StaticKey, TransportError, Vault, VaultEnv, VaultKey,
};
use assent_protocol::RelayUrl;
use axum::body::Body;
use axum::http::Request;
use axum::Router;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tower::ServiceExt;

use crate::tests::common::{TestApp, T0};

pub use assent_rp::testing::FastHasher;

/// Fast retries for tests.
pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
        timeout: Duration::from_secs(2),
        poll: Duration::from_millis(10),
    }
}

/// A test app with features: managed state in memory, webhooks allowed to
/// loopback http, retries per `policy`.
pub async fn featured(policy: RetryPolicy) -> (TestApp, Arc<Features>) {
    let base = TestApp::new().await;
    let settings: Arc<dyn SettingsStore> = Arc::new(SqliteSettings::new(&base.store));
    let webhooks = Webhooks::spawn(
        base.store.clone(),
        settings.clone(),
        Arc::new(HttpTransport::new(policy.timeout, Destinations::with_loopback()).unwrap()),
        base.clock.clone(),
        Box::new(ChaCha20Rng::seed_from_u64(42)),
        policy,
        Destinations::with_loopback(),
    );
    let managed = Managed::new(ManagedDb::Memory).with_hasher(Arc::new(FastHasher));
    let features = Arc::new(Features {
        settings,
        managed: Arc::new(managed),
        webhooks,
    });
    let state: AppState = base.state.clone().with_features(features.clone());
    let app = TestApp {
        router: app(state.clone()),
        state,
        clock: base.clock.clone(),
        store: base.store.clone(),
    };
    (app, features)
}

/// A managed tenant (RP id `example.com`): (tenant id, API key).
pub async fn managed_tenant(app: &TestApp, features: &Features, name: &str) -> (String, String) {
    let (id, key) = app.tenant(name).await;
    features
        .settings
        .set_managed(&id, true, Some("example.com"), 0)
        .await
        .unwrap();
    (id, key)
}

/// The phone's way to the relay: the router, in process.
pub struct RouterTransport {
    pub router: Router,
}

#[async_trait::async_trait]
impl RelayTransport for RouterTransport {
    async fn call(
        &self,
        _relay: &RelayUrl,
        call: DeviceCall,
    ) -> Result<RelayReply, TransportError> {
        let mut builder = Request::builder()
            .method(call.method.as_str())
            .uri(&call.path);
        if let Some(auth) = &call.auth {
            for (name, value) in auth.to_headers() {
                builder = builder.header(name, value);
            }
        }
        if !call.body.is_empty() {
            builder = builder.header("content-type", "application/json");
        }
        let request = builder
            .body(Body::from(call.body))
            .map_err(|e| TransportError::new(e.to_string()))?;
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| TransportError::new(e.to_string()))?;
        let status = response.status().as_u16();
        let relay_time = response
            .headers()
            .get("assent-time")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| TransportError::new(e.to_string()))?
            .to_vec();
        Ok(RelayReply {
            status,
            body,
            relay_time,
        })
    }
}

/// A phone (the core's push client) on `app`, its clock at the relay's.
pub struct CorePhone {
    pub client: PushClient,
    pub clock: Arc<ManualClock>,
}

impl CorePhone {
    pub fn new(app: &TestApp, seed: u64) -> Self {
        let clock = Arc::new(ManualClock::new(T0));
        let env = VaultEnv::new(
            Arc::new(MemoryStorage::new()),
            Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))),
        )
        .with_clock(clock.clone())
        .with_rng(ChaCha20Rng::seed_from_u64(seed));
        let vault = Vault::open_or_create(env).unwrap();
        let client = PushClient::new(
            vault,
            Arc::new(RouterTransport {
                router: app.router.clone(),
            }),
            Arc::new(SoftwareKeyStore::new(Arc::new(MemoryStorage::new()))),
            DeviceInfo {
                platform: Platform::Poll,
                name: "Alice's phone".into(),
                push_token: String::new(),
            },
        );
        Self { client, clock }
    }
}

/// Moves the relay's (and RP's) clock and the phone's together.
pub fn advance(app: &TestApp, phone: &CorePhone, secs: u64) {
    app.clock.advance(secs);
    phone.clock.advance(secs);
}
