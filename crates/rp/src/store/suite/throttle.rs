//! The store suite for the limiter state, one per account and kind of guess.

use super::*;

async fn limiter_updates_and_resets(s: Store) {
    assert_eq!(
        s.limiter("a", &Guess::Totp.into()).await.unwrap(),
        LimiterState::default()
    );
    let mut seen = Vec::new();
    for i in 1..=3 {
        s.update_limiter("a", &Guess::Totp.into(), &mut |st| {
            seen.push(st);
            LimiterState {
                failures: st.failures + 1,
                next_allowed: 100 * i,
            }
        })
        .await
        .unwrap();
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].failures, 2);
    assert_eq!(
        s.limiter("a", &Guess::Totp.into()).await.unwrap(),
        LimiterState {
            failures: 3,
            next_allowed: 300
        }
    );
    assert_eq!(
        s.limiter("b", &Guess::Totp.into()).await.unwrap(),
        LimiterState::default()
    );
    s.reset_limiter("a", &Guess::Totp.into()).await.unwrap();
    assert_eq!(
        s.limiter("a", &Guess::Totp.into()).await.unwrap(),
        LimiterState::default()
    );
}

/// Each kind of guess has its own state: writing or resetting one leaves the others.
async fn each_kind_of_guess_counts_alone(s: Store) {
    for (n, guess) in Guess::ALL.into_iter().enumerate() {
        let failures = u32::try_from(n).unwrap() + 1;
        s.update_limiter("a", &guess.into(), &mut |_| LimiterState {
            failures,
            next_allowed: 0,
        })
        .await
        .unwrap();
    }
    s.reset_limiter("a", &Guess::AppPasswords.into())
        .await
        .unwrap();
    let failures = |guess: Guess| {
        let s = &s;
        async move { s.limiter("a", &guess.into()).await.unwrap().failures }
    };
    assert_eq!(failures(Guess::Totp).await, 1);
    assert_eq!(failures(Guess::BackupCode).await, 2);
    assert_eq!(failures(Guess::AppPasswords).await, 0);
    assert_eq!(failures(Guess::PushEntry).await, 4);
    s.delete_account("a").await.unwrap();
    for guess in Guess::ALL {
        assert_eq!(failures(guess).await, 0, "{guess:?}");
    }
}

/// A source's count, the budget and the count without a source are three rows.
async fn sources_and_the_budget_count_apart(s: Store) {
    let ip = |text: &str| Source::Ip(text.parse().unwrap());
    let keys = [
        LimiterKey::from(Guess::Totp),
        LimiterKey::from_source(Guess::Totp, ip("203.0.113.7")),
        LimiterKey::from_source(Guess::Totp, ip("198.51.100.1")),
        LimiterKey::budget(Guess::Totp),
        LimiterKey::budget(Guess::BackupCode),
    ];
    for (n, key) in keys.iter().enumerate() {
        let failures = u32::try_from(n).unwrap() + 1;
        s.update_limiter("a", key, &mut |_| LimiterState {
            failures,
            next_allowed: 0,
        })
        .await
        .unwrap();
    }
    s.reset_limiter("a", &keys[1]).await.unwrap();
    let mut got = Vec::new();
    for key in &keys {
        got.push(s.limiter("a", key).await.unwrap().failures);
    }
    assert_eq!(got, [1, 0, 3, 4, 5]);
    s.delete_account("a").await.unwrap();
    for key in &keys {
        assert_eq!(s.limiter("a", key).await.unwrap(), LimiterState::default());
    }
}

/// Two states change together, and a state that comes back default is removed.
async fn two_states_change_in_one_step(s: Store) {
    let source = LimiterKey::from_source(Guess::Totp, Source::Ip("203.0.113.7".parse().unwrap()));
    let budget = LimiterKey::budget(Guess::Totp);
    let mut seen = Vec::new();
    for n in 1..=2 {
        s.update_limiters("a", [&source, &budget], &mut |states| {
            seen.push(states);
            states.map(|st| LimiterState {
                failures: st.failures + n,
                next_allowed: 50,
            })
        })
        .await
        .unwrap();
    }
    assert_eq!(seen[1][0].failures, 1);
    assert_eq!(seen[1][1].failures, 1);
    assert_eq!(s.limiter("a", &source).await.unwrap().failures, 3);
    assert_eq!(s.limiter("a", &budget).await.unwrap().failures, 3);
    s.update_limiters("a", [&source, &budget], &mut |[_, b]| {
        [LimiterState::default(), b]
    })
    .await
    .unwrap();
    assert_eq!(
        s.limiter("a", &source).await.unwrap(),
        LimiterState::default()
    );
    assert_eq!(s.limiter("a", &budget).await.unwrap().failures, 3);
    assert_eq!(
        s.limiter("b", &budget).await.unwrap(),
        LimiterState::default()
    );
}

on_every_store!(
    limiter_updates_and_resets,
    two_states_change_in_one_step,
    each_kind_of_guess_counts_alone,
    sources_and_the_budget_count_apart,
);
