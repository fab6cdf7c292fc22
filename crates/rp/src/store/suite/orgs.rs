//! The store suite for organizations.

use super::*;

async fn org_policies_are_stored_per_organization(s: Store) {
    assert_eq!(s.org_policy("acme").await.unwrap(), None);
    let on = OrgPolicy {
        require_two_step: true,
    };
    s.set_org_policy("acme", &on).await.unwrap();
    assert_eq!(s.org_policy("acme").await.unwrap(), Some(on));
    assert_eq!(s.org_policy("other").await.unwrap(), None);
    s.set_org_policy("acme", &OrgPolicy::default())
        .await
        .unwrap();
    assert_eq!(
        s.org_policy("acme").await.unwrap(),
        Some(OrgPolicy::default())
    );
}

async fn an_account_belongs_to_one_organization_at_most(s: Store) {
    assert_eq!(
        s.add_org_member("acme", "a", 10).await.unwrap(),
        MemberAdded::Added
    );
    assert_eq!(
        s.add_org_member("acme", "a", 11).await.unwrap(),
        MemberAdded::AlreadyMember
    );
    assert_eq!(
        s.add_org_member("globex", "a", 12).await.unwrap(),
        MemberAdded::InOther("acme".into())
    );
    assert_eq!(s.org_of("a").await.unwrap().as_deref(), Some("acme"));
    assert_eq!(
        s.add_org_member("acme", "b", 10).await.unwrap(),
        MemberAdded::Added
    );
    assert_eq!(
        s.add_org_member("acme", "c", 5).await.unwrap(),
        MemberAdded::Added
    );
    let members: Vec<_> = s
        .org_members("acme")
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.account, m.joined_at))
        .collect();
    assert_eq!(
        members,
        [("c".into(), 5), ("a".into(), 10), ("b".into(), 10)]
    );

    // Removal only from the organization it is in.
    assert!(!s.remove_org_member("globex", "a").await.unwrap());
    assert!(s.remove_org_member("acme", "a").await.unwrap());
    assert!(!s.remove_org_member("acme", "a").await.unwrap());
    assert_eq!(s.org_of("a").await.unwrap(), None);
    assert_eq!(
        s.add_org_member("globex", "a", 20).await.unwrap(),
        MemberAdded::Added
    );

    s.delete_account("b").await.unwrap();
    assert_eq!(s.org_of("b").await.unwrap(), None);
    assert_eq!(s.org_members("acme").await.unwrap().len(), 1);
}

async fn a_reminder_is_stamped_once_per_interval(s: Store) {
    s.add_org_member("acme", "a", 10).await.unwrap();
    assert!(s.stamp_org_reminder("acme", "a", 100, 40).await.unwrap());
    // Reminded at 100: not again while 100 is after `not_after`.
    assert!(!s.stamp_org_reminder("acme", "a", 150, 90).await.unwrap());
    assert!(s.stamp_org_reminder("acme", "a", 200, 100).await.unwrap());
    assert_eq!(
        s.org_members("acme").await.unwrap()[0].reminded_at,
        Some(200)
    );
    // Not a member (of this organization): nothing stamped.
    assert!(!s.stamp_org_reminder("globex", "a", 900, 800).await.unwrap());
    assert!(!s.stamp_org_reminder("acme", "b", 900, 800).await.unwrap());
}

/// Two additions of one account to two organizations at once: exactly one wins.
async fn concurrent_additions_to_two_organizations_cannot_both_win(s: Store) {
    for i in 0..10 {
        let account = format!("racer{i}");
        let (a, b) = tokio::join!(
            s.add_org_member("acme", &account, 1),
            s.add_org_member("globex", &account, 1)
        );
        let added = [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|r| **r == MemberAdded::Added)
            .count();
        assert_eq!(added, 1, "{account}");
    }
}

on_every_store!(
    org_policies_are_stored_per_organization,
    an_account_belongs_to_one_organization_at_most,
    a_reminder_is_stamped_once_per_interval,
    concurrent_additions_to_two_organizations_cannot_both_win,
);
