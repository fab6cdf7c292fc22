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

fn fixture(s: Arc<dyn RpStore>) -> PushFixture {
    push_fixture(s)
}

async fn trust(f: &PushFixture, account: &str, seed: u64) -> String {
    let new =
        f.rp.trust_browser(account, FIREFOX, Some(HOME), &mut rng(seed))
            .await
            .unwrap();
    new.token.to_base64url().to_string()
}

async fn a_trusted_browser_is_trusted_for_its_account_only(s: Arc<dyn RpStore>) {
    let f = fixture(s);
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
    let mut f = fixture(s);
    f.rp =
        f.rp.clone()
            .with_trusted_browser_policy(TrustedBrowserPolicy { lifetime: 3600 });
    let token = trust(&f, "alice", 1).await;
    f.clock.advance(3599);
    assert!(f
        .rp
        .check_trusted_browser("alice", &token, None)
        .await
        .unwrap()
        .is_some());
    f.clock.advance(1);
    assert!(f
        .rp
        .check_trusted_browser("alice", &token, None)
        .await
        .unwrap()
        .is_none());
    assert!(f
        .rp
        .list_trusted_browsers("alice")
        .await
        .unwrap()
        .is_empty());
}

async fn revoking_one_leaves_the_others(s: Arc<dyn RpStore>) {
    let f = fixture(s);
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
    let check = |t: String, account: &'static str| {
        let rp = f.rp.clone();
        async move {
            rp.check_trusted_browser(account, &t, None)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(!check(laptop.clone(), "alice").await);
    assert!(check(desktop.clone(), "alice").await);

    assert_eq!(f.rp.revoke_all_trusted_browsers("alice").await.unwrap(), 1);
    assert!(!check(desktop, "alice").await);
    assert!(f
        .rp
        .list_trusted_browsers("alice")
        .await
        .unwrap()
        .is_empty());
    assert!(check(bobs, "bob").await, "other accounts keep theirs");
}

async fn changing_the_password_revokes_them_all(s: Arc<dyn RpStore>) {
    let f = fixture(s);
    let a = trust(&f, "alice", 1).await;
    let b = trust(&f, "alice", 2).await;
    assert_eq!(f.rp.password_changed("alice").await.unwrap(), 2);
    for t in [a, b] {
        assert!(f
            .rp
            .check_trusted_browser("alice", &t, None)
            .await
            .unwrap()
            .is_none());
    }
}

async fn turning_two_step_off_revokes_them_all(s: Arc<dyn RpStore>) {
    let mut f = fixture(s);
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
    assert!(f
        .rp
        .check_trusted_browser("alice", &token, None)
        .await
        .unwrap()
        .is_none());
}

/// "This wasn't me": someone has the password, so no browser may skip the second step
/// any more, the one they may have trusted earlier included.
async fn this_wasnt_me_revokes_them_all(s: Arc<dyn RpStore>) {
    let mut f = fixture(s);
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
    assert!(f
        .rp
        .check_trusted_browser("alice", &token, None)
        .await
        .unwrap()
        .is_none());
}

#[test]
fn the_token_never_shows_in_debug_output() {
    let f = fixture(Arc::new(crate::MemoryStore::new()));
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
