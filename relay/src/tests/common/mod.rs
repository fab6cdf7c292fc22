//! Shared fixtures: an app over an in-memory store, a tenant with a key, a
//! manual clock, and a request helper.
#![allow(dead_code)]
// Shared helpers, not #[test] fns: clippy.toml's allow-*-in-tests misses them.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use crate::auth::make_api_key;
use crate::clock::ManualClock;
use crate::config::Config;
use crate::routes::app;
use crate::state::AppState;
use crate::store::sqlite::SqliteStore;
use crate::store::Tenant;
use crate::store::TenantStore;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

pub mod flow;

pub const T0: u64 = 1_700_000_000;

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub store: Arc<SqliteStore>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.json()))
            .to_owned()
    }
}

impl TestApp {
    pub async fn new() -> Self {
        let args = crate::config::ConfigArgs {
            public_origin: Some(flow::ORIGIN.to_owned()),
            ..Default::default()
        };
        Self::with_config(Config::resolve(&args).unwrap()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let store = Arc::new(SqliteStore::in_memory().await.unwrap());
        let clock = Arc::new(ManualClock::new(T0));
        let state = AppState::new(store.clone(), config).with_clock(clock.clone());
        Self {
            router: app(state.clone()),
            state,
            clock,
            store,
        }
    }

    /// Creates a tenant and returns (tenant id, API key).
    pub async fn tenant(&self, name: &str) -> (String, String) {
        let id = format!("tenant-{name}");
        self.store
            .create_tenant(&Tenant {
                id: id.clone(),
                name: name.to_owned(),
                created_at: 0,
            })
            .await
            .unwrap();
        let made = make_api_key(&id, 0).unwrap();
        self.store.create_api_key(&made.record).await.unwrap();
        (id, made.key.to_string())
    }

    /// Waits (at most 10 s) until some long-poll is parked.
    pub async fn until_parked(&self) {
        let start = std::time::Instant::now();
        while self.state.waiters.is_empty() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "no long-poll parked"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// The metrics text, as the metrics listener serves it.
    pub async fn metrics(&self) -> String {
        let response = crate::routes::ops::metrics_app(self.state.clone())
            .oneshot(request(Method::GET, "/metrics", None, None))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> Reply {
        self.send(request(Method::GET, path, key, None)).await
    }

    pub async fn post_json(&self, path: &str, key: Option<&str>, body: &str) -> Reply {
        self.send(request(Method::POST, path, key, Some(body)))
            .await
    }
}

pub fn request(method: Method, path: &str, key: Option<&str>, json: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    match json {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}
