//! The store suite for the limiter state, one per account and kind of guess.

use super::*;

async fn limiter_updates_and_resets(s: Store) {
    assert_eq!(
        s.limiter("a", Guess::Totp).await.unwrap(),
        LimiterState::default()
    );
    let mut seen = Vec::new();
    for i in 1..=3 {
        s.update_limiter("a", Guess::Totp, &mut |st| {
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
        s.limiter("a", Guess::Totp).await.unwrap(),
        LimiterState {
            failures: 3,
            next_allowed: 300
        }
    );
    assert_eq!(
        s.limiter("b", Guess::Totp).await.unwrap(),
        LimiterState::default()
    );
    s.reset_limiter("a", Guess::Totp).await.unwrap();
    assert_eq!(
        s.limiter("a", Guess::Totp).await.unwrap(),
        LimiterState::default()
    );
}

/// Each kind of guess has its own state: writing or resetting one leaves the others.
async fn each_kind_of_guess_counts_alone(s: Store) {
    for (n, guess) in Guess::ALL.into_iter().enumerate() {
        let failures = u32::try_from(n).unwrap() + 1;
        s.update_limiter("a", guess, &mut |_| LimiterState {
            failures,
            next_allowed: 0,
        })
        .await
        .unwrap();
    }
    s.reset_limiter("a", Guess::AppPasswords).await.unwrap();
    let failures = |guess| {
        let s = &s;
        async move { s.limiter("a", guess).await.unwrap().failures }
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

on_every_store!(limiter_updates_and_resets, each_kind_of_guess_counts_alone,);
