//! `/etc/assent/pam.toml` (or `config=/path` in the PAM line): read once per login, checked
//! strictly (unknown keys are errors, so a typo never silently weakens the setup).
//!
//! ```toml
//! relay_url = "https://relay.example.com"
//! relay_ca = "/etc/assent/relay-ca.pem"     # optional: a private CA for the relay's TLS
//! api_key_file = "/etc/assent/api-key"      # owned by root, mode 0600 (else refused)
//! store = "/var/lib/assent/pam.sqlite"      # the RP store (created 0600)
//! rp_id = "ssh.example.com"                 # the RP id phones pin
//! issuer = "SSH at example.com"             # optional: the name the phone shows
//! users = ["alice", "bob"]                  # optional: who must approve …
//! groups = ["sudo"]                         # … optional; neither given: every user
//! fail_mode = "closed"                      # or "open": see FailMode
//! timeout = 60                              # seconds to wait for the phone (1–600)
//! kind = "number"                           # or "code": what the user types on the phone
//! ```

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use assent_protocol::{ApprovalKind, RelayUrl, RpId};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Where the configuration is when the PAM line names none.
pub const DEFAULT_PATH: &str = "/etc/assent/pam.toml";
/// Default wait for the phone, seconds.
pub const DEFAULT_TIMEOUT: u64 = 60;
/// Longest wait for the phone, seconds.
pub const MAX_TIMEOUT: u64 = 600;

/// What to do when the relay cannot be reached (network, TLS, timeout): the phone cannot be
/// asked, but TOTP and backup codes are checked locally and work in both modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// The login needs a TOTP or backup code (the default).
    #[default]
    Closed,
    /// An empty answer lets the login through without a second factor (logged as a
    /// warning); a typed code is still checked, and a wrong one still fails.
    Open,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    relay_url: String,
    relay_ca: Option<PathBuf>,
    api_key_file: PathBuf,
    store: PathBuf,
    rp_id: String,
    issuer: Option<String>,
    users: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    #[serde(default)]
    fail_mode: FailMode,
    timeout: Option<u64>,
    kind: Option<String>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// The relay's canonical HTTPS URL.
    pub relay_url: RelayUrl,
    /// Extra CA certificate (PEM) for the relay's TLS.
    pub relay_ca: Option<PathBuf>,
    /// The tenant's API key file.
    pub api_key_file: PathBuf,
    /// The RP store (SQLite).
    pub store: PathBuf,
    /// The RP id.
    pub rp_id: RpId,
    /// The name the phone shows for this RP.
    pub issuer: String,
    /// Users who must approve (with `groups`); both empty: everyone.
    pub users: Vec<String>,
    /// Groups whose members must approve.
    pub groups: Vec<String>,
    /// Relay unreachable: closed or open.
    pub fail_mode: FailMode,
    /// Seconds to wait for the phone; also the challenge's lifetime.
    pub timeout: u64,
    /// The approval kind for new enrollments and challenges (`number` or `code`).
    pub kind: ApprovalKind,
}

impl Config {
    /// Reads and checks the file at `path`. It must be owned by root (or the user running
    /// the command) and not writable by group or others.
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Config {
            path: path.to_owned(),
            reason,
        };
        let meta = fs::metadata(path).map_err(|e| bad(e.to_string()))?;
        if meta.mode() & 0o022 != 0 || (meta.uid() != 0 && meta.uid() != effective_uid()) {
            return Err(bad(
                "must be owned by root and not writable by group or others".into(),
            ));
        }
        let text = fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        Self::parse(path, &text)
    }

    /// Parses `text` (the contents of `path`).
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let bad = |reason: String| Error::Config {
            path: path.to_owned(),
            reason,
        };
        let file: File = toml::from_str(text).map_err(|e| bad(e.message().to_owned()))?;
        let relay_url =
            RelayUrl::parse(&file.relay_url).map_err(|e| bad(format!("relay_url: {e}")))?;
        let rp_id = RpId::parse(&file.rp_id).map_err(|e| bad(format!("rp_id: {e}")))?;
        let timeout = file.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if !(1..=MAX_TIMEOUT).contains(&timeout) {
            return Err(bad(format!("timeout must be 1 to {MAX_TIMEOUT} seconds")));
        }
        let kind = match file.kind.as_deref().unwrap_or("number") {
            "number" => ApprovalKind::Number,
            "code" => ApprovalKind::Code,
            other => {
                return Err(bad(format!(
                    "kind must be \"number\" or \"code\", not {other:?}"
                )))
            }
        };
        let issuer = file
            .issuer
            .filter(|i| !i.trim().is_empty())
            .unwrap_or_else(|| format!("SSH/sudo on {}", hostname()));
        Ok(Self {
            path: path.to_owned(),
            relay_url,
            relay_ca: file.relay_ca,
            api_key_file: file.api_key_file,
            store: file.store,
            rp_id,
            issuer,
            users: file.users.unwrap_or_default(),
            groups: file.groups.unwrap_or_default(),
            fail_mode: file.fail_mode,
            timeout,
            kind,
        })
    }

    /// Whether `user` must approve; `in_group(user, group)` answers group membership.
    pub fn applies_to(&self, user: &str, in_group: impl Fn(&str, &str) -> bool) -> bool {
        if self.users.is_empty() && self.groups.is_empty() {
            return true;
        }
        self.users.iter().any(|u| u == user) || self.groups.iter().any(|g| in_group(user, g))
    }

    /// The API key, after checking that only root can read its file.
    pub fn api_key(&self) -> Result<Zeroizing<String>> {
        read_api_key(&self.api_key_file)
    }
}

/// Reads an API key file that must be owned by root (or the running user) with no access
/// for group or others.
pub fn read_api_key(path: &Path) -> Result<Zeroizing<String>> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let meta = fs::metadata(path).map_err(io)?;
    if meta.mode() & 0o077 != 0 || (meta.uid() != 0 && meta.uid() != effective_uid()) {
        return Err(Error::KeyFileExposed(path.to_owned()));
    }
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io)?);
    Ok(Zeroizing::new(text.trim().to_owned()))
}

/// This machine's host name (`/proc/sys/kernel/hostname`), for the phone's prompt.
pub fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The effective user id, from `/proc/self/status` (`u32::MAX` if unknown, which matches
/// no file owner).
pub fn effective_uid() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|u| u.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    const MINIMAL: &str = r#"
        relay_url = "https://relay.example.com"
        api_key_file = "/etc/assent/api-key"
        store = "/var/lib/assent/pam.sqlite"
        rp_id = "ssh.example.com"
    "#;

    #[test]
    fn a_minimal_file_gets_the_safe_defaults() {
        let c = Config::parse(Path::new("t"), MINIMAL).unwrap();
        assert_eq!(c.fail_mode, FailMode::Closed);
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert_eq!(c.kind, ApprovalKind::Number);
        assert!(c.applies_to("anyone", |_, _| false));
    }

    #[test]
    fn users_and_groups_limit_who_must_approve() {
        let text = format!("{MINIMAL}\nusers = [\"alice\"]\ngroups = [\"sudo\"]\n");
        let c = Config::parse(Path::new("t"), &text).unwrap();
        assert!(c.applies_to("alice", |_, _| false));
        assert!(!c.applies_to("bob", |_, _| false));
        assert!(c.applies_to("bob", |u, g| u == "bob" && g == "sudo"));
    }

    #[test]
    fn bad_values_and_unknown_keys_are_refused() {
        for extra in [
            "timeout = 0",
            "timeout = 601",
            "kind = \"simple\"",
            "fail_mode = \"maybe\"",
            "fail_open = true",
        ] {
            let text = format!("{MINIMAL}\n{extra}\n");
            assert!(Config::parse(Path::new("t"), &text).is_err(), "{extra}");
        }
        let http = MINIMAL.replace("https://relay", "http://relay");
        assert!(Config::parse(Path::new("t"), &http).is_err());
        let open = format!("{MINIMAL}\nfail_mode = \"open\"\n");
        assert_eq!(
            Config::parse(Path::new("t"), &open).unwrap().fail_mode,
            FailMode::Open
        );
    }

    #[test]
    fn an_api_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        fs::write(&path, "ask_test\n").unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            assert!(
                matches!(read_api_key(&path), Err(Error::KeyFileExposed(_))),
                "mode {mode:o}"
            );
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_api_key(&path).unwrap().as_str(), "ask_test");
    }

    #[test]
    fn a_config_file_others_can_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pam.toml");
        fs::write(&path, MINIMAL).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(Config::load(&path).is_err());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(Config::load(&path).is_ok());
    }
}
