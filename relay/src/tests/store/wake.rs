//! Wake-ups across instances: a long-poll parked on instance A ends when the
//! change it waits for is made through instance B (PostgreSQL `NOTIFY`, A's
//! listener), also when A's listener lost its connection in between.

use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::*;
use crate::metrics::Metrics;
use crate::store::Admission;
use crate::waiters::{keys, WaitEnd, Waiters};

/// Instance A with its listener running (until the sender drops), and B.
struct Instances {
    db: Db,
    a: Arc<dyn Store>,
    b: Arc<dyn Store>,
    waiters: Arc<Waiters>,
    metrics: Arc<Metrics>,
    _stop: watch::Sender<bool>,
}

async fn instances() -> Instances {
    let db = Db::postgres().await;
    let a = db.store().await;
    let b = db.open(0).await;
    let (waiters, metrics) = (Arc::new(Waiters::new()), Arc::new(Metrics::new()));
    let (stop, stopped) = watch::channel(false);
    drop(
        a.wake_listener()
            .unwrap()
            .spawn(waiters.clone(), metrics.db.clone(), stopped),
    );
    until(|| a.wake_listener_ready()).await;
    Instances {
        db,
        a,
        b,
        waiters,
        metrics,
        _stop: stop,
    }
}

async fn until(condition: impl Fn() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "condition never held"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Parks a long-poll on A for challenge `id`'s answer (20 s at most);
/// returns how it ended and how long it waited.
fn park_for_answer(
    at: &Instances,
    id: &'static str,
) -> tokio::task::JoinHandle<(WaitEnd, Duration)> {
    let (waiters, a) = (at.waiters.clone(), at.a.clone());
    tokio::spawn(async move {
        let start = Instant::now();
        let end = waiters
            .wait(&keys::challenge(id), Duration::from_secs(20), || async {
                Ok::<_, crate::store::StoreError>(
                    a.challenge(id)
                        .await?
                        .is_some_and(|c| c.state == ChallengeState::Answered),
                )
            })
            .await
            .unwrap();
        (end, start.elapsed())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answer_through_another_instance_ends_a_long_poll_here() {
    let at = instances().await;
    with_device(&*at.a).await;
    at.a.create_challenge(&challenge("c1", "d1", 50), Admission::pending(4))
        .await
        .unwrap();
    let parked = park_for_answer(&at, "c1");
    until(|| at.waiters.len() == 1).await;
    // Only B knows of the answer: no local wake on A.
    at.b.answer_challenge("d1", "c1", "yes", 10).await.unwrap();
    let (end, waited) = parked.await.unwrap();
    assert_eq!(
        end,
        WaitEnd::Woken,
        "woken by the notification, not the timeout"
    );
    eprintln!("woken {waited:?} after parking (includes the parking itself)");
    let metrics = at.metrics.render().unwrap();
    assert!(
        !metrics.contains("assent_relay_db_wake_lag_seconds_count 0"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_challenge_created_through_another_instance_ends_the_phones_long_poll_here() {
    let at = instances().await;
    with_device(&*at.a).await;
    let (waiters, a) = (at.waiters.clone(), at.a.clone());
    let parked = tokio::spawn(async move {
        waiters
            .wait(&keys::device("d1"), Duration::from_secs(20), || async {
                Ok::<_, crate::store::StoreError>(a.count_pending("d1", 10).await? > 0)
            })
            .await
            .unwrap()
    });
    until(|| at.waiters.len() == 1).await;
    at.b.create_challenge(&challenge("c1", "d1", 50), Admission::pending(4))
        .await
        .unwrap();
    assert_eq!(parked.await.unwrap(), WaitEnd::Woken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_and_enrollment_answers_through_another_instance_wake_here() {
    let at = instances().await;
    at.a.announce_enrollment(&enrollment("e1", "t1", 100))
        .await
        .unwrap();
    let wait_for = |key: String, ready: fn(&EnrollmentRecord) -> bool| {
        let (waiters, a) = (at.waiters.clone(), at.a.clone());
        tokio::spawn(async move {
            waiters
                .wait(&key, Duration::from_secs(20), || async {
                    Ok::<_, crate::store::StoreError>(
                        a.enrollment("e1").await?.as_ref().is_some_and(ready),
                    )
                })
                .await
                .unwrap()
        })
    };
    let by_eid = wait_for(keys::registration("e1"), |e| e.registration.is_some());
    let by_tenant = wait_for(keys::tenant_registrations("t1"), |e| {
        e.registration.is_some()
    });
    let answer = wait_for(keys::enrollment_answer("e1"), |e| e.answer.is_some());
    until(|| at.waiters.len() == 3).await;
    assert!(at.b.register("e1", "reg", &[4; 65], 1).await.unwrap());
    assert_eq!(by_eid.await.unwrap(), WaitEnd::Woken);
    assert_eq!(by_tenant.await.unwrap(), WaitEnd::Woken);
    assert!(!answer.is_finished());
    assert!(at
        .b
        .deliver_enrollment("e1", "answer", &device("d1", "t1"), 2)
        .await
        .unwrap());
    assert_eq!(answer.await.unwrap(), WaitEnd::Woken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answer_made_while_the_listener_was_down_still_ends_the_long_poll() {
    let at = instances().await;
    with_device(&*at.a).await;
    at.a.create_challenge(&challenge("c1", "d1", 50), Admission::pending(4))
        .await
        .unwrap();
    let parked = park_for_answer(&at, "c1");
    until(|| at.waiters.len() == 1).await;
    // Cut A's listener connection (as a network blip or a restarted
    // PostgreSQL would), and answer through B while it is down: that
    // notification is lost. Only this test's database: the server is shared
    // with tests running beside this one.
    at.db
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'assent-relay' \
             AND query ILIKE 'LISTEN%'",
        )
        .await;
    until(|| !at.a.wake_listener_ready()).await;
    at.b.answer_challenge("d1", "c1", "yes", 10).await.unwrap();
    // The reconnect wakes every waiter, which re-reads and finds the answer.
    let (end, _) = parked.await.unwrap();
    assert_eq!(end, WaitEnd::Woken);
    until(|| at.a.wake_listener_ready()).await;
    let metrics = at.metrics.render().unwrap();
    assert!(
        metrics.contains("assent_relay_db_listener_reconnects_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("assent_relay_db_listener_up 1"));
}
