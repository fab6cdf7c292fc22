//! Helpers shared by the CLI tests: run the built `assent` binary.
#![allow(dead_code)]
// Shared helpers, not #[test] fns: clippy.toml's allow-unwrap-in-tests misses them.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

/// RFC 6238's SHA-1 seed "12345678901234567890" in base32.
pub const RFC_SHA1_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// Runs `assent args…` and returns its output.
pub fn assent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `assent accounts <args…> --home <home>`.
pub fn accounts(home: &Path, args: &[&str]) -> Output {
    let home = home.to_str().unwrap();
    let mut all = vec!["accounts", "--home", home];
    all.extend_from_slice(args);
    assent(&all)
}

/// stdout of a run that must succeed.
pub fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// stderr of a run that must fail with exactly one line and no panic.
pub fn fails(output: Output) -> String {
    assert!(!output.status.success(), "unexpectedly succeeded");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.trim().is_empty());
    stderr
}
