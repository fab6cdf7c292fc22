//! The Store contract, run against the SQLite backend (file-backed, WAL).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assent_relay::store::sqlite::SqliteStore;
use assent_relay::store::{
    AnswerOutcome, ChallengeRecord, ChallengeState, DeviceRecord, EnrollmentRecord, RemovalRecord,
    Store, StoreError, Tenant,
};

async fn file_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("relay.db").display());
    let store = SqliteStore::open(&url, 4).await.unwrap();
    for id in ["t1", "t2"] {
        store
            .create_tenant(&Tenant {
                id: id.into(),
                name: format!("name-{id}"),
                created_at: 0,
            })
            .await
            .unwrap();
    }
    (dir, store)
}

fn enrollment(eid: &str, tenant: &str, expires_at: i64) -> EnrollmentRecord {
    EnrollmentRecord {
        eid: eid.into(),
        tenant_id: tenant.into(),
        created_at: 0,
        expires_at,
        registration: None,
        device_pub: None,
        registered_at: None,
        answer: None,
        device_id: None,
    }
}

fn device(id: &str, tenant: &str) -> DeviceRecord {
    DeviceRecord {
        device_id: id.into(),
        tenant_id: tenant.into(),
        device_pub: vec![4; 65],
        platform: "poll".into(),
        push_token: String::new(),
        push_seq: 0,
        created_at: 0,
        unenroll: None,
        unenroll_at: None,
    }
}

fn challenge(id: &str, device: &str, expires_at: i64) -> ChallengeRecord {
    ChallengeRecord {
        challenge_id: id.into(),
        push_id: format!("push-{id}"),
        tenant_id: "t1".into(),
        device_id: device.into(),
        challenge: "{}".into(),
        created_at: 0,
        expires_at,
        state: ChallengeState::Pending,
        answer: None,
        answered_at: None,
    }
}

#[tokio::test]
async fn enrollment_registers_once_and_delivers_once() {
    let (_dir, store) = file_store().await;
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

#[tokio::test]
async fn expired_enrollments_refuse_registration() {
    let (_dir, store) = file_store().await;
    store
        .announce_enrollment(&enrollment("e1", "t1", 100))
        .await
        .unwrap();
    assert!(!store.register("e1", "reg", &[4; 65], 100).await.unwrap());
    assert!(!store.register("nope", "reg", &[4; 65], 1).await.unwrap());
}

#[tokio::test]
async fn answers_are_stored_exactly_once_while_pending() {
    let (_dir, store) = file_store().await;
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
        .create_challenge(&challenge("c1", "d1", 50))
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c2", "d1", 50))
        .await
        .unwrap();
    assert!(matches!(
        store.create_challenge(&challenge("c1", "d1", 50)).await,
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

#[tokio::test]
async fn push_tokens_only_move_forward() {
    let (_dir, store) = file_store().await;
    store
        .announce_enrollment(&enrollment("e1", "t1", 100))
        .await
        .unwrap();
    store.register("e1", "r", &[4; 65], 1).await.unwrap();
    store
        .deliver_enrollment("e1", "a", &device("d1", "t1"), 2)
        .await
        .unwrap();
    assert!(store
        .update_push_token("d1", "ios", "tok5", 5)
        .await
        .unwrap());
    assert!(!store
        .update_push_token("d1", "ios", "tok4", 4)
        .await
        .unwrap());
    assert!(!store
        .update_push_token("d1", "ios", "tok5b", 5)
        .await
        .unwrap());
    let d = store.device("d1").await.unwrap().unwrap();
    assert_eq!((d.push_token.as_str(), d.push_seq), ("tok5", 5));
    assert!(!format!("{d:?}").contains("tok5"));
}

#[tokio::test]
async fn removal_deletes_device_and_challenges_for_its_tenant_only() {
    let (_dir, store) = file_store().await;
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
        .create_challenge(&challenge("c1", "d1", 50))
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

#[tokio::test]
async fn purge_removes_only_expired_records() {
    let (_dir, store) = file_store().await;
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
        .create_challenge(&challenge("c-old", "d1", 10))
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c-answered", "d1", 10))
        .await
        .unwrap();
    store
        .create_challenge(&challenge("c-new", "d1", 1000))
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
