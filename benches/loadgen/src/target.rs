//! The relay under load, started by this tool or already running at
//! `--addr`, and the connection lanes to it.

use std::net::SocketAddr;

use crate::cli::Args;
use crate::flow::Lane;
use crate::http::{Conn, Tls};
use crate::relay;
use crate::Error;

/// The relay under load and what the RP side needs to talk to it.
pub struct Target {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id, to read its memory and CPU from /proc.
    pub pid: Option<String>,
    /// TLS client settings; none for plain HTTP.
    pub tls: Option<Tls>,
    /// The API key of the tenant the load runs as.
    pub api_key: String,
    /// The relay's public origin that signed requests cover.
    pub origin: String,
    /// The token that opens the relay's `/metrics` on its main listener.
    pub metrics_token: Option<String>,
    /// The relay this tool started, if it did; killed when the target drops.
    _spawned: Option<relay::Spawned>,
}

impl Target {
    /// The relay at `--addr` if given, else the relay binary started with
    /// `relay_args` (plain HTTP, or HTTPS with its development CA with
    /// `--tls`).
    pub async fn reach(args: &Args, relay_args: &[String]) -> Result<Self, Error> {
        match args.addr {
            Some(addr) => {
                let api_key = args.api_key.clone().ok_or("--addr needs --api-key")?;
                let origin = args.origin.clone().unwrap_or(format!("https://{addr}"));
                let pid = args.relay_pid.map(|p| p.to_string());
                let tls = match &args.ca {
                    Some(ca) => Some(Tls::new(ca, &addr.ip().to_string())?),
                    None if args.tls => return Err("--tls with --addr needs --ca".into()),
                    None => None,
                };
                Ok(Self {
                    addr,
                    pid,
                    tls,
                    api_key,
                    origin,
                    metrics_token: args.metrics_token.clone(),
                    _spawned: None,
                })
            }
            None => {
                let bin = args
                    .relay_bin
                    .clone()
                    .unwrap_or_else(relay::default_relay_bin);
                let spawned = relay::Spawned::start(&bin, relay_args, args.tls).await?;
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
                Ok(Self {
                    addr: spawned.addr,
                    pid: Some(spawned.pid().to_string()),
                    tls: spawned.tls.clone(),
                    api_key: spawned.api_key.clone(),
                    origin: format!("https://{}", spawned.addr),
                    metrics_token: spawned.metrics_token.clone(),
                    _spawned: Some(spawned),
                })
            }
        }
    }

    /// A fresh pair of connections (RP and phone) to the relay.
    pub fn lane(&self) -> Result<Lane, Error> {
        let host = self.addr.to_string();
        Ok(Lane {
            rp: Conn::new(self.addr, &host, self.tls.clone())?,
            phone: Conn::new(self.addr, &host, self.tls.clone())?,
        })
    }
}
