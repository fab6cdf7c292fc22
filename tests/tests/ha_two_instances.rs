//! Two relay instances on one PostgreSQL database behind a round-robin balancer
//! (`assent_tests::relay_pair`): what one instance stores, the other serves and
//! wakes on; limits are shared; an answer is taken once; every challenge is pushed
//! once; a revoked key and a removed device are refused by both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use assent_core::https::HttpsTransport;
use assent_core::{Decision, DeviceCall, DeviceInfo, RelayReply, RelayTransport, TransportError};
use assent_protocol::{ApprovalKind, Challenge, Platform, RelayUrl};
use assent_rp::relay_http::HttpRelay;
use assent_rp::{ChallengeStatus, PushPolicy};
use assent_tests::real_relay::{eventually, https_client, signed_request_to, RealPhone, Site};
use assent_tests::relay_pair::RelayPair;
use assent_tests::rp_id;

/// A phone transport that sends every call to one instance, whatever relay URL
/// the enrollment names (the requests stay signed for that URL).
struct Pinned {
    inner: HttpsTransport,
    to: RelayUrl,
}

#[async_trait::async_trait]
impl RelayTransport for Pinned {
    async fn call(
        &self,
        _relay: &RelayUrl,
        call: DeviceCall,
    ) -> Result<RelayReply, TransportError> {
        self.inner.call(&self.to, call).await
    }
}

/// A phone with a push token (so every challenge is pushed) whose requests all go
/// to instance `i`.
fn phone_on(pair: &RelayPair, i: usize, seed: u64, name: &str) -> RealPhone {
    let transport = Arc::new(Pinned {
        inner: HttpsTransport::with_extra_ca(pair.ca.ca_pem().as_bytes()).unwrap(),
        to: RelayUrl::parse(&pair.direct(i)).unwrap(),
    });
    RealPhone::with_device(
        transport,
        pair.clock.clone(),
        seed,
        DeviceInfo {
            platform: Platform::Ios,
            name: name.to_owned(),
            push_token: format!("apns-token-{seed}"),
        },
    )
}

/// The RP through the balancer (which the tests point at one instance or both).
async fn site(pair: &RelayPair, key: &str, seed: u64) -> Site {
    site_with(pair, key, seed, PushPolicy::default()).await
}

async fn site_with(pair: &RelayPair, key: &str, seed: u64, policy: PushPolicy) -> Site {
    Site::on(
        pair.origin.clone(),
        pair.ca.ca_pem(),
        pair.clock.clone(),
        key,
        policy,
        seed,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rp_on_one_instance_and_a_phone_on_the_other_approve_with_prompt_wake_ups() {
    let pair = RelayPair::start(8).await;
    let key = pair.tenant("example.com").await;
    // The RP reaches only instance 0, the phone only instance 1.
    pair.balancer.set_backends(vec![pair.addrs[0]]);
    let mut site = site(&pair, &key, 1).await;
    let mut phone = phone_on(&pair, 1, 2, "Alice's phone");
    site.enroll(&mut phone, "alice", ApprovalKind::Number).await;

    let mut pushed = Vec::new();
    for round in 0..3 {
        let started = site.start("alice").await.unwrap();
        let view = phone.the_pending().await;
        // The RP's long-poll is parked on instance 0; the answer goes to 1.
        let parked = {
            let (rp, handle) = (site.rp.clone(), started.handle);
            tokio::spawn(async move {
                let status = rp
                    .poll_challenge(&handle, Duration::from_secs(20))
                    .await
                    .unwrap();
                (status, rp.redeem(&handle).await.is_ok())
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let answered_at = Instant::now();
        phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await
            .unwrap();
        let (status, redeemed) = parked.await.unwrap();
        // Woken by the answer through the other instance: a missed wake-up would
        // have returned the challenge pending after the 20 s wait.
        assert_eq!(status, ChallengeStatus::Approved, "round {round}");
        eprintln!(
            "round {round}: RP woken {:?} after the answer",
            answered_at.elapsed()
        );
        assert!(redeemed, "round {round}");
        pushed.push(view.challenge_id);
    }
    // No phone traffic went through the balancer, so each instance did its part.
    assert_eq!(
        pair.balancer.served[1].load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    // Each challenge was pushed once, by the instance that stored it.
    let counts = pair.pushes.counts();
    assert_eq!(counts.len(), pushed.len(), "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phones_long_poll_on_one_instance_ends_when_a_challenge_is_created_through_the_other() {
    let pair = RelayPair::start(8).await;
    let key = pair.tenant("example.com").await;
    pair.balancer.set_backends(vec![pair.addrs[0]]);
    let mut site = site(&pair, &key, 3).await;
    let mut phone = phone_on(&pair, 1, 4, "Alice's phone");
    let alice = site.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    let http = https_client(pair.ca.ca_pem());
    let base = pair.direct(1);
    let (reply, started) = tokio::join!(
        signed_request_to(
            &http,
            &base,
            &phone,
            &alice.account_id,
            &pair.origin,
            pair.clock.now(),
            "GET",
            "/v1/challenges?wait=20",
            "",
        ),
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            site.start("alice").await.unwrap()
        }
    );
    assert_eq!(reply.status, 200);
    let listed = reply.json()["challenges"].as_array().unwrap().clone();
    // Woken by the challenge stored through instance 0 (not the 20 s wait).
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["challenge_id"].as_str(),
        Some(started.challenge_id.to_string().as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_sent_to_both_instances_at_once_are_taken_once() {
    let pair = RelayPair::start(8).await;
    let key = pair.tenant("example.com").await;
    let policy = PushPolicy {
        max_per_window: 100,
        ..PushPolicy::default()
    };
    let mut site = site_with(&pair, &key, 5, policy).await;
    let mut phone = phone_on(&pair, 0, 6, "Alice's phone");
    let alice = site.enroll(&mut phone, "alice", ApprovalKind::Code).await;
    let http = https_client(pair.ca.ca_pem());
    for round in 0..8 {
        let started = site.start("alice").await.unwrap();
        let challenge = {
            let reply = signed_request_to(
                &http,
                &pair.direct(0),
                &phone,
                &alice.account_id,
                &pair.origin,
                pair.clock.now(),
                "GET",
                "/v1/challenges",
                "",
            )
            .await;
            Challenge::from_json(reply.json()["challenges"][0].to_string().as_bytes()).unwrap()
        };
        // An approval to one instance and a denial to the other, at the same moment.
        let approve = phone.make_answer(
            &alice.account_id,
            &challenge,
            assent_protocol::Decision::Approve,
            started.display.as_str(),
        );
        let deny = phone.make_answer(
            &alice.account_id,
            &challenge,
            assent_protocol::Decision::Deny,
            "",
        );
        let path = assent_protocol::api::ANSWER;
        let (to_a, to_b) = if round % 2 == 0 { (0, 1) } else { (1, 0) };
        let (base_a, base_b) = (pair.direct(to_a), pair.direct(to_b));
        let (body_a, body_b) = (approve.to_json(), deny.to_json());
        let now = pair.clock.now();
        let (first, second) = tokio::join!(
            signed_request_to(
                &http,
                &base_a,
                &phone,
                &alice.account_id,
                &pair.origin,
                now,
                "POST",
                path,
                &body_a,
            ),
            signed_request_to(
                &http,
                &base_b,
                &phone,
                &alice.account_id,
                &pair.origin,
                now,
                "POST",
                path,
                &body_b,
            ),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: exactly one answer is taken"
        );
        let expected = if first.status == 200 {
            ChallengeStatus::Approved
        } else {
            ChallengeStatus::Denied
        };
        let seen = site
            .rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(
            seen, expected,
            "round {round}: the RP sees the answer that was taken"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pending_limit_is_shared_by_the_instances() {
    let pair = RelayPair::start(2).await;
    let key = pair.tenant("example.com").await;
    // The RP's own limits wider than the relay's, so the relay's is what counts.
    let policy = PushPolicy {
        max_pending: 10,
        max_per_window: 100,
        ..PushPolicy::default()
    };
    let mut site = site_with(&pair, &key, 7, policy).await;
    let mut phone = phone_on(&pair, 0, 8, "Alice's phone");
    site.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    // The same RP state, reaching each instance directly.
    let rps = [0, 1].map(|i| {
        let relay = HttpRelay::with_extra_ca(
            RelayUrl::parse(&pair.direct(i)).unwrap(),
            &key,
            pair.ca.ca_pem().as_bytes(),
        )
        .unwrap();
        site.rp.clone().with_push(rp_id(), Arc::new(relay))
    });
    let mut created = 0;
    for attempt in 0..6 {
        let ctx = assent_tests::support::context(pair.clock.now());
        if rps[attempt % 2]
            .start_challenge("alice", &ctx, &mut site.rng)
            .await
            .is_ok()
        {
            created += 1;
        }
    }
    assert_eq!(
        created, 2,
        "two pending at most, whichever instance is asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_and_a_removed_device_are_refused_by_both_instances() {
    let pair = RelayPair::start(8).await;
    let key = pair.tenant("example.com").await;
    let mut site = site(&pair, &key, 9).await;
    let mut phone = phone_on(&pair, 0, 10, "Alice's phone");
    let alice = site.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    let http = https_client(pair.ca.ca_pem());

    // Warm both instances' caches with the device and the key.
    for i in 0..2 {
        let reply = signed_request_to(
            &http,
            &pair.direct(i),
            &phone,
            &alice.account_id,
            &pair.origin,
            pair.clock.now(),
            "GET",
            "/v1/challenges",
            "",
        )
        .await;
        assert_eq!(reply.status, 200);
        let status = rp_get(&http, &pair.direct(i), &key).await;
        assert_eq!(status, 200);
    }

    // The device is removed through instance 0 (the RP's removal call) …
    let relay0 = HttpRelay::with_extra_ca(
        RelayUrl::parse(&pair.direct(0)).unwrap(),
        &key,
        pair.ca.ca_pem().as_bytes(),
    )
    .unwrap();
    assent_rp::RelayApi::remove_device(&relay0, &alice.device_id)
        .await
        .unwrap();
    // … and instance 1 refuses it (unknown device) within its cache lifetime (1 s).
    let t = Instant::now();
    eventually(Duration::from_secs(5), || async {
        let reply = signed_request_to(
            &http,
            &pair.direct(1),
            &phone,
            &alice.account_id,
            &pair.origin,
            pair.clock.now(),
            "GET",
            "/v1/challenges",
            "",
        )
        .await;
        (reply.status == 404).then_some(())
    })
    .await;
    eprintln!(
        "removed device refused by the other instance after {:?}",
        t.elapsed()
    );

    // The key is revoked by the operator's command on the shared database.
    let out = std::process::Command::new(assent_tests::real_relay::binary("assent-relay"))
        .args([
            "--database-url",
            &pair.database_url,
            "admin",
            "key",
            "list",
            "example.com",
        ])
        .output()
        .unwrap();
    let listing = String::from_utf8(out.stdout).unwrap();
    let key_id = listing
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .find(|id| id.len() >= 8 && key.contains(*id))
        .unwrap_or_else(|| panic!("key id not listed: {listing}"))
        .to_owned();
    let out = std::process::Command::new(assent_tests::real_relay::binary("assent-relay"))
        .args([
            "--database-url",
            &pair.database_url,
            "admin",
            "key",
            "revoke",
            &key_id,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    for i in 0..2 {
        eventually(Duration::from_secs(5), || async {
            (rp_get(&http, &pair.direct(i), &key).await == 401).then_some(())
        })
        .await;
    }
}

/// An RP request with `key` to `base`: its status.
async fn rp_get(http: &reqwest::Client, base: &str, key: &str) -> u16 {
    http.get(format!("{base}/v1/rp/tenant"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
