//! The log scan is not vacuous: a secret logged anywhere, raw or encoded, fails it.
//! (Alone in its test binary: the leak it makes would fail every later scan here.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assent_tests::log_scan;

#[test]
fn a_secret_in_any_log_line_fails_the_scan() {
    log_scan::install();
    log_scan::register("API key", "ask_0123456789abcdef_deadbeefcafef00d");
    log_scan::register_bytes("channel key", &[0xA5; 32]);
    log_scan::assert_clean();

    tracing::trace!(target: "some_dependency", "frame 1700000000 ok");
    log_scan::assert_clean();

    // Base64url of the channel key, at TRACE, from a crate of any name.
    tracing::trace!(target: "some_dependency", key = "paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU", "sealing");
    let caught = std::panic::catch_unwind(log_scan::assert_clean);
    let message = caught.expect_err("the scan must fail");
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("channel key"), "{text}");
    assert_eq!(log_scan::lines_containing("sealing"), 1);
}
