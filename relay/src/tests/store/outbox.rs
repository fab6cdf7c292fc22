//! The webhook outbox's contract on both backends: claims take due events in
//! order under a lease, a leased event is nobody else's until the lease ends,
//! and only the claim that holds an event completes, reschedules or gives it
//! up. Then claimers racing on one database (two instances on PostgreSQL).

use std::collections::HashMap;

use super::*;
use crate::store::{Claim, OutboxEvent, StoreError};

on_both_backends!(
    due_events_are_claimed_in_order_up_to_the_limit,
    a_claimed_event_is_not_claimed_again_until_its_lease_ends,
    an_expired_lease_is_claimed_again_and_the_old_holder_can_no_longer_settle_it,
    a_rescheduled_event_counts_its_attempt_and_waits_for_its_time,
    deleting_a_tenant_deletes_its_waiting_events,
    concurrent_claims_never_hand_out_one_event_twice,
);

/// An event of tenant `t1` due at `due` (ms).
fn event(id: &str, due: i64) -> OutboxEvent {
    OutboxEvent {
        event_id: id.into(),
        tenant_id: "t1".into(),
        event_type: "answer.received".into(),
        subject: format!("challenge-of-{id}"),
        created_at: 1_700_000_000,
        attempts: 0,
        next_attempt_at: due,
    }
}

fn claim(token: &str, now: i64) -> Claim<'_> {
    Claim {
        token,
        now,
        until: now + 30_000,
    }
}

fn ids(events: &[OutboxEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_id.as_str()).collect()
}

async fn due_events_are_claimed_in_order_up_to_the_limit(db: Db) {
    let store = db.store().await;
    for (id, due) in [("e3", 3000), ("e1", 1000), ("later", 9000), ("e2", 2000)] {
        store.enqueue_event(&event(id, due)).await.unwrap();
    }
    assert!(matches!(
        store.enqueue_event(&event("e1", 5)).await,
        Err(StoreError::Conflict)
    ));
    let first = store.claim_events(claim("a", 3000), 2).await.unwrap();
    assert_eq!(ids(&first), ["e1", "e2"]);
    // Read back as written.
    assert_eq!(first[0], event("e1", 1000));
    let rest = store.claim_events(claim("b", 3000), 10).await.unwrap();
    assert_eq!(ids(&rest), ["e3"]);
    assert!(store
        .claim_events(claim("c", 3000), 10)
        .await
        .unwrap()
        .is_empty());
    // Not due before its time.
    assert!(store
        .claim_events(claim("c", 8999), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        ids(&store.claim_events(claim("c", 9000), 10).await.unwrap()),
        ["later"]
    );
}

async fn a_claimed_event_is_not_claimed_again_until_its_lease_ends(db: Db) {
    let store = db.store().await;
    store.enqueue_event(&event("e1", 1000)).await.unwrap();
    let lease = Claim {
        token: "a",
        now: 1000,
        until: 31_000,
    };
    assert_eq!(ids(&store.claim_events(lease, 5).await.unwrap()), ["e1"]);
    for now in [1000, 20_000, 30_999] {
        assert!(
            store
                .claim_events(claim("b", now), 5)
                .await
                .unwrap()
                .is_empty(),
            "claimed again at {now} while leased until 31000"
        );
    }
    // The holder completes it: gone for everyone.
    assert!(store.complete_event("e1", "a").await.unwrap());
    assert!(!store.complete_event("e1", "a").await.unwrap());
    assert!(store
        .claim_events(claim("b", 99_000), 5)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(db.scalar("SELECT COUNT(*) FROM webhook_outbox").await, 0);
}

async fn an_expired_lease_is_claimed_again_and_the_old_holder_can_no_longer_settle_it(db: Db) {
    let store = db.store().await;
    store.enqueue_event(&event("e1", 1000)).await.unwrap();
    let old = Claim {
        token: "old",
        now: 1000,
        until: 31_000,
    };
    assert_eq!(ids(&store.claim_events(old, 5).await.unwrap()), ["e1"]);
    // The lease ended at 31000: claimable from then on.
    let new = store.claim_events(claim("new", 31_000), 5).await.unwrap();
    assert_eq!(ids(&new), ["e1"]);
    // The slow old holder comes back: nothing it does changes the row.
    assert!(!store.complete_event("e1", "old").await.unwrap());
    assert!(!store.reschedule_event("e1", "old", 99).await.unwrap());
    assert!(!store.give_up_event("e1", "old").await.unwrap());
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM webhook_outbox WHERE claim_token = 'new' \
             AND claimed_until = 61000 AND attempts = 0 AND next_attempt_at = 1000"
        )
        .await,
        1
    );
    // Still the new holder's: not claimable during its lease.
    assert!(store
        .claim_events(claim("third", 60_999), 5)
        .await
        .unwrap()
        .is_empty());
    assert!(store.complete_event("e1", "new").await.unwrap());
    assert_eq!(db.scalar("SELECT COUNT(*) FROM webhook_outbox").await, 0);
}

async fn a_rescheduled_event_counts_its_attempt_and_waits_for_its_time(db: Db) {
    let store = db.store().await;
    store.enqueue_event(&event("e1", 1000)).await.unwrap();
    store.claim_events(claim("a", 1000), 5).await.unwrap();
    assert!(store.reschedule_event("e1", "a", 5000).await.unwrap());
    // The lease is cleared, and the event waits for its new time, not for
    // the old lease.
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM webhook_outbox WHERE claimed_until IS NULL")
            .await,
        1
    );
    assert!(store
        .claim_events(claim("b", 4999), 5)
        .await
        .unwrap()
        .is_empty());
    let again = store.claim_events(claim("b", 5000), 5).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].attempts, again[0].next_attempt_at), (1, 5000));
    // The old token holds nothing any more.
    assert!(!store.reschedule_event("e1", "a", 9000).await.unwrap());
    assert!(store.reschedule_event("e1", "b", 9000).await.unwrap());
    let third = store.claim_events(claim("c", 9000), 5).await.unwrap();
    assert_eq!(third[0].attempts, 2);
    // Giving up deletes it, once.
    assert!(store.give_up_event("e1", "c").await.unwrap());
    assert!(!store.give_up_event("e1", "c").await.unwrap());
    assert_eq!(db.scalar("SELECT COUNT(*) FROM webhook_outbox").await, 0);
}

async fn deleting_a_tenant_deletes_its_waiting_events(db: Db) {
    let store = db.store().await;
    store.enqueue_event(&event("e1", 1000)).await.unwrap();
    let mut other = event("e2", 1000);
    other.tenant_id = "t2".into();
    store.enqueue_event(&other).await.unwrap();
    // An event of no tenant is refused.
    let mut orphan = event("e3", 1000);
    orphan.tenant_id = "nobody".into();
    assert!(store.enqueue_event(&orphan).await.is_err());
    db.execute("DELETE FROM tenants WHERE id = 't2'").await;
    let left = store.claim_events(claim("a", 1000), 5).await.unwrap();
    assert_eq!(ids(&left), ["e1"]);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM webhook_outbox").await, 1);
}

/// Claimers on `stores` (each store stands for one instance) take `n` due
/// events in small batches, all at once, holding their leases; every event
/// must come out exactly once.
pub(crate) async fn race_claims(stores: &[Arc<dyn Store>], n: usize) {
    for i in 0..n {
        stores[0]
            .enqueue_event(&event(&format!("e{i:04}"), 1000))
            .await
            .unwrap();
    }
    let claimers = 8;
    let barrier = Arc::new(tokio::sync::Barrier::new(claimers));
    let tasks: Vec<_> = (0..claimers)
        .map(|c| {
            let store = stores[c % stores.len()].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut got = Vec::new();
                for round in 0.. {
                    let token = format!("claimer{c}-{round}");
                    let claimed = store.claim_events(claim(&token, 2000), 5).await.unwrap();
                    // (More than all of them: some came twice; stop.)
                    if claimed.is_empty() || got.len() > n {
                        break;
                    }
                    got.extend(claimed.into_iter().map(|e| e.event_id));
                }
                got
            })
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut claimers_with_events = 0;
    for task in tasks {
        let got = task.await.unwrap();
        claimers_with_events += usize::from(!got.is_empty());
        for id in got {
            *seen.entry(id).or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "claimed more than once: {twice:?}");
    assert_eq!(seen.len(), n, "every event claimed");
    assert!(claimers_with_events > 1, "the claimers did race");
}

async fn concurrent_claims_never_hand_out_one_event_twice(db: Db) {
    let store = db.store().await;
    race_claims(&[store.clone(), store], 300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_claiming_together_never_share_an_event() {
    let db = Db::postgres().await;
    let a = db.store().await;
    let b = db.open(0).await;
    race_claims(&[a, b], 600).await;
}
