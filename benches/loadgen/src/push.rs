//! `--push`: mock APNs and mock FCM (from `assent-push-providers`'s `mock` feature)
//! in this process, their CA, `.p8` key and service-account JSON written to
//! a temporary directory, and the relay flags that point at them.

use std::path::Path;
use std::sync::Arc;

use assent_push_providers::mock::{MockApns, MockFcm, MOCK_TOPIC};
use assent_push_providers::SystemClock;

use crate::Error;

/// The running mocks and the files the relay reads.
pub struct Mocks {
    apns: MockApns,
    fcm: MockFcm,
    _dir: tempfile::TempDir,
    /// The `--apns-*` and `--fcm-*` arguments for the relay.
    pub relay_args: Vec<String>,
}

/// Pushes the mocks have received so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Requests to mock APNs.
    pub apns: usize,
    /// Messages to mock FCM.
    pub fcm: usize,
    /// Of those, answered with anything but 200.
    pub not_ok: usize,
}

impl Counts {
    /// Both providers together.
    pub fn total(&self) -> usize {
        self.apns + self.fcm
    }
}

fn write(dir: &Path, name: &str, text: &str) -> Result<String, Error> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path.display().to_string())
}

impl Mocks {
    /// Starts both mocks on loopback ports and writes their files.
    pub async fn start() -> Result<Self, Error> {
        let apns = MockApns::start(Arc::new(SystemClock))
            .await
            .map_err(|e| format!("mock APNs: {e:?}"))?;
        let fcm = MockFcm::start(Arc::new(SystemClock))
            .await
            .map_err(|e| format!("mock FCM: {e:?}"))?;
        let dir = tempfile::Builder::new()
            .prefix("assent-loadgen-push-")
            .tempdir()?;
        let (key_id, team_id) = apns.ids();
        let relay_args = vec![
            format!(
                "--apns-key={}",
                write(dir.path(), "apns.p8", &apns.p8_pem())?
            ),
            format!("--apns-key-id={key_id}"),
            format!("--apns-team-id={team_id}"),
            format!("--apns-topic={MOCK_TOPIC}"),
            "--apns-environment=sandbox".to_owned(),
            format!("--apns-base-url={}", apns.base_url()),
            format!(
                "--apns-ca={}",
                write(dir.path(), "apns-ca.pem", apns.ca_pem())?
            ),
            format!(
                "--fcm-service-account={}",
                write(dir.path(), "fcm.json", &fcm.service_account_json())?
            ),
            format!("--fcm-base-url={}", fcm.base_url()),
            format!(
                "--fcm-ca={}",
                write(dir.path(), "fcm-ca.pem", fcm.ca_pem())?
            ),
        ];
        Ok(Self {
            apns,
            fcm,
            _dir: dir,
            relay_args,
        })
    }

    /// What the mocks have received. The mocks' recording API hands out a
    /// copy of every request so far, so this costs O(all pushes): call it
    /// at phase boundaries only, never per approval.
    pub fn counts(&self) -> Counts {
        let apns = self.apns.received();
        let fcm = self.fcm.received();
        let not_ok = apns.iter().filter(|r| r.status != 200).count()
            + fcm.iter().filter(|r| r.status != 200).count();
        Counts {
            apns: apns.len(),
            fcm: fcm.len(),
            not_ok,
        }
    }
}

/// The relay's own push counters from `/metrics`, summed over providers:
/// pushes that ended `sent` (the mock answered 200), and the
/// `assent_relay_push_duration_seconds` histogram's sum and count (start of
/// a push to its outcome).
#[derive(Debug, Clone, Copy, Default)]
pub struct RelayPush {
    /// `assent_relay_push_sent_total`.
    pub sent: f64,
    /// `assent_relay_push_duration_seconds_sum`.
    pub seconds: f64,
    /// `assent_relay_push_duration_seconds_count`.
    pub count: f64,
}

impl RelayPush {
    /// Parses the OpenMetrics text.
    pub fn parse(text: &str) -> Self {
        let mut out = Self::default();
        for line in text.lines() {
            let Some((name, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            let metric = name.split('{').next().unwrap_or_default();
            match metric {
                "assent_relay_push_sent_total" => out.sent += value,
                "assent_relay_push_duration_seconds_sum" => out.seconds += value,
                "assent_relay_push_duration_seconds_count" => out.count += value,
                _ => {}
            }
        }
        out
    }
}

/// Reads the relay's `/metrics` (with its metrics token, when there is one); `None` if
/// that fails.
pub async fn scrape(conn: &mut crate::http::Conn, token: Option<&str>) -> Option<RelayPush> {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&'static str, &str)> = bearer
        .as_deref()
        .map(|b| ("authorization", b))
        .into_iter()
        .collect();
    let reply = conn
        .send(
            hyper::Method::GET,
            "/metrics",
            &headers,
            bytes::Bytes::new(),
        )
        .await
        .ok()?;
    let body = reply.expect_status(hyper::StatusCode::OK, "metrics").ok()?;
    Some(RelayPush::parse(&String::from_utf8_lossy(&body)))
}
