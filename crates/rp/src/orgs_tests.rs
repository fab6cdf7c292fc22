//! Organizations through the [`Rp`](crate::Rp) API, on every store: the requirement,
//! who must enroll, the admin's list, reminders once per interval.

use std::sync::Arc;

use assent_protocol::ApprovalKind;

use crate::test_push::{push_fixture, PushFixture};
use crate::test_support::{on_every_store, rng};
use crate::{Error, Event, MemberAdded, OrgPolicy, Reminder, RpStore, REMINDER_INTERVAL};

const REQUIRED: OrgPolicy = OrgPolicy {
    require_two_step: true,
};

async fn setup(s: Arc<dyn RpStore>) -> PushFixture {
    let mut f = push_fixture(s);
    // alice has a phone; bob and carol have nothing yet.
    f.enroll("alice", ApprovalKind::Number, 11).await;
    for account in ["alice", "bob", "carol"] {
        assert_eq!(
            f.rp.add_org_member("acme", account).await.unwrap(),
            MemberAdded::Added
        );
    }
    f
}

async fn members_without_two_step_must_enroll_once_it_is_required(s: Arc<dyn RpStore>) {
    let f = setup(s).await;
    // Not required yet: nobody is held.
    for account in ["alice", "bob", "carol", "dave"] {
        assert!(!f.rp.must_enroll(account).await.unwrap(), "{account}");
    }
    f.rp.set_org_policy("acme", REQUIRED).await.unwrap();
    assert!(!f.rp.must_enroll("alice").await.unwrap(), "has a phone");
    assert!(f.rp.must_enroll("bob").await.unwrap());
    assert!(f.rp.must_enroll("carol").await.unwrap());
    assert!(!f.rp.must_enroll("dave").await.unwrap(), "not a member");

    // bob turns it on (backup codes are a second factor): free again.
    f.rp.generate_backup_codes("bob", &mut rng(3))
        .await
        .unwrap();
    assert!(!f.rp.must_enroll("bob").await.unwrap());

    let without: Vec<_> =
        f.rp.members_without_two_step("acme")
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.account)
            .collect();
    assert_eq!(without, ["carol"]);
    let all = f.rp.org_members("acme").await.unwrap();
    assert_eq!(
        all.iter()
            .map(|m| (m.account.as_str(), m.two_step))
            .collect::<Vec<_>>(),
        [("alice", true), ("bob", true), ("carol", false)]
    );

    // Leaving the organization ends the requirement; turning it off too.
    assert!(f.rp.remove_org_member("acme", "carol").await.unwrap());
    assert!(!f.rp.must_enroll("carol").await.unwrap());
    f.rp.add_org_member("acme", "carol").await.unwrap();
    f.rp.set_org_policy("acme", OrgPolicy::default())
        .await
        .unwrap();
    assert!(!f.rp.must_enroll("carol").await.unwrap());
}

async fn a_reminder_goes_out_once_per_interval(s: Arc<dyn RpStore>) {
    let f = setup(s).await;
    f.rp.set_org_policy("acme", REQUIRED).await.unwrap();
    assert_eq!(
        f.rp.send_two_step_reminder("acme", "bob").await.unwrap(),
        Reminder::Sent
    );
    let at = f.now();
    assert!(f.events.all().contains(&Event::TwoStepReminder {
        account: "bob".into(),
        organization: "acme".into(),
        at,
    }));
    f.clock.advance(60);
    assert_eq!(
        f.rp.send_two_step_reminder("acme", "bob").await.unwrap(),
        Reminder::TooSoon {
            retry_after: REMINDER_INTERVAL - 60
        }
    );
    f.clock.advance(REMINDER_INTERVAL - 60);
    assert_eq!(
        f.rp.send_two_step_reminder("acme", "bob").await.unwrap(),
        Reminder::Sent
    );
    assert_eq!(
        f.rp.send_two_step_reminder("acme", "alice").await.unwrap(),
        Reminder::NotNeeded
    );
    assert_eq!(
        f.rp.send_two_step_reminder("globex", "bob").await.unwrap(),
        Reminder::NotMember
    );
    let reminders = f
        .events
        .all()
        .iter()
        .filter(|e| matches!(e, Event::TwoStepReminder { .. }))
        .count();
    assert_eq!(reminders, 2);
}

/// Two admins click "remind" at the same moment: one reminder.
async fn concurrent_reminders_send_one(s: Arc<dyn RpStore>) {
    let f = setup(s).await;
    let (a, b) = tokio::join!(
        f.rp.send_two_step_reminder("acme", "carol"),
        f.rp.send_two_step_reminder("acme", "carol")
    );
    let sent = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|r| **r == Reminder::Sent)
        .count();
    assert_eq!(sent, 1);
}

async fn bad_organization_names_are_refused(s: Arc<dyn RpStore>) {
    let f = push_fixture(s);
    for name in ["", "   ", "a\nb", &"x".repeat(129)] {
        assert!(matches!(
            f.rp.add_org_member(name, "bob").await,
            Err(Error::InvalidOrganization)
        ));
        assert!(matches!(
            f.rp.set_org_policy(name, REQUIRED).await,
            Err(Error::InvalidOrganization)
        ));
    }
    assert_eq!(f.rp.organization_of("bob").await.unwrap(), None);
}

on_every_store!(
    members_without_two_step_must_enroll_once_it_is_required,
    a_reminder_goes_out_once_per_interval,
    concurrent_reminders_send_one,
    bad_organization_names_are_refused,
);
