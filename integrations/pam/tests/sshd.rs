//! An SSH login on loopback approved by a simulated phone: a real OpenSSH server
//! (`sshd -D -f <temp config>` on a free loopback port, `UsePAM yes`, `AuthenticationMethods
//! publickey,keyboard-interactive`) with pam_assent as its PAM auth stack, a local user made
//! for the test (useradd), and the OpenSSH client logging in non-interactively: its key
//! first, then the keyboard-interactive prompts answered by an `SSH_ASKPASS` script
//! (`SSH_ASKPASS_REQUIRE=force`) that records each prompt and answers from a file (empty:
//! wait for the phone; a code: the TOTP fallback).
//!
//! The PAM service name. OpenSSH before 9.8 has no `PAMServiceName` and names the PAM
//! service after the name it was run by, so the test runs sshd through a symlink called
//! `assent-test-sshd-<random>` and writes /etc/pam.d/assent-test-sshd-<random>; where sshd
//! knows `PAMServiceName`, it passes that instead. /etc/pam.d/sshd is never touched.
//!
//! Needs root (sshd, useradd, /etc/pam.d): see `common::require_root`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use assent_protocol::Decision;
use common::{
    answer, pending_on, random_suffix, shown_number, Fixture, LocalUser, PamService, Proc,
};

const SSHD: &str = "/usr/sbin/sshd";

fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether this sshd knows `PAMServiceName` (OpenSSH 9.8 and later).
fn has_pam_service_name() -> bool {
    Command::new(SSHD)
        .args(["-G", "-f", "/dev/null", "-o", "PAMServiceName=assent-probe"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

struct Sshd {
    proc: Proc,
    port: u16,
    dir: PathBuf,
}

impl Sshd {
    /// Starts sshd for `user` with PAM service `service` in `dir`.
    async fn start(dir: &Path, service: &str, user: &str) -> Self {
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join("host_key")));
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join("client_key")));
        let public = std::fs::read_to_string(dir.join("client_key.pub")).unwrap();
        std::fs::write(dir.join("authorized_keys"), public).unwrap();
        std::fs::set_permissions(
            dir.join("authorized_keys"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        // The privilege separation directory the Debian service would make.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let port = free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
                 UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no\n\
                 PubkeyAuthentication yes\nAuthenticationMethods publickey,keyboard-interactive\n\
                 AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nAllowUsers {user}\n\
                 PrintMotd no\nLogLevel VERBOSE\n",
                d = dir.display()
            ),
        )
        .unwrap();
        let mut command = if has_pam_service_name() {
            let mut c = Command::new(SSHD);
            c.arg("-o").arg(format!("PAMServiceName={service}"));
            c
        } else {
            let link = dir.join(service);
            std::os::unix::fs::symlink(SSHD, &link).unwrap();
            Command::new(link)
        };
        command.args(["-D", "-e", "-f"]).arg(&config);
        let mut proc = Proc::spawn(&mut command, None);
        proc.wait_for(Duration::from_secs(20), |o| {
            o.contains("Server listening on 127.0.0.1").then_some(())
        })
        .await;
        std::fs::write(
            dir.join("askpass.sh"),
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$1\" >> {d}/prompts\ncat {d}/answer\n",
                d = dir.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            dir.join("askpass.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        Self {
            proc,
            port,
            dir: dir.to_owned(),
        }
    }

    /// `ssh user@127.0.0.1 echo assent-ssh-ok` with the key, then the askpass script
    /// answering the keyboard-interactive prompt with `answer`.
    fn login(&self, user: &str, answer: &str) -> Proc {
        std::fs::write(self.dir.join("answer"), answer).unwrap();
        let _ = std::fs::remove_file(self.dir.join("prompts"));
        Proc::spawn(
            Command::new("ssh")
                .args(["-F", "/dev/null", "-p", &self.port.to_string(), "-i"])
                .arg(self.dir.join("client_key"))
                .args([
                    "-o",
                    "IdentitiesOnly=yes",
                    "-o",
                    "StrictHostKeyChecking=no",
                    "-o",
                    "UserKnownHostsFile=/dev/null",
                    "-o",
                    "BatchMode=no",
                    "-o",
                    "NumberOfPasswordPrompts=1",
                    "-o",
                    "LogLevel=ERROR",
                    &format!("{user}@127.0.0.1"),
                    "echo",
                    "assent-ssh-ok",
                ])
                .env("SSH_ASKPASS", self.dir.join("askpass.sh"))
                .env("SSH_ASKPASS_REQUIRE", "force")
                .env("DISPLAY", ":0"),
            Some(""),
        )
    }

    /// The prompts the client was shown so far.
    fn prompts(&self) -> String {
        std::fs::read_to_string(self.dir.join("prompts")).unwrap_or_default()
    }

    /// Waits for the number in the keyboard-interactive prompt.
    async fn number_shown(&self, login: &mut Proc) -> String {
        let start = std::time::Instant::now();
        loop {
            if let Some(n) = shown_number(&self.prompts()) {
                return n;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no number in the prompts {:?}; ssh: {}; sshd: {}",
                self.prompts(),
                login.output(),
                self.proc.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_login_on_loopback_is_approved_denied_or_takes_a_totp_code() {
    let fx = Fixture::start().await;
    assert!(Path::new(SSHD).exists(), "openssh-server is not installed");
    let suffix = random_suffix();
    let user = LocalUser::create(&format!("assent-{suffix}"), &[]);
    let main = fx.config("main", "timeout = 20");
    let mut phone = fx.phone(5);
    fx.enroll(&main, &user.0, &mut phone).await;
    let service = PamService::named(&format!("assent-test-sshd-{suffix}"), &main, "");
    let sshd_dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(sshd_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let sshd = Sshd::start(sshd_dir.path(), &service.name, &user.0).await;
    let mut seen = HashSet::new();

    // Key, then the push: the phone approves with the number the prompt showed.
    let mut login = sshd.login(&user.0, "");
    let number = sshd.number_shown(&mut login).await;
    let view = pending_on(&mut phone, &mut seen).await;
    assert!(
        view.client.contains(&service.name) && view.client.contains(&user.0),
        "{:?}",
        view.client
    );
    assert_eq!(view.ip.to_string(), "127.0.0.1");
    answer(&mut phone, &view, Decision::Approve, &number).await;
    let (ok, out) = login.finish(Duration::from_secs(40)).await;
    assert!(
        ok && out.contains("assent-ssh-ok"),
        "ssh: {out}\nsshd: {}",
        sshd.proc.output()
    );

    // Denied on the phone: no login.
    let mut login = sshd.login(&user.0, "");
    sshd.number_shown(&mut login).await;
    let view = pending_on(&mut phone, &mut seen).await;
    answer(&mut phone, &view, Decision::Deny, "").await;
    let (ok, out) = login.finish(Duration::from_secs(40)).await;
    assert!(!ok && !out.contains("assent-ssh-ok"), "ssh: {out}");

    // The TOTP fallback, typed at the same prompt.
    for view in phone.client.pending().await.unwrap().shown {
        seen.insert(view.challenge_id.to_string());
    }
    let code = fx.next_totp(&user.0).await;
    let login = sshd.login(&user.0, &code);
    let (ok, out) = login.finish(Duration::from_secs(40)).await;
    assert!(
        ok && out.contains("assent-ssh-ok"),
        "ssh: {out}\nsshd: {}",
        sshd.proc.output()
    );
    assert!(
        shown_number(&sshd.prompts()).is_some(),
        "{}",
        sshd.prompts()
    );
}
