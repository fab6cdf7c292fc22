//! The command line: which relay to drive, how many phones, which load
//! phases, and for how long.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Which load phases to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Maximum throughput with `--concurrency` flows.
    Closed,
    /// Fixed rate (`--rate`), latency percentiles.
    Open,
    /// Closed loop, then open loop at `--rate` or half the closed-loop rate.
    Both,
}

/// Load generator for the Assent relay: complete approvals (RP creates a
/// challenge, the phone fetches and answers it, the RP reads and verifies
/// the signed answer) with many simulated phones over loopback.
///
/// By default it starts the relay binary found next to itself (build it with
/// `cargo build --release -p assent-relay`) on a free loopback port with a
/// fresh SQLite database, creates a tenant and an API key with
/// `assent-relay admin`, and reports the relay's peak memory (VmHWM) and the
/// CPU both processes used.
#[derive(Debug, Parser)]
#[command(name = "assent-loadgen", version)]
pub struct Args {
    /// The relay binary to start [default: assent-relay next to this binary].
    #[arg(long)]
    pub relay_bin: Option<PathBuf>,
    /// An extra argument for the started relay (repeatable), e.g.
    /// `--relay-arg=--db-max-connections=4`.
    #[arg(long = "relay-arg", allow_hyphen_values = true)]
    pub relay_args: Vec<String>,
    /// The started relays' database: a `postgres://` URL (migrated at start;
    /// the load runs as a new tenant of its own) [default: a fresh SQLite
    /// file].
    #[arg(long, env = "ASSENT_LOADGEN_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Start a throwaway PostgreSQL server for the run (Debian's postgresql
    /// binaries; initdb in a temporary directory, a free loopback port, fsync
    /// off) and use it.
    #[arg(long)]
    pub postgres: bool,
    /// Relay instances to start on the database (more than one needs
    /// PostgreSQL). Lanes take them in turn, the RP of a lane on one instance
    /// and its phone on the next.
    #[arg(long, default_value_t = 1)]
    pub instances: usize,
    /// Drive a relay that is already running at this address instead
    /// (needs --api-key; --origin defaults to https://ADDR).
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// API key for --addr.
    #[arg(long, env = "ASSENT_LOADGEN_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The relay's public origin that signed requests cover (with --addr).
    #[arg(long)]
    pub origin: Option<String>,
    /// The `--metrics-token` of the relay at --addr, to read its push counters.
    #[arg(long, env = "ASSENT_LOADGEN_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Speak HTTPS: to the started relay with its zero-config development
    /// CA, or (with --addr) trusting --ca. Without it the started relay
    /// serves plain HTTP, as behind a TLS-terminating proxy.
    #[arg(long)]
    pub tls: bool,
    /// CA certificate (PEM) to trust for --addr over HTTPS.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Process id of the relay at --addr, to report its memory and CPU.
    #[arg(long)]
    pub relay_pid: Option<u32>,
    /// Simulated phones to enroll.
    #[arg(long, default_value_t = 1000)]
    pub phones: usize,
    /// Concurrent flows in the closed loop (and lanes used for enrollment).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Connection lanes for the open loop (an approval waits for a free lane;
    /// that wait counts in its latency).
    #[arg(long, default_value_t = 256)]
    pub lanes: usize,
    /// Phases to run.
    #[arg(long, value_enum, default_value = "both")]
    pub mode: Mode,
    /// Open-loop rate, approvals per second [default with --mode both: half
    /// the closed-loop rate; with --push, half the lower of the two].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Measured seconds per phase.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Warm-up seconds before each measured phase (not counted).
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// The RP long-polls the answer (`?wait=10`) while the phone works,
    /// instead of reading it once the phone has answered.
    #[arg(long)]
    pub long_poll: bool,
    /// Tokio worker threads of the generator [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Push on: start mock APNs and FCM in this process, start the relay
    /// with them, and run every phase with poll-only phones and then with
    /// push phones (half iOS, half Android), reporting both and the pushes
    /// the mocks received.
    #[arg(long)]
    pub push: bool,
}
