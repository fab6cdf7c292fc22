//! Trusted browsers through the [`Rp`](crate::Rp) API, on every store: what is trusted,
//! for how long, for whom, and what revokes it.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use assent_protocol::{ApprovalKind, Decision};

use crate::test_push::{context, push_fixture, PushFixture};
use crate::test_support::{on_every_store, rng};
use crate::{ChallengeStatus, RpStore, TrustedBrowserPolicy};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
const CAFE: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20));

/// Whether `token` is trusted for `account` now (records the use when it is).
async fn trusted(f: &PushFixture, account: &str, token: &str) -> bool {
    f.rp.check_trusted_browser(account, token, None)
        .await
        .unwrap()
        .is_some()
}

async fn trust(f: &PushFixture, account: &str, seed: u64) -> String {
    let new =
        f.rp.trust_browser(account, FIREFOX, Some(HOME), &mut rng(seed))
            .await
            .unwrap();
    new.token.to_base64url().to_string()
}

async fn a_trusted_browser_is_trusted_for_its_account_only(s: Arc<dyn RpStore>) {
    let f = push_fixture(s);
    let token = trust(&f, "alice", 1).await;
    let info =
        f.rp.check_trusted_browser("alice", &token, Some(CAFE))
            .await
            .unwrap()
            .expect("trusted");
    assert_eq!(info.name, "Firefox on Linux");
    assert_eq!(info.first_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(info.last_ip.as_deref(), Some("198.51.100.20"));
    assert_eq!(info.last_used_at, Some(f.now()));
    assert_eq!(info.expires_at, info.created_at + 30 * 24 * 3600);

    // Another account's login with alice's cookie: not trusted, and nothing changes.
    assert_eq!(
        f.rp.check_trusted_browser("bob", &token, None)
            .await
            .unwrap(),
        None
    );
    // Anything that is not a token, or a token nobody was given.
    for junk in [
        "",
        "x",
        &token[..42],
        &format!("{token}A"),
        "!!!!",
        &"A".repeat(43),
    ] {
        assert_eq!(
            f.rp.check_trusted_browser("alice", junk, None)
                .await
                .unwrap(),
            None,
            "{junk:?}"
        );
    }
    // The store holds the token's hash, never the token.
    let listed = f.rp.list_trusted_browsers("alice").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!format!("{listed:?}").contains(&token));
}

async fn trust_ends_when_the_lifetime_is_over(s: Arc<dyn RpStore>) {
    let mut f = push_fixture(s);
    f.rp =
        f.rp.clone()
            .with_trusted_browser_policy(TrustedBrowserPolicy { lifetime: 3600 });
    let token = trust(&f, "alice", 1).await;
    f.clock.advance(3599);
    assert!(trusted(&f, "alice", &token).await);
    f.clock.advance(1);
    assert!(!trusted(&f, "alice", &token).await);
    assert!(f
        .rp
        .list_trusted_browsers("alice")
        .await
        .unwrap()
        .is_empty());
}

async fn revoking_one_leaves_the_others(s: Arc<dyn RpStore>) {
    let f = push_fixture(s);
    let laptop = trust(&f, "alice", 1).await;
    let desktop = trust(&f, "alice", 2).await;
    let bobs = trust(&f, "bob", 3).await;
    let list = f.rp.list_trusted_browsers("alice").await.unwrap();
    assert_eq!(list.len(), 2);
    assert_ne!(list[0].id, list[1].id);

    // Bob cannot revoke alice's browser by its id.
    assert!(!f
        .rp
        .revoke_trusted_browser("bob", &list[0].id)
        .await
        .unwrap());
    assert!(f
        .rp
        .revoke_trusted_browser("alice", &list[0].id)
        .await
        .unwrap());
    assert!(!f
        .rp
        .revoke_trusted_browser("alice", &list[0].id)
        .await
        .unwrap());
    assert!(!trusted(&f, "alice", &laptop).await);
    assert!(trusted(&f, "alice", &desktop).await);

    assert_eq!(f.rp.revoke_all_trusted_browsers("alice").await.unwrap(), 1);
    assert!(!trusted(&f, "alice", &desktop).await);
    assert!(f
        .rp
        .list_trusted_browsers("alice")
        .await
        .unwrap()
        .is_empty());
    assert!(
        trusted(&f, "bob", &bobs).await,
        "other accounts keep theirs"
    );
}

async fn changing_the_password_revokes_them_all(s: Arc<dyn RpStore>) {
    let f = push_fixture(s);
    let a = trust(&f, "alice", 1).await;
    let b = trust(&f, "alice", 2).await;
    assert_eq!(f.rp.password_changed("alice").await.unwrap(), 2);
    for t in [a, b] {
        assert!(!trusted(&f, "alice", &t).await);
    }
}

async fn turning_two_step_off_revokes_them_all(s: Arc<dyn RpStore>) {
    let mut f = push_fixture(s);
    f.enroll("alice", ApprovalKind::Number, 11).await;
    let codes =
        f.rp.generate_backup_codes("alice", &mut rng(2))
            .await
            .unwrap();
    let token = trust(&f, "alice", 1).await;
    let proof =
        f.rp.prove_with_backup_code("alice", codes.iter().next().unwrap())
            .await
            .unwrap()
            .unwrap();
    let done = f.rp.turn_off_two_step(proof, &mut rng(6)).await.unwrap();
    assert_eq!(done.trusted_browsers_revoked, 1);
    assert!(!trusted(&f, "alice", &token).await);
}

/// "This wasn't me": someone has the password, so no browser may skip the second step
/// any more, the one they may have trusted earlier included.
async fn this_wasnt_me_revokes_them_all(s: Arc<dyn RpStore>) {
    let mut f = push_fixture(s);
    let phone = f.enroll("alice", ApprovalKind::Number, 11).await;
    let token = trust(&f, "alice", 1).await;
    let started =
        f.rp.start_challenge("alice", &context(), &mut f.rng)
            .await
            .unwrap();
    let c = f.relay.last_challenge();
    let fraud = phone.answer(&c, Decision::Fraud, "", false);
    f.relay.put_answer(&fraud);
    assert_eq!(
        f.rp.check(&started.handle).await.unwrap(),
        ChallengeStatus::FraudReported
    );
    assert!(!trusted(&f, "alice", &token).await);
}

#[test]
fn the_token_never_shows_in_debug_output() {
    let f = push_fixture(Arc::new(crate::MemoryStore::new()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let new = rt
        .block_on(f.rp.trust_browser("alice", FIREFOX, None, &mut rng(1)))
        .unwrap();
    let token = new.token.to_base64url().to_string();
    let debug = format!("{new:?}");
    assert!(!debug.contains(&token), "{debug}");
    assert!(debug.contains("redacted"));
}

on_every_store!(
    a_trusted_browser_is_trusted_for_its_account_only,
    trust_ends_when_the_lifetime_is_over,
    revoking_one_leaves_the_others,
    changing_the_password_revokes_them_all,
    turning_two_step_off_revokes_them_all,
    this_wasnt_me_revokes_them_all,
);
