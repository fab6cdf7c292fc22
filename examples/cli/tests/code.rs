//! `assent code` against RFC 6238 / RFC 4226 values.

mod common;

use common::{assent, fails, ok, RFC_SHA1_B32};

fn rfc_uri() -> String {
    format!("otpauth://totp/RFC:test?secret={RFC_SHA1_B32}&digits=8")
}

#[test]
fn totp_at_rfc_times() {
    let uri = rfc_uri();
    assert_eq!(ok(assent(&["code", &uri, "--at", "59"])), "94287082\n");
    assert_eq!(
        ok(assent(&["code", &uri, "--at", "1111111109"])),
        "07081804\n"
    );
    assert_eq!(
        ok(assent(&["code", &uri, "--at", "20000000000"])),
        "65353130\n"
    );
}

#[test]
fn window_prints_current_and_following_steps() {
    let uri = rfc_uri();
    let out = ok(assent(&[
        "code",
        &uri,
        "--at",
        "1111111079",
        "--window",
        "2",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    // Steps 37037035, 37037036 (t=1111111109 → 07081804), 37037037 (t=1111111111 → 14050471).
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1], "07081804");
    assert_eq!(lines[2], "14050471");
    // --counter is the time step for TOTP.
    let out = ok(assent(&["code", &uri, "--counter", "37037036", "-w", "0"]));
    assert_eq!(out, "07081804\n");
}

#[test]
fn hotp_counter_and_window() {
    let uri = format!("otpauth://hotp/RFC:h?secret={RFC_SHA1_B32}&counter=0");
    // RFC 4226 appendix D.
    assert_eq!(ok(assent(&["code", &uri])), "755224\n");
    let out = ok(assent(&["code", &uri, "--counter", "1", "--window", "2"]));
    assert_eq!(out, "287082\n359152\n969429\n");
}

#[test]
fn large_window_line_count() {
    let out = ok(assent(&[
        "code",
        &rfc_uri(),
        "--at",
        "0",
        "--window",
        "5000",
    ]));
    assert_eq!(out.lines().count(), 5001);
    assert!(out.lines().all(|l| l.len() == 8));
}

#[test]
fn bad_input_fails_with_a_message() {
    for uri in [
        "otpauth://bad",
        "http://example.com",
        "",
        "otpauth://totp/x?secret=A",
        "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ&secret=GEZDGNBVGY3TQOJQ",
        "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ&digits=12",
        "otpauth://totp/%ZZ?secret=GEZDGNBVGY3TQOJQ",
    ] {
        let err = fails(assent(&["code", uri]));
        assert!(err.starts_with("assent: "), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("GEZDGNBVGY3TQOJQ"), "secret in error: {err}");
    }
    let hotp = format!("otpauth://hotp/h?secret={RFC_SHA1_B32}&counter=0");
    assert!(fails(assent(&["code", &hotp, "--at", "5"])).contains("--at"));
    fails(assent(&["code", &rfc_uri(), "--at", "5", "--counter", "1"]));
}
