//! The embedded relay: the real relay (`assent_relay`, through its embedding API)
//! started in this process, over TLS on a loopback port, with its SQLite database,
//! development CA and this demo's tenant API key in `<data dir>/relay/`. The site
//! reaches it through `assent_rp::relay_http::HttpRelay` like any relay; phones (the
//! simulated one, or `assent phone --ca <data dir>/relay/assent-relay-ca.pem`) reach it
//! over HTTPS trusting that CA.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use assent_protocol::RelayUrl;
use assent_relay::{Relay, RunningRelay};
use zeroize::Zeroizing;

/// A running embedded relay.
pub struct EmbeddedRelay {
    /// `https://127.0.0.1:<port>`.
    pub url: RelayUrl,
    /// The development CA (PEM) phones and the site must trust.
    pub ca_pem: Vec<u8>,
    /// Where that CA is, for `assent phone --ca`.
    pub ca_path: PathBuf,
    /// This demo's tenant API key.
    pub api_key: Zeroizing<String>,
    /// The relay itself; [`RunningRelay::shutdown`] stops it.
    pub running: RunningRelay,
}

impl std::fmt::Debug for EmbeddedRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedRelay")
            .field("url", &self.url.as_str())
            .field("ca_path", &self.ca_path)
            .finish_non_exhaustive()
    }
}

fn fail(what: &str) -> impl Fn(String) -> String + '_ {
    move |e| format!("embedded relay: {what}: {e}")
}

/// The demo's API key: made (tenant + key) at the first start, then reused.
async fn api_key(relay: &RunningRelay, dir: &Path) -> Result<Zeroizing<String>, String> {
    let path = dir.join("demo-api-key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Ok(Zeroizing::new(key.trim().to_owned()));
    }
    let key = relay
        .create_tenant("assent-demo")
        .await
        .map_err(|e| fail("tenant")(e.to_string()))?;
    write_private(&path, key.as_str().as_bytes())
        .map_err(|e| fail("saving the API key")(e.to_string()))?;
    Ok(Zeroizing::new(key.as_str().to_owned()))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

/// Starts the relay on `listen` (a loopback address) with its files in `dir`.
pub async fn start(dir: &Path, listen: SocketAddr) -> Result<EmbeddedRelay, String> {
    std::fs::create_dir_all(dir).map_err(|e| fail("data dir")(e.to_string()))?;
    let running = Relay::builder()
        .database_url(format!("sqlite://{}", dir.join("relay.db").display()))
        .listen(listen)
        .dev_tls(dir)
        .start()
        .await
        .map_err(|e| fail("start")(e.to_string()))?;
    let (Some(ca_pem), Some(ca_path)) = (running.ca_pem(), running.ca_path()) else {
        return Err("embedded relay: no development CA".into());
    };
    let (ca_pem, ca_path) = (ca_pem.to_vec(), ca_path.to_path_buf());
    let api_key = api_key(&running, dir).await?;
    Ok(EmbeddedRelay {
        url: running.url().clone(),
        ca_pem,
        ca_path,
        api_key,
        running,
    })
}
