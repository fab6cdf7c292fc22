//! Per-source counts and the account's budget: an attacker at one address delays only
//! that address, many addresses together get no more than the budget, and a success
//! gives its charge back.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use assent_otp::Totp;

use crate::test_support::{fixture, on_both_stores, rng, Fixture};
use crate::{
    make_totp_secret, BudgetPolicy, Guess, LimiterKey, RpStore, Source, TotpParams, Verification,
};

/// The first second of a time step (period 30).
const T: u64 = 1_700_000_010;

fn addr(a: u8, b: u8, c: u8, d: u8) -> Source {
    Source::Ip(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
}

async fn with_totp(store: Arc<dyn RpStore>) -> (Fixture, Totp) {
    let f = fixture(store, T);
    let secret = make_totp_secret(&mut rng(7)).unwrap();
    f.rp.set_totp("alice", &secret, TotpParams::default())
        .await
        .unwrap();
    (f, TotpParams::default().totp(secret).unwrap())
}

/// A code that is never right near `T` (checked against the window).
fn wrong_code(totp: &Totp, now: u64) -> String {
    let step = now / 30;
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| (step - 1..=step + 1).all(|s| !totp.code_for_step(s).matches(c)))
        .unwrap()
}

/// For a simulated day an attacker at one address sends a wrong TOTP code every ten
/// seconds; every hour the user, at another address, types the right code once, and it
/// is accepted at the first try. (With one count per account, as before sources, the
/// attacker's failures held the user's code up for 15 minutes at a time.)
async fn an_attacker_at_one_address_delays_only_that_address(s: Arc<dyn RpStore>) {
    let (f, totp) = with_totp(s).await;
    let attacker = f.rp.from_source(addr(203, 0, 113, 7));
    let user = f.rp.from_source(addr(198, 51, 100, 1));
    let mut admitted = 0;
    for hour in 0..24u64 {
        for _ in 0..360 {
            let now = f.rp.now();
            let verdict = attacker
                .verify_totp("alice", &wrong_code(&totp, now))
                .await
                .unwrap();
            admitted += usize::from(verdict == Verification::Rejected);
            f.clock.advance(10);
        }
        // The right code of the step after the last accepted one.
        f.clock.advance(30);
        let code = totp.code_for_step(f.rp.now() / 30).to_string();
        assert_eq!(
            user.verify_totp("alice", &code).await.unwrap(),
            Verification::Accepted,
            "hour {hour}"
        );
    }
    // The attacker's own address stayed throttled: 5 free, 1 s … 512 s, then one every
    // 15 minutes.
    assert!(admitted <= 15 + 24 * 4 + 1, "{admitted} guesses admitted");
}

/// A hundred new addresses a minute, each guessing once, for two hours get the budget
/// (a burst of 30, then 30 an hour) between them, and no more.
async fn many_addresses_together_get_the_budget_and_no_more(s: Arc<dyn RpStore>) {
    let (f, totp) = with_totp(s).await;
    let mut admitted = 0u32;
    for minute in 0..120u32 {
        for n in 0..100u32 {
            let [_, _, c, d] = n.to_be_bytes();
            let source = addr(10, u8::try_from(minute % 200).unwrap(), c, d);
            let now = f.rp.now();
            let verdict =
                f.rp.from_source(source)
                    .verify_totp("alice", &wrong_code(&totp, now))
                    .await
                    .unwrap();
            admitted += u32::from(verdict == Verification::Rejected);
        }
        f.clock.advance(60);
    }
    let budget = BudgetPolicy::default();
    assert!(
        admitted <= budget.burst + 2 * budget.per_hour + 1,
        "{admitted} guesses admitted"
    );
    assert!(
        admitted >= budget.burst + 2 * budget.per_hour - 2,
        "{admitted}"
    );
    // The budget is counted apart from each source.
    let state =
        f.rp.limiter_state_of("alice", &LimiterKey::budget(Guess::Totp))
            .await
            .unwrap();
    assert!(state.next_allowed > f.rp.now());
}

/// Successes give their charge back: with a budget of 3, a client that logs in with
/// its application password fifty times in a row is never throttled, and its wrong
/// guesses from elsewhere are still charged.
async fn a_success_gives_the_budget_its_charge_back(s: Arc<dyn RpStore>) {
    let f = fixture(s, T);
    let rp = f.rp.clone().with_budget_policy(BudgetPolicy {
        per_hour: 3,
        burst: 3,
    });
    let made = rp
        .create_app_password("alice", "mail", &mut rng(3))
        .await
        .unwrap();
    let client = rp.from_source(addr(192, 0, 2, 10));
    for _ in 0..50 {
        assert_eq!(
            client
                .verify_app_password("alice", made.password())
                .await
                .unwrap(),
            Verification::Accepted
        );
    }
    // Three wrong guesses (naming the password's id) from three addresses spend the
    // budget; the fourth address waits, and so does the client.
    let id = &made.password()[..crate::APP_PASSWORD_ID_LEN];
    let last = made.password().chars().last().unwrap();
    let other = crate::ALPHABET
        .iter()
        .map(|&b| char::from(b))
        .find(|c| !c.eq_ignore_ascii_case(&last))
        .unwrap();
    let wrong = format!("{}{other}", &made.password()[..made.password().len() - 1]);
    assert!(wrong.starts_with(id));
    for n in 0..3 {
        let v = rp
            .from_source(addr(203, 0, 113, n))
            .verify_app_password("alice", &wrong)
            .await
            .unwrap();
        assert_eq!(v, Verification::Rejected);
    }
    assert!(matches!(
        rp.from_source(addr(203, 0, 113, 9))
            .verify_app_password("alice", &wrong)
            .await
            .unwrap(),
        Verification::Throttled { .. }
    ));
    assert!(matches!(
        client
            .verify_app_password("alice", made.password())
            .await
            .unwrap(),
        Verification::Throttled { .. }
    ));
    // Twenty minutes later a charge has come back.
    f.clock.advance(20 * 60);
    assert_eq!(
        client
            .verify_app_password("alice", made.password())
            .await
            .unwrap(),
        Verification::Accepted
    );
}

/// Attempts without a source share one count, as they did before sources: five wrong
/// backup codes hold up the sixth attempt, from no source or from the same call.
async fn attempts_without_a_source_share_one_count(s: Arc<dyn RpStore>) {
    let f = fixture(s, T);
    let codes =
        f.rp.generate_backup_codes("alice", &mut rng(4))
            .await
            .unwrap();
    for _ in 0..5 {
        assert_eq!(
            f.rp.verify_backup_code("alice", "zzzz-zzzz-zz")
                .await
                .unwrap(),
            Verification::Rejected
        );
    }
    let good = codes.iter().next().unwrap().to_owned();
    assert!(matches!(
        f.rp.verify_backup_code("alice", &good).await.unwrap(),
        Verification::Throttled { .. }
    ));
    assert!(!f
        .rp
        .from_source(Source::Unknown)
        .verify_backup_code("alice", &good)
        .await
        .unwrap()
        .is_accepted());
    // Another source is not held up.
    assert_eq!(
        f.rp.from_source(addr(198, 51, 100, 1))
            .verify_backup_code("alice", &good)
            .await
            .unwrap(),
        Verification::Accepted
    );
}

on_both_stores!(
    an_attacker_at_one_address_delays_only_that_address,
    many_addresses_together_get_the_budget_and_no_more,
    a_success_gives_the_budget_its_charge_back,
    attempts_without_a_source_share_one_count,
);
