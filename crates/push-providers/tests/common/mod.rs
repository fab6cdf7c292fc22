#![allow(dead_code)]
// Shared helpers, not #[test] fns: clippy.toml's allow-unwrap-in-tests misses them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use assent_push_providers::apns::{ApnsClient, ApnsConfig};
use assent_push_providers::fcm::{FcmClient, FcmConfig};
use assent_push_providers::metrics::PushCounters;
use assent_push_providers::mock::{MockApns, MockFcm, MockWebPush};
use assent_push_providers::webpush::{WebPushClient, WebPushConfig};
use assent_push_providers::{
    Clock, DeviceToken, ManualClock, PushId, PushPayload, PushTarget, RouteTag,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

pub const T0: u64 = 1_700_000_000;

pub fn manual() -> Arc<ManualClock> {
    Arc::new(ManualClock::at_unix(T0))
}

/// Push `n`'s payload: a seeded push id and a tag (its bytes do not matter here).
pub fn payload(n: u64) -> PushPayload {
    PushPayload {
        p: PushId::make(&mut ChaCha20Rng::seed_from_u64(n)),
        r: RouteTag::from_bytes([u8::try_from(n % 256).unwrap(); 9]),
    }
}

pub fn target(token: &str) -> PushTarget {
    PushTarget::new(DeviceToken::new(token))
}

pub fn deadline(clock: &dyn Clock, secs: u64) -> SystemTime {
    clock.now() + Duration::from_secs(secs)
}

pub struct Apns {
    pub mock: MockApns,
    pub client: Arc<ApnsClient>,
    pub metrics: Arc<PushCounters>,
}

pub async fn apns_with(clock: Arc<dyn Clock>, edit: impl FnOnce(&mut ApnsConfig)) -> Apns {
    let mock = MockApns::start(clock.clone()).await.unwrap();
    let mut config = mock.config().unwrap();
    edit(&mut config);
    let metrics = Arc::new(PushCounters::new());
    let client = ApnsClient::with_parts(
        config,
        clock,
        Box::new(ChaCha20Rng::seed_from_u64(1)),
        metrics.clone(),
    )
    .unwrap();
    Apns {
        mock,
        client: Arc::new(client),
        metrics,
    }
}

pub async fn apns(clock: Arc<dyn Clock>) -> Apns {
    apns_with(clock, |_| {}).await
}

pub struct Fcm {
    pub mock: MockFcm,
    pub client: Arc<FcmClient>,
    pub metrics: Arc<PushCounters>,
}

pub async fn fcm_with(clock: Arc<dyn Clock>, edit: impl FnOnce(&mut FcmConfig)) -> Fcm {
    let mock = MockFcm::start(clock.clone()).await.unwrap();
    let mut config = mock.config().unwrap();
    edit(&mut config);
    let metrics = Arc::new(PushCounters::new());
    let client = FcmClient::with_parts(
        config,
        clock,
        Box::new(ChaCha20Rng::seed_from_u64(2)),
        metrics.clone(),
    )
    .unwrap();
    Fcm {
        mock,
        client: Arc::new(client),
        metrics,
    }
}

pub async fn fcm(clock: Arc<dyn Clock>) -> Fcm {
    fcm_with(clock, |_| {}).await
}

pub struct WebPush {
    pub mock: MockWebPush,
    pub client: Arc<WebPushClient>,
    pub metrics: Arc<PushCounters>,
}

pub async fn webpush_with(clock: Arc<dyn Clock>, edit: impl FnOnce(&mut WebPushConfig)) -> WebPush {
    let mock = MockWebPush::start(clock.clone()).await.unwrap();
    let mut config = mock.config().unwrap();
    edit(&mut config);
    let metrics = Arc::new(PushCounters::new());
    let client = WebPushClient::with_parts(
        config,
        clock,
        Box::new(ChaCha20Rng::seed_from_u64(3)),
        Box::new(ChaCha20Rng::seed_from_u64(4)),
        metrics.clone(),
    )
    .unwrap();
    WebPush {
        mock,
        client: Arc::new(client),
        metrics,
    }
}

pub async fn webpush(clock: Arc<dyn Clock>) -> WebPush {
    webpush_with(clock, |_| {}).await
}
