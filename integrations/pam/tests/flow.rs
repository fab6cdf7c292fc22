//! The login flow in process (`pam_assent::authenticate::authenticate`, as the module runs
//! it, with a scripted conversation) against the real relay and a simulated phone: what a
//! local service such as sudo sends to the phone, and that the module's log lines (what
//! goes to syslog) hold no secret: not the number shown, not a typed TOTP or backup code,
//! not the API key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashSet, VecDeque};
use std::sync::mpsc;
use std::time::Duration;

use assent_protocol::Decision;
use common::{answer, pending_on, shown_number, Fixture};
use pam_assent::authenticate::{authenticate, Login, Verdict};
use pam_assent::config::Config;
use pam_assent::Conversation;
use zeroize::Zeroizing;

/// Answers prompts from a script, reporting each message.
struct Scripted {
    answers: VecDeque<String>,
    messages: mpsc::Sender<String>,
}

impl Conversation for Scripted {
    fn info(&mut self, text: &str) -> pam_assent::Result<()> {
        let _ = self.messages.send(text.to_owned());
        Ok(())
    }
    fn error(&mut self, text: &str) -> pam_assent::Result<()> {
        let _ = self.messages.send(text.to_owned());
        Ok(())
    }
    fn prompt(&mut self, text: &str) -> pam_assent::Result<Zeroizing<String>> {
        let _ = self.messages.send(text.to_owned());
        Ok(Zeroizing::new(self.answers.pop_front().unwrap_or_default()))
    }
}

/// Runs one login of `user` on its own thread and runtime (as in sudo); returns the
/// messages channel and the handle giving the verdict and the log lines.
fn login(
    config: &std::path::Path,
    user: &str,
    typed: &str,
) -> (
    mpsc::Receiver<String>,
    std::thread::JoinHandle<(Verdict, Vec<String>)>,
) {
    let (tx, rx) = mpsc::channel();
    let config = Config::load(config).unwrap();
    let login = Login {
        user: user.to_owned(),
        service: "sudo".to_owned(),
        rhost: None,
        hostname: "testhost".to_owned(),
    };
    let typed = typed.to_owned();
    let handle = std::thread::spawn(move || {
        let runtime = pam_assent::setup::runtime().unwrap();
        runtime.block_on(async {
            let rp = pam_assent::setup::open_rp(&config).await.unwrap();
            let mut conversation = Scripted {
                answers: VecDeque::from([typed]),
                messages: tx,
            };
            let mut lines = Vec::new();
            let verdict = authenticate(&rp, &config, &login, &mut conversation, &mut |l| {
                lines.push(l.to_owned())
            })
            .await
            .unwrap();
            (verdict, lines)
        })
    });
    (rx, handle)
}

/// No line holds a secret: short ones (the number, a TOTP code) as a word of their own
/// (random ids in the lines may contain two digits in a row), long ones anywhere.
fn assert_no_secret(lines: &[String], secrets: &[&str]) {
    for line in lines {
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .collect();
        for secret in secrets {
            let found = if secret.len() <= 8 {
                words.contains(secret)
            } else {
                line.contains(secret)
            };
            assert!(!found, "{line:?} holds a secret");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sudo_login_shows_its_context_and_logs_no_secret() {
    let fx = Fixture::start().await;
    let config = fx.config("main", "timeout = 20");
    let mut phone = fx.phone(6);
    let (_, backup) = fx.enroll(&config, "dave", &mut phone).await;
    let key = std::fs::read_to_string(&fx.key_file).unwrap();
    let key = key.trim();
    let mut seen = HashSet::new();

    // Approved on the phone.
    let (messages, done) = login(&config, "dave", "");
    let number = tokio::task::spawn_blocking(move || loop {
        let m = messages.recv_timeout(Duration::from_secs(20)).unwrap();
        if let Some(n) = shown_number(&m) {
            break n;
        }
    })
    .await
    .unwrap();
    let view = pending_on(&mut phone, &mut seen).await;
    assert_eq!(view.client, "sudo: dave@testhost");
    assert!(
        view.ip.is_loopback() && view.location == "local login",
        "{view:?}"
    );
    answer(&mut phone, &view, Decision::Approve, &number).await;
    let (verdict, lines) = tokio::task::spawn_blocking(move || done.join().unwrap())
        .await
        .unwrap();
    assert_eq!(verdict, Verdict::Success);
    assert!(
        lines.iter().any(|l| l.contains("approved on the phone")),
        "{lines:?}"
    );
    assert_no_secret(&lines, &[&number, key]);

    // A TOTP code, then a backup code, then the same backup code again.
    let code = fx.next_totp("dave").await;
    for (typed, want) in [
        (code.as_str(), Verdict::Success),
        (backup[1].as_str(), Verdict::Success),
        (backup[1].as_str(), Verdict::Failure),
    ] {
        let (_, done) = login(&config, "dave", typed);
        let (verdict, lines) = tokio::task::spawn_blocking(move || done.join().unwrap())
            .await
            .unwrap();
        assert_eq!(verdict, want, "{lines:?}");
        assert_no_secret(&lines, &[typed, &typed.replace('-', ""), key]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_kind_shows_six_digits_to_type_on_the_phone() {
    let fx = Fixture::start().await;
    let config = fx.config("code", "timeout = 20\nkind = \"code\"");
    let mut phone = fx.phone(9);
    fx.enroll(&config, "hank", &mut phone).await;
    let mut seen = HashSet::new();

    let (messages, done) = login(&config, "hank", "");
    let code = tokio::task::spawn_blocking(move || loop {
        let m = messages.recv_timeout(Duration::from_secs(20)).unwrap();
        if let Some(rest) = m.split("(type the code ").nth(1) {
            break rest.chars().take(6).collect::<String>();
        }
    })
    .await
    .unwrap();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    let view = pending_on(&mut phone, &mut seen).await;
    assert_eq!(view.kind, assent_protocol::ApprovalKind::Code);
    answer(&mut phone, &view, Decision::Approve, &code).await;
    let (verdict, lines) = tokio::task::spawn_blocking(move || done.join().unwrap())
        .await
        .unwrap();
    assert_eq!(verdict, Verdict::Success, "{lines:?}");
    assert_no_secret(&lines, &[&code]);
}
