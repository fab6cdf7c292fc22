//! The embedded relay: the real relay (`assent_relay`) started in this process,
//! over TLS on a loopback port, with its SQLite database, development CA and
//! this demo's tenant API key in `<data dir>/relay/`. The site reaches it
//! through `assent_rp::relay_http::HttpRelay` like any relay; phones (the
//! simulated one, or `assent phone --ca <data dir>/relay/dev-ca.pem`) reach it
//! over HTTPS trusting that CA.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assent_protocol::RelayUrl;
use assent_relay::cli::{Cli, Command};
use assent_relay::config::{Config, ConfigArgs};
use assent_relay::store::sqlite::SqliteStore;
use assent_relay::tls::DevFiles;
use assent_relay::AppState;
use clap::Parser as _;
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

/// Runs an `assent-relay admin …` command on the relay's store.
async fn admin(state: &AppState, args: &[&str]) -> Result<String, String> {
    let argv = ["assent-relay", "admin"]
        .into_iter()
        .chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv).map_err(|e| fail("admin command")(e.to_string()))?;
    let Some(Command::Admin(command)) = cli.command else {
        return Err("embedded relay: not an admin command".into());
    };
    let mut out = Vec::new();
    assent_relay::admin::run(state.store.as_ref(), &command, state.clock.now(), &mut out)
        .await
        .map_err(|e| fail("admin")(e.to_string()))?;
    String::from_utf8(out).map_err(|e| fail("admin output")(e.to_string()))
}

/// The demo's API key: made (tenant + key) at the first start, then reused.
async fn api_key(state: &AppState, dir: &Path) -> Result<Zeroizing<String>, String> {
    let path = dir.join("demo-api-key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Ok(Zeroizing::new(key.trim().to_owned()));
    }
    admin(state, &["tenant", "create", "assent-demo"]).await?;
    let out = Zeroizing::new(admin(state, &["key", "create", "assent-demo"]).await?);
    let key = out
        .lines()
        .find(|l| l.starts_with("ask_"))
        .ok_or("embedded relay: no API key was printed")?;
    let key = Zeroizing::new(key.to_owned());
    write_private(&path, key.as_bytes()).map_err(|e| fail("saving the API key")(e.to_string()))?;
    Ok(key)
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

/// Starts the relay on `listen` (a loopback address) with its files in `dir`;
/// it stops when `shutdown` completes.
pub async fn start(
    dir: &Path,
    listen: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<EmbeddedRelay, String> {
    std::fs::create_dir_all(dir).map_err(|e| fail("data dir")(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| fail("listen")(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| fail("listen")(e.to_string()))?;
    let origin = format!("https://127.0.0.1:{}", addr.port());
    let database_url = format!("sqlite://{}", dir.join("relay.db").display());
    let config = Config::resolve(&ConfigArgs {
        listen: Some(addr),
        public_origin: Some(origin.clone()),
        database_url: Some(database_url.clone()),
        ..ConfigArgs::default()
    })
    .map_err(|e| fail("config")(e.to_string()))?;
    let store = SqliteStore::open(&database_url, 4)
        .await
        .map_err(|e| fail("database")(e.to_string()))?;
    let state = AppState::new(Arc::new(store), config);
    let files = DevFiles::ensure(dir).map_err(|e| fail("TLS files")(e.to_string()))?;
    let tls = files
        .identity()
        .and_then(|i| i.server_config())
        .map_err(|e| fail("TLS")(e.to_string()))?;
    let ca_pem = std::fs::read(&files.ca).map_err(|e| fail("CA")(e.to_string()))?;
    let api_key = api_key(&state, dir).await?;
    let url = RelayUrl::parse(&origin).map_err(|e| fail("URL")(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = assent_relay::server::serve_tls(listener, state, tls, shutdown).await {
            tracing::error!(error = %e, "embedded relay stopped");
        }
    });
    Ok(EmbeddedRelay {
        url,
        ca_pem,
        ca_path: files.ca,
        api_key,
    })
}
