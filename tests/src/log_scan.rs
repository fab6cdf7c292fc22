//! Secrets never reach the logs (issue 13). A test binary that builds a [`World`], a
//! [`HookedRelay`] or a [`RealRelay`] captures every log line of every crate at TRACE
//! level ([`install`]); the harness registers each secret it hands out or sees (API
//! keys, TOTP secrets and codes, backup codes, application passwords, session handles,
//! push tokens, channel keys: [`register`]), and [`assert_clean`] fails when any of them
//! appears in a captured line, raw or encoded (hex, base64, base64url, base32, a byte
//! list). Worlds and relays check when they are dropped, so every test of the suite is
//! scanned.
//!
//! [`World`]: crate::World
//! [`HookedRelay`]: crate::HookedRelay
//! [`RealRelay`]: crate::real_relay::RealRelay

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// The shortest secret form searched for (shorter ones would match by chance).
const MIN_LEN: usize = 6;

#[derive(Default)]
struct Scan {
    /// Every captured line.
    lines: Vec<String>,
    /// (what, form) of every registered secret.
    secrets: Vec<(String, String)>,
    /// Lines already scanned for every secret registered before `secrets_scanned`.
    lines_scanned: usize,
    secrets_scanned: usize,
    /// Partial line not yet ended by a newline.
    partial: Vec<u8>,
}

fn scan() -> MutexGuard<'static, Scan> {
    static SCAN: OnceLock<Mutex<Scan>> = OnceLock::new();
    let mutex = SCAN.get_or_init(|| Mutex::new(Scan::default()));
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A writer into the capture.
#[derive(Clone, Copy)]
struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut scan = scan();
        scan.partial.extend_from_slice(buf);
        while let Some(end) = scan.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = scan.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            scan.lines.push(text);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every log line of this process at TRACE level (once; later calls do
/// nothing). Panics if another global subscriber was installed first, since the scan
/// would then see nothing.
pub fn install() {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let installed = *INSTALLED.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_ansi(false)
            .with_writer(|| Capture)
            .try_init()
            .is_ok()
    });
    assert!(installed, "another tracing subscriber was installed first");
}

/// How many captured lines contain `text`.
pub fn lines_containing(text: &str) -> usize {
    scan().lines.iter().filter(|l| l.contains(text)).count()
}

/// Registers a text secret (`what` names it in a failure).
pub fn register(what: &str, secret: &str) {
    let mut forms = vec![secret.to_owned()];
    let compact: String = secret.chars().filter(|c| *c != '-' && *c != ' ').collect();
    forms.push(compact);
    push_forms(what, forms);
}

/// Registers a binary secret in every encoding it could be logged in.
pub fn register_bytes(what: &str, secret: &[u8]) {
    let list: Vec<String> = secret.iter().take(8).map(u8::to_string).collect();
    let forms = vec![
        hex::encode(secret),
        hex::encode_upper(secret),
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        data_encoding::BASE32_NOPAD.encode(secret),
        format!("[{}", list.join(", ")),
    ];
    push_forms(what, forms);
}

fn push_forms(what: &str, forms: Vec<String>) {
    let mut scan = scan();
    for form in forms {
        if form.len() >= MIN_LEN && !scan.secrets.iter().any(|(_, f)| *f == form) {
            scan.secrets.push((what.to_owned(), form));
        }
    }
}

/// Whether `form` occurs in `line` as a token of its own (not inside a longer run of
/// letters and digits, so that a 6-digit code does not match inside a timestamp).
fn occurs(line: &str, form: &str) -> bool {
    let bytes = line.as_bytes();
    line.match_indices(form).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + form.len()).copied();
        let joined = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
        !joined(before) && !joined(after)
    })
}

/// Fails if a registered secret appears in a captured line. Scans only what is new
/// since the last call: new lines for every secret, and every line for new secrets.
pub fn assert_clean() {
    let mut scan = scan();
    let mut found = Vec::new();
    let (lines_done, secrets_done) = (scan.lines_scanned, scan.secrets_scanned);
    for (n, line) in scan.lines.iter().enumerate() {
        let secrets = if n < lines_done {
            &scan.secrets[secrets_done..]
        } else {
            &scan.secrets[..]
        };
        for (what, form) in secrets {
            if occurs(line, form) {
                found.push(format!("{what} in: {line}"));
            }
        }
    }
    scan.lines_scanned = scan.lines.len();
    scan.secrets_scanned = scan.secrets.len();
    drop(scan);
    assert!(
        found.is_empty(),
        "secrets in the logs:\n{}",
        found.join("\n")
    );
}

/// Checks when dropped (unless the thread is already panicking).
#[derive(Debug, Default)]
pub struct CheckOnDrop;

impl Drop for CheckOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_clean();
        }
    }
}

/// A shared guard, for harness types that are cloned.
pub fn guard() -> Arc<CheckOnDrop> {
    install();
    Arc::new(CheckOnDrop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_whole() {
        assert!(occurs("code=123456 ok", "123456"));
        assert!(occurs("\"123456\"", "123456"));
        assert!(!occurs("t=1234567", "123456"));
        assert!(!occurs("1700123456", "123456"));
        assert!(occurs("key ask_ab_cd.", "ask_ab_cd"));
    }
}
