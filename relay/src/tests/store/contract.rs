//! What every backend must do, each test on a new SQLite file and a new
//! PostgreSQL database.

use super::*;
use crate::store::{Admission, AnswerOutcome, CreateOutcome, StoreError};

on_both_backends!(
    the_challenge_window_is_kept_in_the_database,
    a_schema_from_a_newer_relay_is_refused_and_left_alone,
    enrollment_registers_once_and_delivers_once,
    expired_enrollments_refuse_registration,
    answers_are_stored_exactly_once_while_pending,
    push_tokens_only_move_forward,
    removal_deletes_device_and_challenges_for_its_tenant_only,
    purge_removes_only_expired_records,
    challenge_creation_checks_tenant_and_pending_limit,
    concurrent_creations_never_overshoot_the_pending_limit,
    cached_devices_follow_the_stores_own_writes_at_once,
    a_key_revoked_through_the_store_is_refused_at_once,
    a_key_revoked_by_another_process_is_refused_within_the_cache_lifetime,
    unknown_ids_are_not_cached,
    a_stored_answer_is_read_back_at_once_under_concurrency,
    removing_a_device_drops_its_cached_challenges,
    a_failing_write_in_a_group_changes_nothing_and_spares_the_others,
);

async fn enrollment_registers_once_and_delivers_once(db: Db) {
    let store = db.store().await;
    store
        .announce_enrollment(&enrollment("e1", "t1", 100))
        .await
        .unwrap();
    assert!(matches!(
        store
            .announce_enrollment(&enrollment("e1", "t2", 100))
            .await,
        Err(StoreError::Conflict)
    ));
    // Not delivered before registration.
    assert!(!store
        .deliver_enrollment("e1", "{}", &device("d1", "t1"), 10)
        .await
        .unwrap());
    assert!(store.register("e1", "reg-1", &[4; 65], 10).await.unwrap());
    assert!(!store.register("e1", "reg-2", &[4; 65], 11).await.unwrap());
    let pending = store.pending_registrations("t1", 20, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].registration.as_deref(), Some("reg-1"));
    assert!(store
        .pending_registrations("t2", 20, 10)
        .await
        .unwrap()
        .is_empty());

    assert!(store
        .deliver_enrollment("e1", "answer", &device("d1", "t1"), 30)
        .await
        .unwrap());
    assert!(!store
        .deliver_enrollment("e1", "again", &device("d2", "t1"), 31)
        .await
        .unwrap());
    assert!(store.device("d2").await.unwrap().is_none());
    let e = store.enrollment("e1").await.unwrap().unwrap();
    assert_eq!(e.answer.as_deref(), Some("answer"));
    assert_eq!(e.device_id.as_deref(), Some("d1"));
    assert!(store
        .pending_registrations("t1", 40, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn expired_enrollments_refuse_registration(db: Db) {
    let store = db.store().await;
    store
        .announce_enrollment(&enrollment("e1", "t1", 100))
        .await
        .unwrap();
    assert!(!store.register("e1", "reg", &[4; 65], 100).await.unwrap());
    assert!(!store.register("nope", "reg", &[4; 65], 1).await.unwrap());
}

async fn answers_are_stored_exactly_once_while_pending(db: Db) {
    let store = db.store().await;
    store
        .announce_enrollment(&enrollment("e1", "t1", 100))
        .await
        .unwrap();
    store.register("e1", "r", &[4; 65], 1).await.unwrap();
    store
        .deliver_enrollment("e1", "a", &device("d1", "t1"), 2)
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c1", "d1", 50), Admission::pending(4))
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c2", "d1", 50), Admission::pending(4))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_challenge(&challenge("c1", "d1", 50), Admission::pending(4))
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.count_pending("d1", 10).await.unwrap(), 2);
    assert_eq!(store.count_pending("d1", 50).await.unwrap(), 0);

    assert_eq!(
        store.answer_challenge("d2", "c1", "x", 10).await.unwrap(),
        AnswerOutcome::Unknown
    );
    assert_eq!(
        store
            .answer_challenge("d1", "c1", "first", 10)
            .await
            .unwrap(),
        AnswerOutcome::Stored
    );
    assert_eq!(
        store
            .answer_challenge("d1", "c1", "second", 11)
            .await
            .unwrap(),
        AnswerOutcome::AlreadyAnswered("first".into())
    );
    assert_eq!(
        store
            .answer_challenge("d1", "c2", "late", 50)
            .await
            .unwrap(),
        AnswerOutcome::Expired
    );
    let pending = store.pending_challenges("d1", 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].challenge_id, "c2");
    let by_push = store
        .challenge_by_push_id("push-c1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_push.state, ChallengeState::Answered);
    assert_eq!(by_push.answer.as_deref(), Some("first"));
}

async fn push_tokens_only_move_forward(db: Db) {
    let store = db.store().await;
    with_device(&*store).await;
    // Never updated: the registration's token.
    assert_eq!(
        store.device("d1").await.unwrap().unwrap().push_token_at,
        None
    );
    assert!(store
        .update_push_token("d1", "ios", "tok5", 5, 105)
        .await
        .unwrap());
    assert!(!store
        .update_push_token("d1", "ios", "tok4", 4, 104)
        .await
        .unwrap());
    assert!(!store
        .update_push_token("d1", "ios", "tok5b", 5, 105)
        .await
        .unwrap());
    let d = store.device("d1").await.unwrap().unwrap();
    assert_eq!((d.push_token.as_str(), d.push_seq), ("tok5", 5));
    // The time of the update that applied, not of the refused ones.
    assert_eq!(d.push_token_at, Some(105));
    assert!(!format!("{d:?}").contains("tok5"));
}

async fn removal_deletes_device_and_challenges_for_its_tenant_only(db: Db) {
    let store = db.store().await;
    store
        .announce_enrollment(&enrollment("e1", "t1", 100))
        .await
        .unwrap();
    store.register("e1", "r", &[4; 65], 1).await.unwrap();
    store
        .deliver_enrollment("e1", "a", &device("d1", "t1"), 2)
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c1", "d1", 50), Admission::pending(4))
        .await
        .unwrap();
    store.request_unenroll("d1", "req", 3).await.unwrap();
    assert_eq!(store.unenroll_requests("t1", 10).await.unwrap().len(), 1);
    assert!(store.unenroll_requests("t2", 10).await.unwrap().is_empty());

    let removal = RemovalRecord {
        device_id: "d1".into(),
        tenant_id: "t1".into(),
        device_pub: vec![4; 65],
        confirmation: Some("conf".into()),
        removed_at: 5,
        expires_at: 500,
    };
    assert!(!store.remove_device("t2", "d1", &removal).await.unwrap());
    assert!(store.device("d1").await.unwrap().is_some());
    assert!(store.remove_device("t1", "d1", &removal).await.unwrap());
    assert!(store.device("d1").await.unwrap().is_none());
    assert!(store.challenge("c1").await.unwrap().is_none());
    assert_eq!(store.removal("d1").await.unwrap(), Some(removal));
}

async fn purge_removes_only_expired_records(db: Db) {
    let store = db.store().await;
    store
        .announce_enrollment(&enrollment("old", "t1", 10))
        .await
        .unwrap();
    store
        .announce_enrollment(&enrollment("new", "t1", 1000))
        .await
        .unwrap();
    store.register("new", "r", &[4; 65], 1).await.unwrap();
    store
        .deliver_enrollment("new", "a", &device("d1", "t1"), 2)
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c-old", "d1", 10), Admission::pending(4))
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c-answered", "d1", 10), Admission::pending(4))
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c-new", "d1", 1000), Admission::pending(4))
        .await
        .unwrap();
    store
        .answer_challenge("d1", "c-answered", "a", 5)
        .await
        .unwrap();
    let counts = store.purge_expired(100).await.unwrap();
    assert_eq!(counts.enrollments, 1);
    assert_eq!(counts.challenges, 2);
    assert_eq!(counts.unanswered_challenges, 1);
    assert!(store.enrollment("old").await.unwrap().is_none());
    assert!(store.enrollment("new").await.unwrap().is_some());
    assert!(store.challenge("c-new").await.unwrap().is_some());
}

async fn challenge_creation_checks_tenant_and_pending_limit(db: Db) {
    let store = db.store().await;
    with_device(&*store).await;
    let mut other_tenant = challenge("c-x", "d1", 50);
    other_tenant.tenant_id = "t2".into();
    assert_eq!(
        store
            .create_challenge(&other_tenant, Admission::pending(4))
            .await
            .unwrap(),
        CreateOutcome::UnknownDevice
    );
    assert_eq!(
        store
            .create_challenge(&challenge("c-y", "nope", 50), Admission::pending(4))
            .await
            .unwrap(),
        CreateOutcome::UnknownDevice
    );
    for id in ["c1", "c2"] {
        assert_eq!(
            store
                .create_challenge(&challenge(id, "d1", 50), Admission::pending(2))
                .await
                .unwrap(),
            CreateOutcome::Created
        );
    }
    assert_eq!(
        store
            .create_challenge(&challenge("c3", "d1", 50), Admission::pending(2))
            .await
            .unwrap(),
        CreateOutcome::TooManyPending
    );
    // Nothing was stored for the refused ones.
    for id in ["c-x", "c-y", "c3"] {
        assert!(store.challenge(id).await.unwrap().is_none(), "{id}");
    }
    // An answered challenge no longer counts.
    store.answer_challenge("d1", "c1", "x", 10).await.unwrap();
    assert_eq!(
        store
            .create_challenge(&challenge("c3", "d1", 50), Admission::pending(2))
            .await
            .unwrap(),
        CreateOutcome::Created
    );
}

async fn concurrent_creations_never_overshoot_the_pending_limit(db: Db) {
    let store = db.store().await;
    with_device(&*store).await;
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_challenge(
                        &challenge(&format!("c{i}"), "d1", 50),
                        Admission::pending(4),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        if task.await.unwrap() == CreateOutcome::Created {
            created += 1;
        }
    }
    assert_eq!(created, 4);
    assert_eq!(store.count_pending("d1", 10).await.unwrap(), 4);
}

async fn cached_devices_follow_the_stores_own_writes_at_once(db: Db) {
    let plain = db.store().await;
    with_device(&*plain).await;
    // A long lifetime: only invalidation can explain a fresh read.
    let store = db.open(60_000).await;
    assert_eq!(store.device("d1").await.unwrap().unwrap().push_token, "");
    assert!(store
        .update_push_token("d1", "ios", "tok-1", 1, 101)
        .await
        .unwrap());
    assert_eq!(
        store.device("d1").await.unwrap().unwrap().push_token,
        "tok-1"
    );
    assert!(store.drop_push_token("d1", "tok-1").await.unwrap());
    assert_eq!(store.device("d1").await.unwrap().unwrap().push_token, "");
    store.request_unenroll("d1", "req", 3).await.unwrap();
    assert_eq!(
        store
            .device("d1")
            .await
            .unwrap()
            .unwrap()
            .unenroll
            .as_deref(),
        Some("req")
    );
    let removal = removal_of_d1();
    assert!(store.remove_device("t1", "d1", &removal).await.unwrap());
    assert!(store.device("d1").await.unwrap().is_none());
}

async fn a_key_revoked_through_the_store_is_refused_at_once(db: Db) {
    let plain = db.store().await;
    plain.create_api_key(&api_key("k1")).await.unwrap();
    let store = db.open(60_000).await;
    assert_eq!(revoked_at(&*store, "k1").await, None);
    assert!(store.revoke_api_key("k1", 9).await.unwrap());
    assert_eq!(revoked_at(&*store, "k1").await, Some(9));
}

async fn a_key_revoked_by_another_process_is_refused_within_the_cache_lifetime(db: Db) {
    let admin = db.store().await;
    admin.create_api_key(&api_key("k1")).await.unwrap();
    let relay = db.open(300).await;
    assert_eq!(revoked_at(&*relay, "k1").await, None);
    // `assent-relay admin keys revoke` writes through its own connection.
    assert!(admin.revoke_api_key("k1", 9).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(revoked_at(&*relay, "k1").await, Some(9));
}

async fn unknown_ids_are_not_cached(db: Db) {
    let plain = db.store().await;
    let store = db.open(60_000).await;
    assert!(store.api_key("k1").await.unwrap().is_none());
    assert!(store.device("d1").await.unwrap().is_none());
    plain.create_api_key(&api_key("k1")).await.unwrap();
    with_device(&*plain).await;
    assert!(store.api_key("k1").await.unwrap().is_some());
    assert!(store.device("d1").await.unwrap().is_some());
}

async fn a_stored_answer_is_read_back_at_once_under_concurrency(db: Db) {
    // Many approvals at once through a caching store: after the answer is
    // stored, every read (by id and by push id) shows it, never the pending
    // record a cache held before.
    let plain = db.store().await;
    for i in 0..8 {
        let eid = format!("e{i}");
        registered(&*plain, &eid).await;
        plain
            .deliver_enrollment(&eid, "a", &device(&format!("d{i}"), "t1"), 2)
            .await
            .unwrap();
    }
    let store = db.open(60_000).await;
    let tasks: Vec<_> = (0..400)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let device = format!("d{}", i % 8);
                let record = challenge(&format!("c{i}"), &device, 50);
                let created = store
                    .create_challenge(&record, Admission::pending(1000))
                    .await
                    .unwrap();
                assert_eq!(created, CreateOutcome::Created);
                assert_eq!(
                    store
                        .answer_challenge(&device, &record.challenge_id, "yes", 10)
                        .await
                        .unwrap(),
                    AnswerOutcome::Stored
                );
                let read = store
                    .challenge(&record.challenge_id)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(read.state, ChallengeState::Answered);
                assert_eq!(read.answer.as_deref(), Some("yes"));
                let by_push = store
                    .challenge_by_push_id(&record.push_id)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(by_push.state, ChallengeState::Answered);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

async fn removing_a_device_drops_its_cached_challenges(db: Db) {
    let plain = db.store().await;
    with_device(&*plain).await;
    let store = db.open(60_000).await;
    let record = challenge("c1", "d1", 50);
    store
        .create_challenge(&record, Admission::pending(4))
        .await
        .unwrap();
    assert!(store.challenge("c1").await.unwrap().is_some());
    let removal = removal_of_d1();
    assert!(store.remove_device("t1", "d1", &removal).await.unwrap());
    assert!(store.challenge("c1").await.unwrap().is_none());
    assert!(store
        .challenge_by_push_id(&record.push_id)
        .await
        .unwrap()
        .is_none());
}

async fn a_failing_write_in_a_group_changes_nothing_and_spares_the_others(db: Db) {
    // Many writes at once, so the writer commits them in groups; some fail.
    let store = db.store().await;
    for i in 0..40 {
        let eid = format!("e{i}");
        registered(&*store, &eid).await;
    }
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                // Two enrollments per device id: one of each pair must fail
                // on the device insert, after its enrollment update ran.
                let device = device(&format!("d{}", i / 2), "t1");
                let delivered = store
                    .deliver_enrollment(&format!("e{i}"), "answer", &device, 2)
                    .await;
                // Unrelated single-statement writes in the same groups,
                // some of them failing (tenant name taken).
                let tenant = Tenant {
                    id: format!("x{i}"),
                    name: format!("name-{}", i % 20),
                    created_at: 0,
                };
                let created = store.create_tenant(&tenant).await;
                (i, delivered, created)
            })
        })
        .collect();
    let mut delivered = 0;
    let mut tenants = 0;
    for task in tasks {
        let (i, outcome, created) = task.await.unwrap();
        let stored = store.enrollment(&format!("e{i}")).await.unwrap().unwrap();
        match outcome {
            Ok(true) => {
                delivered += 1;
                assert_eq!(stored.answer.as_deref(), Some("answer"));
            }
            Err(StoreError::Conflict) => {
                // The enrollment update of the failed job was undone.
                assert_eq!(stored.answer, None, "e{i}");
                assert_eq!(stored.device_id, None, "e{i}");
            }
            other => panic!("e{i}: {other:?}"),
        }
        match created {
            Ok(()) => tenants += 1,
            Err(StoreError::Conflict) => {}
            Err(e) => panic!("x{i}: {e:?}"),
        }
    }
    assert_eq!(delivered, 20);
    assert_eq!(tenants, 20);
    assert_eq!(store.list_tenants().await.unwrap().len(), 2 + 20);
    for d in 0..20 {
        assert!(store.device(&format!("d{d}")).await.unwrap().is_some());
    }
}

async fn a_schema_from_a_newer_relay_is_refused_and_left_alone(db: Db) {
    db.store().await;
    // What a newer relay's migration 9999 leaves in sqlx's table.
    let checksum = if db.is_postgres() { "'\\x00'" } else { "x'00'" };
    db.execute(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, {checksum}, 0)"
    ))
    .await;
    let options = StoreOptions {
        max_connections: 1,
        cache_ttl: std::time::Duration::ZERO,
    };
    let refused = crate::store::connect(db.url(), options).await;
    let Err(StoreError::Schema(message)) = refused else {
        panic!("a newer schema must be refused");
    };
    assert!(
        message.contains("9999") && message.contains("newer relay"),
        "{message}"
    );
    // Nothing was changed: the tenants are still there.
    assert_eq!(db.scalar("SELECT COUNT(*) FROM tenants").await, 2);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM _sqlx_migrations").await,
        crate::store::migrations::latest_version() + 1
    );
}

async fn the_challenge_window_is_kept_in_the_database(db: Db) {
    let store = db.store().await;
    with_device(&*store).await;
    // 3 per 600 s, at most 1 pending at a time.
    let admission = Admission {
        max_pending: 1,
        window: crate::rate::ChallengeWindow {
            limit: 3,
            secs: 600,
        },
    };
    let create = |store: Arc<dyn Store>, id: &'static str| async move {
        let mut record = challenge(id, "d1", 1000);
        record.created_at = 100;
        store.create_challenge(&record, admission).await.unwrap()
    };
    assert_eq!(create(store.clone(), "c1").await, CreateOutcome::Created);
    // Refused for the pending limit: takes nothing from the window.
    assert_eq!(
        create(store.clone(), "c2").await,
        CreateOutcome::TooManyPending
    );
    store.answer_challenge("d1", "c1", "a", 101).await.unwrap();
    assert_eq!(create(store.clone(), "c3").await, CreateOutcome::Created);
    store.answer_challenge("d1", "c3", "a", 101).await.unwrap();
    // A restart (a new store on the same database) does not refill it.
    let restarted = db.open(0).await;
    assert_eq!(
        create(restarted.clone(), "c4").await,
        CreateOutcome::Created
    );
    restarted
        .answer_challenge("d1", "c4", "a", 101)
        .await
        .unwrap();
    assert_eq!(
        create(restarted.clone(), "c5").await,
        CreateOutcome::WindowUsed
    );
    assert!(restarted.challenge("c5").await.unwrap().is_none());
    // Another device has its own window.
    with_device_named(&*restarted, "e2", "d2").await;
    let mut other = challenge("c6", "d2", 1000);
    other.created_at = 100;
    assert_eq!(
        restarted.create_challenge(&other, admission).await.unwrap(),
        CreateOutcome::Created
    );
}
