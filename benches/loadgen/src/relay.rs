//! Starting the relay under test (a fresh SQLite database, a tenant and an
//! API key through `assent-relay admin`), and reading its resource usage
//! from /proc.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{Method, StatusCode};

use crate::http::{Conn, Tls};
use crate::Error;

/// A relay process this tool started; killed on drop.
pub struct Spawned {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// An API key of the tenant `loadgen`.
    pub api_key: String,
    /// TLS client settings trusting the relay's development CA (with `tls`).
    pub tls: Option<Tls>,
    /// The token that opens its `/metrics` (relays that have `--metrics-token`).
    pub metrics_token: Option<String>,
    dir: tempfile::TempDir,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The relay binary next to this one (same target directory), if any.
pub fn default_relay_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("assent-relay")))
        .unwrap_or_else(|| PathBuf::from("assent-relay"))
}

fn admin(bin: &Path, db: &str, args: &[&str]) -> Result<String, Error> {
    let out = Command::new(bin)
        .arg("--database-url")
        .arg(db)
        .arg("admin")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "assent-relay admin {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The relay's `--help` (empty if it cannot be run): which flags it has.
fn help_text(bin: &Path) -> String {
    Command::new(bin)
        .arg("--help")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default()
}

/// The relay's per-device challenge cap, raised for the run: the simulated
/// phones each approve several times a second, far beyond any person (and
/// beyond the default of 30 per 10 minutes). The check itself still runs on
/// every challenge.
const DEVICE_CHALLENGE_LIMIT: &str = "--device-challenge-limit=1000000000";

impl Spawned {
    /// Makes a database in a temporary directory with a tenant and a key,
    /// then starts `bin` on a free loopback port with `extra` arguments:
    /// HTTPS with its zero-config development CA when `tls`, else plain
    /// HTTP (`--plain-http` where the relay has that flag).
    pub async fn start(bin: &Path, extra: &[String], tls: bool) -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix("assent-loadgen-")
            .tempdir()?;
        let db = format!("sqlite://{}", dir.path().join("relay.db").display());
        admin(bin, &db, &["tenant", "create", "loadgen"])?;
        let out = admin(bin, &db, &["key", "create", "loadgen"])?;
        let api_key = out
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("ask_"))
            .ok_or("`admin key create` printed no key")?
            .to_owned();
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let mut command = Command::new(bin);
        let help = help_text(bin);
        if !tls && help.contains("--plain-http") {
            command.arg("--plain-http");
        }
        if help.contains("--device-challenge-limit") {
            command.arg(DEVICE_CHALLENGE_LIMIT);
        }
        if help.contains("--max-long-polls-per-tenant") {
            // One tenant carries the whole load here.
            command.arg("--max-long-polls-per-tenant=0");
        }
        let metrics_token = if help.contains("--metrics-token") {
            let token = crate::flow::random_token()?;
            command.args(["--metrics-listen", "off", "--metrics-token", &token]);
            Some(token)
        } else {
            None
        };
        let child = command
            .arg("--database-url")
            .arg(&db)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--public-origin")
            .arg(format!("https://{addr}"))
            .arg("--log")
            .arg("warn")
            .args(extra)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut spawned = Self {
            child,
            addr,
            api_key,
            tls: None,
            metrics_token,
            dir,
        };
        spawned.wait_healthy(tls).await?;
        Ok(spawned)
    }

    async fn wait_healthy(&mut self, tls: bool) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(15);
        let ca = self.dir.path().join("assent-relay-ca.pem");
        loop {
            if tls && self.tls.is_none() && ca.exists() {
                self.tls = Tls::new(&ca, &self.addr.ip().to_string()).ok();
            }
            let mut conn = Conn::new(self.addr, &self.addr.to_string(), self.tls.clone())?;
            let ok = (!tls || self.tls.is_some())
                && matches!(
                    conn.send(Method::GET, "/healthz", &[], Bytes::new()).await,
                    Ok(reply) if reply.status == StatusCode::OK
                );
            if ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("the relay did not become healthy within 15 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// `VmHWM` (peak resident set) and `VmRSS` of a process, in KiB.
pub fn memory_kib(pid: &str) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// User + system CPU time of a process in clock ticks (100 Hz on Linux).
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}
