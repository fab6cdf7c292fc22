//! `assent-loadgen`: drives complete push approvals through an Assent relay
//! over loopback and reports approvals per second and latency percentiles.
//!
//! Each approval is the real exchange with genuine messages: the RP makes a
//! challenge (`Challenge::make`) and posts it; the phone fetches it by push
//! id with a signed request, opens it, signs an `Answer` and posts it
//! (signed); the RP reads the signed answer and verifies it
//! (`verify_answer`). Setup enrolls the simulated phones through the real
//! API (announce, register, verify, deliver, open).
//!
//! Closed loop: `--concurrency` flows, each running approvals back to back
//! (maximum throughput). Open loop: approvals start on a fixed schedule
//! (`--rate` per second) whatever the relay's speed, and latency counts from
//! the scheduled start, so a stall is not hidden (no coordinated omission).
//!
//! `--push`: mock APNs and mock FCM run in this process and the relay is
//! started with `--apns-*`/`--fcm-*` flags pointing at them. Twice the
//! phones are enrolled: poll-only ones (push off) and ones with push tokens
//! (half iOS, half Android; push on). Each phase runs first with the
//! poll-only phones, then with the push phones, on the same relay, and the
//! push phases also report the pushes the mocks received. The phone still
//! learns the push id from the RP, not from the mock (the mocks' recording
//! API copies every request so far on each read, too slow per approval), so
//! push delivery is measured beside the approval flow, not inside it.

mod cli;
mod enroll;
mod flow;
mod hist;
mod http;
mod loops;
mod phase;
mod push;
mod relay;
mod report;
mod run;
mod target;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::Args;

/// Any failure; the tool prints it and exits non-zero.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = match builder.build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("assent-loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assent-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}
