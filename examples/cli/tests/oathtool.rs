//! `assent code --window 200` must print exactly what `oathtool -w 200`
//! prints. Skipped (with a note) when oathtool is not installed.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{assent, ok};

fn oathtool(args: &[&str]) -> Option<String> {
    let output = Command::new("oathtool").args(args).output().ok()?;
    assert!(
        output.status.success(),
        "oathtool {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).unwrap())
}

/// Secrets (base32), including an 80-bit one and RFC 6238's 32/64-byte seeds.
const SECRETS: &[&str] = &[
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    "JBSWY3DPEHPK3PXP",
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA",
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA",
];

/// The comparison needs oathtool: without it the test fails and says how to get it
/// (`.ci/run` and the README's test command install it).
fn require_oathtool() {
    assert!(
        oathtool(&["--version"]).is_some(),
        "oathtool is not installed; install it with `sudo apt-get install oathtool` \
         (bash .ci/run does this) and run the test again"
    );
}

#[test]
fn totp_window_matches_oathtool() {
    require_oathtool();
    let mut compared = 0;
    for (i, secret) in SECRETS.iter().enumerate() {
        for (algorithm, oath_alg) in [("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512")]
        {
            for (digits, period, at) in [
                (6, 30, 59u64),
                (8, 30, 1_111_111_109),
                (7, 60, 2_000_000_000),
            ] {
                let at = at + i as u64 * 7;
                let uri = format!(
                    "otpauth://totp/T:x?secret={secret}&algorithm={algorithm}&digits={digits}&period={period}"
                );
                let ours = ok(assent(&[
                    "code",
                    &uri,
                    "--at",
                    &at.to_string(),
                    "--window",
                    "200",
                ]));
                let theirs = oathtool(&[
                    &format!("--totp={oath_alg}"),
                    "-d",
                    &digits.to_string(),
                    "-s",
                    &format!("{period}s"),
                    "-N",
                    &format!("@{at}"),
                    "-b",
                    "-w",
                    "200",
                    secret,
                ])
                .unwrap();
                assert_eq!(ours.lines().count(), 201);
                assert_eq!(
                    ours, theirs,
                    "{algorithm} {digits} digits {period}s at {at}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, SECRETS.len() * 9);
}

#[test]
fn hotp_window_matches_oathtool() {
    require_oathtool();
    for secret in SECRETS {
        let uri = format!("otpauth://hotp/T:x?secret={secret}&counter=0&digits=8");
        let ours = ok(assent(&[
            "code",
            &uri,
            "--counter",
            "1000",
            "--window",
            "200",
        ]));
        let theirs =
            oathtool(&["--hotp", "-d", "8", "-c", "1000", "-b", "-w", "200", secret]).unwrap();
        assert_eq!(ours, theirs, "hotp {secret}");
    }
}
