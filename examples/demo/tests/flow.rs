//! The whole site in process: sign-up, enrollment from the page's offer, push
//! login approved or denied by a core `PushClient`, TOTP and backup-code
//! logins, application passwords, CSRF and session binding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assent_core::Decision;
use assent_protocol::ApprovalKind;
use axum::http::StatusCode;
use common::{element, signup_and_enroll, Site};

#[tokio::test]
async fn signup_enroll_logout_and_push_login_approved_on_the_phone() {
    let mut site = Site::new().await;
    let mut browser = site.browser();
    let enrolled = signup_and_enroll(&mut site, &mut browser, "alice").await;

    // The codes are shown once; the security page says 2FA is on and tells of the phone.
    let page = browser.get("/security").await.body;
    assert!(page.contains("Two-step verification is <b>on</b>"));
    assert!(page.contains("Alice&#39;s phone"), "the phone is listed");
    assert!(page.contains("A new phone"), "NewDevice notice shown");
    assert!(
        !page.contains(&enrolled.backup_codes[0]),
        "codes never shown again"
    );
    assert_eq!(
        element(&page, "backup-remaining").unwrap(),
        "10 of 10 backup codes left. They are the way in when your phone is lost."
    );

    browser.logout().await;
    assert_eq!(
        browser.get("/security").await.location.as_deref(),
        Some("/login")
    );

    let r = browser.login("alice", "correct horse").await;
    assert_eq!(r.location.as_deref(), Some("/login/push"));
    let page = browser.get("/login/push").await.body;
    let number = element(&page, "push-number").expect("the number to type");
    assert_eq!(number.len(), 2);
    assert_eq!(element(&page, "push-device").unwrap(), "Alice's phone");
    assert_eq!(browser.push_status().await["status"], "pending");
    assert_eq!(
        browser.get("/security").await.location.as_deref(),
        Some("/login"),
        "not logged in before the phone answers"
    );

    site.advance(3);
    site.phone_answers(Decision::Approve, &number).await;
    let status = browser.push_status().await;
    assert_eq!(status["status"], "done");
    assert_eq!(status["next"], "/security");
    let r = browser.get("/security").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("alice"));
}

#[tokio::test]
async fn code_mode_shows_six_digits_to_type() {
    let mut site = Site::with_kind(ApprovalKind::Code).await;
    let mut browser = site.browser();
    signup_and_enroll(&mut site, &mut browser, "carol").await;
    browser.logout().await;
    browser.login("carol", "correct horse").await;
    let code = element(&browser.get("/login/push").await.body, "push-number").unwrap();
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_digit()));
    site.phone_answers(Decision::Approve, &code).await;
    assert_eq!(browser.push_status().await["status"], "done");
}

#[tokio::test]
async fn denied_and_fraud_reported_pushes_show_a_message_and_do_not_log_in() {
    let mut site = Site::new().await;
    let mut browser = site.browser();
    signup_and_enroll(&mut site, &mut browser, "alice").await;
    browser.logout().await;

    browser.login("alice", "correct horse").await;
    site.phone_answers(Decision::Deny, "").await;
    let status = browser.push_status().await;
    assert_eq!(status["status"], "denied");
    assert!(status["message"].as_str().unwrap().contains("denied"));
    assert_eq!(
        browser.get("/security").await.location.as_deref(),
        Some("/login")
    );

    // A wrong number is a denial too.
    browser.get("/login/push").await;
    browser.post("/login/push", &[]).await;
    let number = element(&browser.get("/login/push").await.body, "push-number").unwrap();
    let wrong = if number == "10" { "11" } else { "10" };
    site.phone_answers(Decision::Approve, wrong).await;
    assert_eq!(browser.push_status().await["status"], "denied");

    // "This wasn't me": paused, told, and the next push is refused.
    browser.post("/login/push", &[]).await;
    site.phone_answers(Decision::Fraud, "").await;
    let status = browser.push_status().await;
    assert_eq!(status["status"], "fraud");
    browser.get("/login/push").await;
    let r = browser.post("/login/push", &[]).await;
    assert_eq!(r.location.as_deref(), Some("/login/push"));
    let page = browser.get("/login/push").await.body;
    assert!(page.contains("paused"), "{page}");
    assert!(element(&page, "push-number").is_none());
}

#[tokio::test]
async fn totp_login_with_the_code_the_phone_shows() {
    let mut site = Site::new().await;
    let mut browser = site.browser();
    let enrolled = signup_and_enroll(&mut site, &mut browser, "alice").await;
    browser.logout().await;
    site.advance(30); // the activation code's step is spent

    browser.login("alice", "correct horse").await;
    let page = browser.get("/login/totp").await;
    assert!(page.body.contains("Enter the code from your app"));
    let r = browser.post("/login/totp", &[("code", "000000")]).await;
    assert!(r.body.contains("That code is not right."));
    let code = site.phone.code(&enrolled.account_id);
    let r = browser.post("/login/totp", &[("code", &code)]).await;
    assert_eq!(r.location.as_deref(), Some("/security"));
    assert_eq!(browser.get("/security").await.status, StatusCode::OK);
}

#[tokio::test]
async fn backup_code_logs_in_once_and_failures_are_throttled() {
    let mut site = Site::new().await;
    let mut browser = site.browser();
    let enrolled = signup_and_enroll(&mut site, &mut browser, "alice").await;
    let code = enrolled.backup_codes[3].clone();
    browser.logout().await;

    browser.login("alice", "correct horse").await;
    browser.get("/login/backup").await;
    let r = browser.post("/login/backup", &[("code", &code)]).await;
    assert_eq!(r.location.as_deref(), Some("/security"));
    let page = browser.get("/security").await.body;
    assert!(page.contains("9 left"), "{page}");
    assert!(page.contains("9 of 10 backup codes left"));
    browser.logout().await;

    site.advance(121); // the push of this login expires meanwhile
    browser.login("alice", "correct horse").await;
    browser.get("/login/backup").await;
    let r = browser.post("/login/backup", &[("code", &code)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("That code is not right."), "used once only");

    for _ in 0..6 {
        browser
            .post("/login/backup", &[("code", "aaaaa-aaaaa")])
            .await;
    }
    let r = browser
        .post("/login/backup", &[("code", &enrolled.backup_codes[4])])
        .await;
    assert!(r.body.contains("Try again in"), "{}", r.body);
}

#[tokio::test]
async fn app_passwords_are_created_shown_once_used_and_revoked() {
    let mut site = Site::new().await;
    let mut browser = site.browser();
    signup_and_enroll(&mut site, &mut browser, "alice").await;
    browser.get("/security").await;
    let r = browser
        .post("/security/app-passwords", &[("name", "Mail on my laptop")])
        .await;
    let password = element(&r.body, "new-app-password").expect("shown once");
    let page = browser.get("/security").await.body;
    assert!(page.contains("Mail on my laptop"));
    assert!(!page.contains(&password));

    let basic = |p: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("alice:{p}"))
        )
    };
    let mut tool = site.browser();
    let r = tool
        .get_with("/api/whoami", "authorization", &basic(&password))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(r#""user":"alice""#));
    let r = tool
        .get_with("/api/whoami", "authorization", &basic("correct horse"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "account password refused"
    );

    let id = page
        .split(r#"class="app-password" data-id=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let r = browser
        .post("/security/app-passwords/revoke", &[("id", &id)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/security"));
    assert!(browser.get("/security").await.body.contains("was revoked"));
    let r = tool
        .get_with("/api/whoami", "authorization", &basic(&password))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_forbidden() {
    let site = Site::new().await;
    let mut browser = site.browser();
    browser.signup("alice", "correct horse").await;
    browser.get("/security").await;

    let r = browser
        .post_raw("/security/app-passwords", &[("name", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "missing token");
    let r = browser
        .post_raw(
            "/security/app-passwords",
            &[
                ("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ("name", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "wrong token");
    let r = browser.post_raw("/security/enroll", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Another browser's token is not this one's.
    let mut other = site.browser();
    other.get("/login").await;
    let foreign = other.csrf.clone().unwrap();
    let r = browser
        .post_raw("/logout", &[("csrf", foreign.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // No cookie at all.
    let mut stranger = site.browser();
    let r = stranger
        .post_raw(
            "/login",
            &[
                ("csrf", foreign.as_str()),
                ("username", "alice"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        browser
            .get("/security")
            .await
            .body
            .contains(r#"id="no-app-passwords""#),
        "none was created"
    );
}

#[tokio::test]
async fn only_the_session_that_started_the_push_can_use_the_approval() {
    let mut site = Site::new().await;
    let mut browser = site.browser();
    signup_and_enroll(&mut site, &mut browser, "alice").await;
    browser.logout().await;

    browser.login("alice", "correct horse").await;
    let number = element(&browser.get("/login/push").await.body, "push-number").unwrap();

    // An attacker who knows the password too: a session of its own, no handle.
    let mut attacker = site.browser();
    let r = attacker.login("alice", "correct horse").await;
    assert_eq!(r.location.as_deref(), Some("/login/push"));
    let page = attacker.get("/login/push").await.body;
    assert!(
        element(&page, "push-number").is_none(),
        "one pending push per account"
    );
    assert!(page.contains("already waiting"));

    site.phone_answers(Decision::Approve, &number).await;
    assert_eq!(attacker.push_status().await["status"], "expired");
    assert_eq!(
        attacker.get("/security").await.location.as_deref(),
        Some("/login")
    );
    assert_eq!(browser.push_status().await["status"], "done");
    assert_eq!(browser.get("/security").await.status, StatusCode::OK);
    assert_eq!(
        attacker.get("/security").await.location.as_deref(),
        Some("/login"),
        "still locked out after the approval was redeemed"
    );
}

#[tokio::test]
async fn a_second_phone_needs_the_existing_second_factor() {
    let mut site = Site::new().await;
    let mut browser = site.browser();
    let enrolled = signup_and_enroll(&mut site, &mut browser, "alice").await;
    browser.get("/security").await;
    let r = browser.post("/security/enroll", &[("proof", "")]).await;
    assert!(r.body.contains("first prove it is you"), "{}", r.body);
    assert!(element(&r.body, "offer-uri").is_none());
    site.advance(30);
    let code = site.phone.code(&enrolled.account_id);
    let r = browser.post("/security/enroll", &[("proof", &code)]).await;
    assert!(element(&r.body, "offer-uri").is_some(), "{}", r.body);
}

#[tokio::test]
async fn session_cookie_is_rotated_at_login_and_httponly() {
    let site = Site::new().await;
    let mut browser = site.browser();
    browser.get("/login").await;
    let before = browser.cookie.clone().unwrap();
    browser.signup("dave", "correct horse").await;
    let after = browser.cookie.clone().unwrap();
    assert_ne!(before, after, "a fresh session id after login");
    let mut old = site.browser();
    old.cookie = Some(before);
    assert_eq!(
        old.get("/security").await.location.as_deref(),
        Some("/login")
    );
}

/// Issue 13 finding 3: with its last phone removed and backup codes left, the account
/// keeps two-step verification (the password alone does not log in) until the user
/// turns it off with a code, which revokes the codes and leaves a notice.
#[tokio::test]
async fn removing_the_last_phone_keeps_two_step_on_until_the_user_turns_it_off() {
    let mut site = Site::new().await;
    let mut browser = site.browser();
    let enrolled = signup_and_enroll(&mut site, &mut browser, "alice").await;
    let page = browser.get("/security").await.body;
    let at = page
        .find(r#"name="device" value=""#)
        .expect("a phone listed");
    let rest = &page[at + r#"name="device" value=""#.len()..];
    let device = rest[..rest.find('"').unwrap()].to_owned();
    let r = browser
        .post("/security/devices/remove", &[("device", &device)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/security"), "{}", r.body);
    let page = browser.get("/security").await.body;
    assert!(
        page.contains("Two-step verification is <b>on</b>"),
        "{page}"
    );
    browser.logout().await;

    let r = browser.login("alice", "correct horse").await;
    assert_ne!(
        r.location.as_deref(),
        Some("/security"),
        "the password alone does not log in"
    );
    browser.get("/login/backup").await;
    let r = browser
        .post("/login/backup", &[("code", &enrolled.backup_codes[0])])
        .await;
    assert_eq!(r.location.as_deref(), Some("/security"));

    browser.get("/security").await;
    let r = browser
        .post("/security/turn-off", &[("proof", "aaaaa-aaaaa")])
        .await;
    assert!(r.body.contains("first prove it is you"), "{}", r.body);
    let r = browser
        .post(
            "/security/turn-off",
            &[("proof", &enrolled.backup_codes[1])],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/security"), "{}", r.body);
    let page = browser.get("/security").await.body;
    assert!(
        page.contains("Two-step verification is <b>off</b>"),
        "{page}"
    );
    assert!(
        page.contains("Two-step verification was turned off"),
        "{page}"
    );
    browser.logout().await;
    let r = browser.login("alice", "correct horse").await;
    assert_eq!(
        r.location.as_deref(),
        Some("/security"),
        "off: the password alone logs in"
    );
}

/// Issue 13 finding 4: the password step is throttled before any hash, per account
/// (429 with the wait), and a right password after the wait logs in.
#[tokio::test]
async fn password_guesses_are_throttled_before_any_hash() {
    let site = Site::new().await;
    let mut browser = site.browser();
    browser.signup("alice", "correct horse").await;
    browser.logout().await;
    for _ in 0..5 {
        let r = browser.login("alice", "wrong horse").await;
        assert!(r.body.contains("Wrong username or password."), "{}", r.body);
    }
    let r = browser.login("alice", "correct horse").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.body.contains("Too many attempts. Try again in"),
        "{}",
        r.body
    );
    // Unknown names are counted the same way (no difference to probe).
    for _ in 0..5 {
        browser.login("nobody", "wrong horse").await;
    }
    let r = browser.login("nobody", "wrong horse").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    site.advance(1);
    let r = browser.login("alice", "correct horse").await;
    assert_eq!(r.location.as_deref(), Some("/security"), "{}", r.body);
}

/// Issue 13 finding 8: `/api/whoami` answers wrong application passwords for unknown and
/// known usernames alike, throttling included (401 five times, then 429 with a wait).
#[tokio::test]
async fn whoami_answers_unknown_and_known_users_alike() {
    let site = Site::new().await;
    let mut browser = site.browser();
    browser.signup("alice", "correct horse").await;
    let basic = |user: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:zzzz-zzzz-zzzz-zzzz-zzzz-zzzz-zzzz-zzzz"))
        )
    };
    let mut tool = site.browser();
    for user in ["alice", "nobody"] {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let r = tool
                .get_with("/api/whoami", "authorization", &basic(user))
                .await;
            statuses.push(r.status.as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "{user}");
    }
}
