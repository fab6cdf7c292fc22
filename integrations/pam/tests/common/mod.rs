//! The harness of the PAM tests: a real relay on loopback TLS (the workspace's
//! [`RealRelay`]), a simulated phone ([`RealPhone`], the mobile core's push client), the
//! built module and admin command, PAM service files in /etc/pam.d, and child processes
//! (pamtester, sshd, ssh) whose output is collected as it comes.
//!
//! These tests need root (they write /etc/pam.d, and the module, like sshd, refuses key
//! files others can read): run as anyone else they fail at once, saying so.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assent_core::{AccountId, ChallengeView};
use assent_protocol::Decision;
use assent_tests::real_relay::{wall_now, RealPhone, RealRelay};
use rand_core::TryRngCore as _;

/// Fails the test unless it runs as root.
pub fn require_root() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_owned();
    assert_eq!(
        euid, "0",
        "the PAM tests must run as root (they write /etc/pam.d/assent-test-* and run \
         pamtester and sshd); run `sudo -E cargo test -p assent-pam` or the CI script as root"
    );
}

/// A short random lowercase suffix for names (services, users).
pub fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    rand_core::OsRng.try_fill_bytes(&mut bytes).unwrap();
    bytes.iter().map(|b| char::from(b'a' + b % 26)).collect()
}

/// The built module: `<target>/<profile>/deps/libpam_assent.so`, which cargo builds with the
/// rlib the test links (the copy in `<target>/<profile>/` is refreshed only by `cargo
/// build`, so it may be stale).
pub fn module_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let module = exe.parent().unwrap().join("libpam_assent.so");
    assert!(
        module.exists(),
        "libpam_assent.so not found next to {}",
        exe.display()
    );
    module
}

/// The admin command.
pub fn admin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_assent-pam-admin"))
}

/// Keeps the relay's test clock on the wall clock (the module runs on the system clock).
pub fn sync_clock(relay: &RealRelay) -> tokio::task::JoinHandle<()> {
    let clock = relay.clock.clone();
    tokio::spawn(async move {
        loop {
            let now = wall_now();
            let at = clock.now();
            if now > at {
                clock.advance(now - at);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// A relay, a tenant, and a directory of configurations for the module.
pub struct Fixture {
    pub relay: RealRelay,
    pub dir: tempfile::TempDir,
    pub key_file: PathBuf,
    pub store: PathBuf,
    _sync: AbortOnDrop,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Fixture {
    pub async fn start() -> Self {
        require_root();
        let relay = RealRelay::start().await;
        let sync = AbortOnDrop(sync_clock(&relay));
        let key = relay.tenant("pam.example.com").await;
        let dir = tempfile::tempdir().unwrap();
        // sshd reads authorized keys as the user: the directory may be entered by all.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let key_file = dir.path().join("api-key");
        std::fs::write(&key_file, format!("{key}\n")).unwrap();
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let store = dir.path().join("rp.sqlite");
        Self {
            relay,
            dir,
            key_file,
            store,
            _sync: sync,
        }
    }

    /// Writes configuration `name` (with `extra` TOML lines) pointing at the relay.
    pub fn config(&self, name: &str, extra: &str) -> PathBuf {
        self.config_for(name, self.relay.origin.as_str(), extra)
    }

    /// Writes configuration `name` for the relay at `url`.
    pub fn config_for(&self, name: &str, url: &str, extra: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.toml"));
        let text = format!(
            "relay_url = \"{url}\"\nrelay_ca = \"{}\"\napi_key_file = \"{}\"\nstore = \"{}\"\n\
             rp_id = \"example.com\"\nissuer = \"PAM test\"\n{extra}\n",
            self.relay.ca_path().display(),
            self.key_file.display(),
            self.store.display(),
        );
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// A phone trusting the relay's CA.
    pub fn phone(&self, seed: u64) -> RealPhone {
        RealPhone::new(
            self.relay.ca.ca_pem(),
            self.relay.clock.clone(),
            seed,
            "Test phone",
        )
    }

    /// Enrolls `phone` for `user` with `assent-pam-admin enroll` on `config`: the phone
    /// takes the printed offer URI, the command gets the activation code on its stdin.
    /// Returns the phone's account id and the backup codes the command printed.
    pub async fn enroll(
        &self,
        config: &Path,
        user: &str,
        phone: &mut RealPhone,
    ) -> (AccountId, Vec<String>) {
        self.enroll_proven(config, user, phone, None).await
    }

    /// [`Fixture::enroll`] for a user who has a second factor already: `proof` (a current
    /// TOTP code or a backup code) is typed first, when the command asks for it.
    pub async fn enroll_proven(
        &self,
        config: &Path,
        user: &str,
        phone: &mut RealPhone,
        proof: Option<&str>,
    ) -> (AccountId, Vec<String>) {
        let mut admin = Proc::spawn(
            Command::new(admin_path())
                .arg("--config")
                .arg(config)
                .args(["enroll", user]),
            None,
        );
        if let Some(proof) = proof {
            admin
                .wait_for(Duration::from_secs(30), |o| {
                    o.contains("already has a second factor").then_some(())
                })
                .await;
            admin.write_stdin(&format!("{proof}\n"));
        }
        let out = admin
            .wait_for(Duration::from_secs(30), |o| {
                o.lines()
                    .find(|l| l.starts_with("assent://enroll?"))
                    .map(str::to_owned)
            })
            .await;
        let pending = phone.client.enroll_uri(out.trim()).await.unwrap();
        let start = Instant::now();
        let id = loop {
            if let Some(id) = phone.client.finish_enrollment(&pending).await.unwrap() {
                break id;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no enrollment answer"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        admin
            .wait_for(Duration::from_secs(30), |o| {
                o.contains("activation code shown on the phone")
                    .then_some(())
            })
            .await;
        let code = phone.client.activation_code(&id).unwrap().code.to_string();
        admin.write_stdin(&format!("{code}\n"));
        let (ok, out) = admin.finish(Duration::from_secs(30)).await;
        assert!(ok, "assent-pam-admin enroll failed: {out}");
        assert!(out.contains("activated"), "{out}");
        if proof.is_some() {
            // The account had backup codes: no new set.
            return (id, Vec::new());
        }
        let codes: Vec<String> = out
            .lines()
            .skip_while(|l| !l.starts_with("backup codes for"))
            .skip(1)
            .map(|l| l.trim().to_owned())
            .filter(|l| l.len() == 11 && l.as_bytes()[5] == b'-')
            .collect();
        assert_eq!(codes.len(), 10, "{out}");
        (id, codes)
    }

    /// The TOTP code of `user`'s secret (from the RP store) for the time step after the
    /// current one: accepted (window ±1 step) and later than any step used so far.
    pub async fn next_totp(&self, user: &str) -> String {
        self.next_totp_unchecked(user).await.expect("a TOTP secret")
    }

    /// The same, `None` if the user has no TOTP secret.
    pub async fn next_totp_unchecked(&self, user: &str) -> Option<String> {
        use assent_rp::RpStore as _;
        let store = assent_rp::SqliteStore::open(&self.store).await.unwrap();
        let record = store.totp(user).await.unwrap()?;
        let totp = record.params.totp(record.secret.clone()).unwrap();
        Some(totp.code_for_step(totp.step_at(wall_now()) + 1).to_string())
    }
}

/// A PAM service file /etc/pam.d/assent-test-<random>, removed when dropped.
pub struct PamService {
    pub name: String,
    path: PathBuf,
}

impl PamService {
    /// `auth required <module> config=<config>` then `extra` lines, and an account stack
    /// that permits (the test users have no passwords).
    pub fn new(config: &Path, extra: &str) -> Self {
        Self::named(&format!("assent-test-{}", random_suffix()), config, extra)
    }

    /// The same under a chosen name.
    pub fn named(name: &str, config: &Path, extra: &str) -> Self {
        let path = PathBuf::from("/etc/pam.d").join(name);
        assert!(!path.exists(), "{} exists already", path.display());
        let text = format!(
            "# written by the assent-pam tests; removed when they end\n\
             auth required {} config={}\n{extra}\
             account required pam_permit.so\nsession required pam_permit.so\n",
            module_path().display(),
            config.display()
        );
        std::fs::write(&path, text).unwrap();
        Self {
            name: name.to_owned(),
            path,
        }
    }
}

impl Drop for PamService {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A child process with piped stdio whose stdout and stderr are collected together.
pub struct Proc {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Proc {
    /// Spawns `command`; writes `input` to its stdin and closes it if given (else stdin
    /// stays open for [`Proc::write_stdin`]).
    pub fn spawn(command: &mut Command, input: Option<&str>) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for mut stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    output
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let mut proc = Self { child, output };
        if let Some(input) = input {
            proc.write_stdin(input);
            drop(proc.child.stdin.take());
        }
        proc
    }

    pub fn write_stdin(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// The output so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits until `check` finds something in the output.
    pub async fn wait_for<T>(&mut self, limit: Duration, check: impl Fn(&str) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(found) = check(&self.output()) {
                return found;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the readers drain.
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Some(found) = check(&self.output()) {
                    return found;
                }
                panic!("exited ({status}) first; output:\n{}", self.output());
            }
            assert!(
                start.elapsed() < limit,
                "gave up after {limit:?}; output:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the exit (killing it after `limit`): success, and the whole output.
    pub async fn finish(mut self, limit: Duration) -> (bool, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("still running after {limit:?}; output:\n{}", self.output());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        (status.success(), self.output())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The number the module asked the user to type on the phone ("type 42 there").
pub fn shown_number(output: &str) -> Option<String> {
    let rest = output.split("(type ").nth(1)?;
    let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!number.is_empty() && rest[number.len()..].starts_with(" there")).then_some(number)
}

/// Waits for the phone to show a pending challenge not in `seen` (and adds it).
pub async fn pending_on(phone: &mut RealPhone, seen: &mut HashSet<String>) -> ChallengeView {
    let start = Instant::now();
    loop {
        let polled = phone.client.pending().await.unwrap();
        assert!(polled.refused.is_empty(), "refused: {:?}", polled.refused);
        if let Some(view) = polled
            .shown
            .into_iter()
            .find(|v| !seen.contains(&v.challenge_id.to_string()))
        {
            seen.insert(view.challenge_id.to_string());
            return view;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no challenge reached the phone"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The phone answers `view` with `decision` and `entered`.
pub async fn answer(
    phone: &mut RealPhone,
    view: &ChallengeView,
    decision: Decision,
    entered: &str,
) {
    phone
        .client
        .answer(view, decision, entered, false)
        .await
        .unwrap();
}

/// A local user for a test (useradd, with a home, in `groups`), removed with its home
/// when dropped.
pub struct LocalUser(pub String);

impl LocalUser {
    pub fn create(name: &str, groups: &[&str]) -> Self {
        let mut command = Command::new("useradd");
        command.args(["--create-home", "--shell", "/bin/sh"]);
        if !groups.is_empty() {
            command.arg("--groups").arg(groups.join(","));
        }
        let status = command.arg(name).status().unwrap();
        assert!(status.success(), "useradd {name} failed");
        Self(name.to_owned())
    }
}

impl Drop for LocalUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").args(["--remove", &self.0]).output();
    }
}

/// A local group for a test, removed when dropped (after its members: drop it last).
pub struct LocalGroup(pub String);

impl LocalGroup {
    pub fn create(name: &str) -> Self {
        let status = Command::new("groupadd").arg(name).status().unwrap();
        assert!(status.success(), "groupadd {name} failed");
        Self(name.to_owned())
    }
}

impl Drop for LocalGroup {
    fn drop(&mut self) {
        let _ = Command::new("groupdel").arg(&self.0).output();
    }
}
