//! pam_assent in a real PAM stack, driven by pamtester (as sudo or any local service
//! would): a real relay on loopback TLS, a phone simulated by the mobile core, the phone
//! enrolled with `assent-pam-admin enroll`. Approve → success; deny, wrong number,
//! "this wasn't me", no answer within the timeout → failure; a TOTP code or a backup code
//! typed at the prompt → success, once; the relay unreachable → fail-closed or fail-open.
//!
//! Needs root (writes /etc/pam.d/assent-test-*): see `common::require_root`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

use assent_protocol::Decision;
use common::{
    answer, pending_on, random_suffix, shown_number, Fixture, LocalGroup, LocalUser, PamService,
    Proc,
};

const RHOST: &str = "203.0.113.9";

/// `pamtester -I rhost=… SERVICE USER authenticate` with `input` on its stdin.
fn pamtester(service: &PamService, user: &str, input: &str) -> Proc {
    Proc::spawn(
        Command::new("pamtester")
            .arg("-I")
            .arg(format!("rhost={RHOST}"))
            .args([service.name.as_str(), user, "authenticate"]),
        Some(input),
    )
}

async fn number_shown(login: &mut Proc) -> String {
    login.wait_for(Duration::from_secs(20), shown_number).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pamtester_push_approve_deny_wrong_number_no_prompt_answer_and_timeout() {
    let fx = Fixture::start().await;
    let main = fx.config("main", "timeout = 20");
    let short = fx.config("short", "timeout = 3");
    let mut phone = fx.phone(1);
    fx.enroll(&main, "alice", &mut phone).await;
    let service = PamService::new(&main, "");
    let mut seen = HashSet::new();

    // Approve, typing the number the PAM conversation showed.
    let mut login = pamtester(&service, "alice", "\n");
    let number = number_shown(&mut login).await;
    let view = pending_on(&mut phone, &mut seen).await;
    assert!(
        view.client.contains(&service.name) && view.client.contains("alice@"),
        "the phone shows service and user: {:?}",
        view.client
    );
    assert_eq!(view.ip.to_string(), RHOST, "and the remote address");
    answer(&mut phone, &view, Decision::Approve, &number).await;
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(ok && out.contains("successfully authenticated"), "{out}");

    // Deny.
    let mut login = pamtester(&service, "alice", "\n");
    number_shown(&mut login).await;
    let view = pending_on(&mut phone, &mut seen).await;
    answer(&mut phone, &view, Decision::Deny, "").await;
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(!ok && out.contains("denied on the phone"), "{out}");

    // Approve with the wrong number: a denial.
    let mut login = pamtester(&service, "alice", "\n");
    let number = number_shown(&mut login).await;
    let wrong = if number == "10" { "11" } else { "10" };
    let view = pending_on(&mut phone, &mut seen).await;
    answer(&mut phone, &view, Decision::Approve, wrong).await;
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(!ok && out.contains("Authentication failure"), "{out}");

    // A client that cannot answer the prompt (stdin closed: the conversation fails) still
    // gets the push, and the phone's approval logs it in.
    let mut login = pamtester(&service, "alice", "");
    let number = number_shown(&mut login).await;
    let view = pending_on(&mut phone, &mut seen).await;
    answer(&mut phone, &view, Decision::Approve, &number).await;
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(ok && out.contains("successfully authenticated"), "{out}");

    // No answer: the 3-second timeout fails the login.
    let short_service = PamService::new(&short, "");
    let started = Instant::now();
    let mut login = pamtester(&short_service, "alice", "\n");
    number_shown(&mut login).await;
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(
        !ok && out.contains("no answer from the phone in time"),
        "{out}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the wait is bounded by the timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pamtester_this_wasnt_me_then_totp_and_backup_code_fallback() {
    let fx = Fixture::start().await;
    let main = fx.config("main", "timeout = 20");
    let mut phone = fx.phone(2);
    let (_, backup) = fx.enroll(&main, "bob", &mut phone).await;
    let service = PamService::new(&main, "");
    let mut seen = HashSet::new();

    // "This wasn't me": the login fails and pushes are muted.
    let mut login = pamtester(&service, "bob", "\n");
    number_shown(&mut login).await;
    let view = pending_on(&mut phone, &mut seen).await;
    answer(&mut phone, &view, Decision::Fraud, "").await;
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(
        !ok && out.contains("reported on the phone as not you"),
        "{out}"
    );

    // Muted: no push, but the TOTP code works (once).
    let code = fx.next_totp("bob").await;
    let login = pamtester(&service, "bob", &format!("{code}\n"));
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("paused"),
        "the user is told why there is no push: {out}"
    );
    let login = pamtester(&service, "bob", &format!("{code}\n"));
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(
        !ok && out.contains("wrong code"),
        "a replayed TOTP code fails: {out}"
    );

    // A backup code works once.
    let login = pamtester(&service, "bob", &format!("{}\n", backup[0]));
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(ok, "{out}");
    let login = pamtester(&service, "bob", &format!("{}\n", backup[0]));
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(!ok, "a used backup code fails: {out}");

    // Nothing typed and no push to wait for: failure.
    let login = pamtester(&service, "bob", "\n");
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(!ok, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pamtester_totp_typed_instead_of_approving_withdraws_the_push() {
    let fx = Fixture::start().await;
    let main = fx.config("main", "timeout = 20");
    let mut phone = fx.phone(3);
    fx.enroll(&main, "erin", &mut phone).await;
    let service = PamService::new(&main, "");
    let mut seen = HashSet::new();

    let code = fx.next_totp("erin").await;
    let login = pamtester(&service, "erin", &format!("{code}\n"));
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(
        ok && shown_number(&out).is_some(),
        "push offered, code taken: {out}"
    );

    // The next login pushes at once (the first challenge was withdrawn, so it is not
    // pending), and is approved; the phone may still list the withdrawn one.
    for view in phone.client.pending().await.unwrap().shown {
        seen.insert(view.challenge_id.to_string());
    }
    let mut login = pamtester(&service, "erin", "\n");
    let number = number_shown(&mut login).await;
    let view = pending_on(&mut phone, &mut seen).await;
    answer(&mut phone, &view, Decision::Approve, &number).await;
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(ok, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pamtester_relay_unreachable_fails_closed_or_open_and_unlisted_users_are_ignored() {
    let fx = Fixture::start().await;
    let main = fx.config("main", "timeout = 20");
    let mut phone = fx.phone(4);
    fx.enroll(&main, "carol", &mut phone).await;
    // Nothing listens on port 1 of loopback.
    let dead = "https://127.0.0.1:1";
    let closed = fx.config_for("closed", dead, "timeout = 20");
    let open = fx.config_for("open", dead, "timeout = 20\nfail_mode = \"open\"");
    let closed_service = PamService::new(&closed, "");
    let open_service = PamService::new(&open, "");

    let login = pamtester(&closed_service, "carol", "\n");
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(
        !ok && out.contains("cannot be reached"),
        "fail-closed: {out}"
    );

    let login = pamtester(&open_service, "carol", "\n");
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(ok, "fail-open lets an empty answer in: {out}");

    let login = pamtester(&open_service, "carol", "abcde-fghjk\n");
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(!ok, "fail-open still checks a typed code: {out}");

    let code = fx.next_totp("carol").await;
    let login = pamtester(&closed_service, "carol", &format!("{code}\n"));
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(ok, "TOTP works with the relay down: {out}");

    // Users outside `users` and `groups` are ignored by the module: the next line of the
    // stack decides.
    let suffix = random_suffix();
    let group = LocalGroup::create(&format!("assent-g-{suffix}"));
    let member = LocalUser::create(&format!("assent-m-{suffix}"), &[group.0.as_str()]);
    let outsider = LocalUser::create(&format!("assent-o-{suffix}"), &[]);
    let listed = fx.config(
        "listed",
        &format!("users = [\"carol\"]\ngroups = [\"{}\"]", group.0),
    );
    let service = PamService::new(&listed, "auth required pam_permit.so\n");
    for user in ["mallory", outsider.0.as_str()] {
        let login = pamtester(&service, user, "");
        let (ok, out) = login.finish(Duration::from_secs(30)).await;
        assert!(ok && !out.contains("Assent"), "{user}: {out}");
    }
    // The group's member must approve, and has no phone: refused.
    let login = pamtester(&service, &member.0, "\n");
    let (ok, out) = login.finish(Duration::from_secs(30)).await;
    assert!(!ok && out.contains("no phone is enrolled"), "{out}");
    drop((member, outsider));
}
