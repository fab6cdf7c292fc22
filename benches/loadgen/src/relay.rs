//! Starting the relays under test (one or more instances on a fresh SQLite
//! file, a given database or a throwaway PostgreSQL server; a tenant and an
//! API key through `assent-relay admin`), and reading resource usage from
//! /proc.

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
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The relay instances this tool started on one database, and what the RP
/// side needs to talk to them.
pub struct Fleet {
    /// The instances, in start order.
    pub instances: Vec<Spawned>,
    /// An API key of the tenant the load runs as.
    pub api_key: String,
    /// The public origin every instance signs over (`https://<first address>`).
    pub origin: String,
    /// TLS client settings trusting the relays' development CA (with `tls`).
    pub tls: Option<Tls>,
    /// The token that opens their `/metrics` (relays that have `--metrics-token`).
    pub metrics_token: Option<String>,
    /// Whether the database is PostgreSQL (its CPU is reported).
    pub postgres: bool,
    dir: tempfile::TempDir,
    // Stopped (and its files deleted) when the fleet drops, after the relays.
    _server: Option<assent_pg_testkit::Server>,
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

/// Where the relays keep their state.
pub enum Database {
    /// A fresh SQLite file in the fleet's directory.
    FreshSqlite,
    /// This database (PostgreSQL for several instances).
    Url(String),
    /// A throwaway PostgreSQL server started here (`assent-pg-testkit`).
    ThrowawayPostgres,
}

impl Fleet {
    /// Prepares the database (a new tenant with a key, through `assent-relay
    /// admin`), then starts `instances` relays from `bin` on it, one after the
    /// other on free loopback ports, with `extra` arguments: HTTPS with their
    /// zero-config development CA (shared: they run in one directory) when
    /// `tls`, else plain HTTP (`--plain-http` where the relay has that flag).
    pub async fn start(
        bin: &Path,
        extra: &[String],
        tls: bool,
        database: Database,
        instances: usize,
    ) -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix("assent-loadgen-")
            .tempdir()?;
        let (db, server) = match database {
            Database::FreshSqlite => (
                format!("sqlite://{}", dir.path().join("relay.db").display()),
                None,
            ),
            Database::Url(url) => (url, None),
            Database::ThrowawayPostgres => {
                let server = assent_pg_testkit::Server::start()
                    .map_err(|e| format!("throwaway PostgreSQL: {e}"))?;
                let url = server
                    .database()
                    .await
                    .map_err(|e| format!("throwaway PostgreSQL: {e}"))?;
                (url, Some(server))
            }
        };
        let postgres = db.starts_with("postgres");
        if instances > 1 && !postgres {
            return Err("--instances above 1 needs a PostgreSQL database".into());
        }
        // A tenant of its own, so that a database in use is not disturbed.
        let tenant = format!("loadgen-{}", &crate::flow::random_token()?[..12]);
        admin(bin, &db, &["tenant", "create", &tenant])?;
        let out = admin(bin, &db, &["key", "create", &tenant])?;
        let api_key = out
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("ask_"))
            .ok_or("`admin key create` printed no key")?
            .to_owned();
        let help = help_text(bin);
        let metrics_token = if help.contains("--metrics-token") {
            Some(crate::flow::random_token()?)
        } else {
            None
        };
        let addrs = (0..instances.max(1))
            .map(|_| TcpListener::bind("127.0.0.1:0")?.local_addr())
            .collect::<Result<Vec<SocketAddr>, std::io::Error>>()?;
        let origin = format!("https://{}", addrs.first().ok_or("no instance")?);
        let mut fleet = Self {
            instances: Vec::new(),
            api_key,
            origin,
            tls: None,
            metrics_token,
            postgres,
            dir,
            _server: server,
        };
        for addr in addrs {
            let spawned = fleet.spawn(bin, &help, &db, addr, extra, tls)?;
            fleet.instances.push(spawned);
            fleet.wait_healthy(addr, tls).await?;
        }
        Ok(fleet)
    }

    fn spawn(
        &self,
        bin: &Path,
        help: &str,
        db: &str,
        addr: SocketAddr,
        extra: &[String],
        tls: bool,
    ) -> Result<Spawned, Error> {
        let mut command = Command::new(bin);
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
        if let Some(token) = &self.metrics_token {
            command.args(["--metrics-listen", "off", "--metrics-token", token]);
        }
        let child = command
            .arg("--database-url")
            .arg(db)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--public-origin")
            .arg(&self.origin)
            .arg("--log")
            .arg("warn")
            .args(extra)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Ok(Spawned { child, addr })
    }

    async fn wait_healthy(&mut self, addr: SocketAddr, tls: bool) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(15);
        let ca = self.dir.path().join("assent-relay-ca.pem");
        loop {
            if tls && self.tls.is_none() && ca.exists() {
                self.tls = Tls::new(&ca, &addr.ip().to_string()).ok();
            }
            let mut conn = Conn::new(addr, &addr.to_string(), self.tls.clone())?;
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
}

impl Spawned {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// User + system CPU time of every `postgres` process (the server and its
/// backends), in clock ticks.
pub fn postgres_cpu_ticks() -> Option<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let is_postgres = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim() == "postgres");
        if is_postgres {
            total += cpu_ticks(pid).unwrap_or(0);
        }
    }
    Some(total)
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
