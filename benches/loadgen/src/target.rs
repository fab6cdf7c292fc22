//! The relays under load, started by this tool or already running at
//! `--addr`, and the connection lanes to them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cli::Args;
use crate::flow::Lane;
use crate::http::{Conn, Tls};
use crate::relay::{self, Database};
use crate::Error;

/// The relays under load (one or more instances on one database) and what the
/// RP side needs to talk to them.
pub struct Target {
    /// Where each instance listens.
    pub addrs: Vec<SocketAddr>,
    /// Their process ids, to read memory and CPU from /proc.
    pub pids: Vec<String>,
    /// TLS client settings; none for plain HTTP.
    pub tls: Option<Tls>,
    /// The API key of the tenant the load runs as.
    pub api_key: String,
    /// The relays' public origin that signed requests cover.
    pub origin: String,
    /// The token that opens the relays' `/metrics` on their main listener.
    pub metrics_token: Option<String>,
    /// Whether they run on PostgreSQL (whose CPU is then reported).
    pub postgres: bool,
    next_lane: AtomicUsize,
    /// The relays this tool started, if it did; killed when the target drops.
    _fleet: Option<relay::Fleet>,
}

impl Target {
    /// The relay at `--addr` if given, else `--instances` relay binaries started
    /// with `relay_args` (plain HTTP, or HTTPS with their development CA with
    /// `--tls`) on `--database-url`, a throwaway PostgreSQL (`--postgres`) or a
    /// fresh SQLite file.
    pub async fn reach(args: &Args, relay_args: &[String]) -> Result<Self, Error> {
        match args.addr {
            Some(addr) => {
                let api_key = args.api_key.clone().ok_or("--addr needs --api-key")?;
                let origin = args.origin.clone().unwrap_or(format!("https://{addr}"));
                let tls = match &args.ca {
                    Some(ca) => Some(Tls::new(ca, &addr.ip().to_string())?),
                    None if args.tls => return Err("--tls with --addr needs --ca".into()),
                    None => None,
                };
                Ok(Self {
                    addrs: vec![addr],
                    pids: args.relay_pid.map(|p| p.to_string()).into_iter().collect(),
                    tls,
                    api_key,
                    origin,
                    metrics_token: args.metrics_token.clone(),
                    postgres: false,
                    next_lane: AtomicUsize::new(0),
                    _fleet: None,
                })
            }
            None => {
                let bin = args
                    .relay_bin
                    .clone()
                    .unwrap_or_else(relay::default_relay_bin);
                let database = match (&args.database_url, args.postgres) {
                    (Some(_), true) => {
                        return Err("--database-url and --postgres do not go together".into())
                    }
                    (Some(url), false) => Database::Url(url.clone()),
                    (None, true) => Database::ThrowawayPostgres,
                    (None, false) => Database::FreshSqlite,
                };
                let fleet =
                    relay::Fleet::start(&bin, relay_args, args.tls, database, args.instances)
                        .await?;
                for spawned in &fleet.instances {
                    println!(
                        "relay: {} (pid {}) on {} over {}",
                        bin.display(),
                        spawned.pid(),
                        spawned.addr,
                        if args.tls {
                            "HTTPS (development CA)"
                        } else {
                            "plain HTTP"
                        }
                    );
                }
                println!(
                    "database: {}",
                    if fleet.postgres {
                        "PostgreSQL"
                    } else {
                        "SQLite"
                    }
                );
                Ok(Self {
                    addrs: fleet.instances.iter().map(|s| s.addr).collect(),
                    pids: fleet
                        .instances
                        .iter()
                        .map(|s| s.pid().to_string())
                        .collect(),
                    tls: fleet.tls.clone(),
                    api_key: fleet.api_key.clone(),
                    origin: fleet.origin.clone(),
                    metrics_token: fleet.metrics_token.clone(),
                    postgres: fleet.postgres,
                    next_lane: AtomicUsize::new(0),
                    _fleet: Some(fleet),
                })
            }
        }
    }

    /// A fresh pair of connections: the RP to one instance and the phone to
    /// the next (lanes take the instances in turn), so with several instances
    /// every answer wakes its RP through another instance, the harder case.
    pub fn lane(&self) -> Result<Lane, Error> {
        let n = self.addrs.len().max(1);
        let k = self.next_lane.fetch_add(1, Ordering::Relaxed);
        let rp = self.addrs.get(k % n).ok_or("no relay")?;
        let phone = self.addrs.get((k + 1) % n).ok_or("no relay")?;
        Ok(Lane {
            rp: Conn::new(*rp, &rp.to_string(), self.tls.clone())?,
            phone: Conn::new(*phone, &phone.to_string(), self.tls.clone())?,
        })
    }
}
