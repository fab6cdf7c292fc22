//! The store suite for the limiter state shared by the credentials.

use super::*;

async fn limiter_updates_and_resets(s: Store) {
    assert_eq!(s.limiter("a").await.unwrap(), LimiterState::default());
    let mut seen = Vec::new();
    for i in 1..=3 {
        s.update_limiter("a", &mut |st| {
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
        s.limiter("a").await.unwrap(),
        LimiterState {
            failures: 3,
            next_allowed: 300
        }
    );
    assert_eq!(s.limiter("b").await.unwrap(), LimiterState::default());
    s.reset_limiter("a").await.unwrap();
    assert_eq!(s.limiter("a").await.unwrap(), LimiterState::default());
}

on_every_store!(limiter_updates_and_resets,);
