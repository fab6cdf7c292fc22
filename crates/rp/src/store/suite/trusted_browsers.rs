//! The store suite for trusted browsers.

use super::*;

fn browser(id: &str, token_byte: u8, created_at: u64, expires_at: u64) -> TrustedBrowserRecord {
    TrustedBrowserRecord {
        info: TrustedBrowserInfo {
            id: id.into(),
            name: format!("browser {id}"),
            first_ip: Some("203.0.113.7".into()),
            last_ip: Some("203.0.113.7".into()),
            created_at,
            last_used_at: None,
            expires_at,
            revoked_at: None,
        },
        token_hash: [token_byte; 32],
    }
}

async fn trusted_browsers_are_found_by_account_and_token(s: Store) {
    assert!(s
        .insert_trusted_browser("a", &browser("b1", 1, 10, 1000), 10)
        .await
        .unwrap());
    assert!(s
        .insert_trusted_browser("a", &browser("b2", 2, 20, 1000), 20)
        .await
        .unwrap());
    // Same id on the same account: nothing written.
    assert!(!s
        .insert_trusted_browser("a", &browser("b1", 3, 30, 1000), 30)
        .await
        .unwrap());
    assert!(s.trusted_browser("a", &[3; 32]).await.unwrap().is_none());
    assert!(s
        .insert_trusted_browser("b", &browser("b1", 4, 30, 1000), 30)
        .await
        .unwrap());

    assert_eq!(
        s.trusted_browser("a", &[1; 32]).await.unwrap(),
        Some(browser("b1", 1, 10, 1000))
    );
    // Another account's token finds nothing.
    assert!(s.trusted_browser("a", &[4; 32]).await.unwrap().is_none());
    assert!(s.trusted_browser("b", &[1; 32]).await.unwrap().is_none());

    let list = s.list_trusted_browsers("a").await.unwrap();
    assert_eq!(
        list.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
        ["b1", "b2"]
    );

    s.touch_trusted_browser("a", "b2", 25, Some("198.51.100.1"))
        .await
        .unwrap();
    s.touch_trusted_browser("a", "b1", 26, None).await.unwrap();
    let b2 = s.trusted_browser("a", &[2; 32]).await.unwrap().unwrap();
    assert_eq!(b2.info.last_used_at, Some(25));
    assert_eq!(b2.info.last_ip.as_deref(), Some("198.51.100.1"));
    assert_eq!(b2.info.first_ip.as_deref(), Some("203.0.113.7"));
    let b1 = s.trusted_browser("a", &[1; 32]).await.unwrap().unwrap();
    assert_eq!(b1.info.last_used_at, Some(26));
    assert_eq!(b1.info.last_ip.as_deref(), Some("203.0.113.7"));
}

async fn trusted_browsers_revoke_one_or_all(s: Store) {
    for (id, byte) in [("b1", 1), ("b2", 2), ("b3", 3)] {
        s.insert_trusted_browser("a", &browser(id, byte, 10, 1000), 10)
            .await
            .unwrap();
    }
    s.insert_trusted_browser("b", &browser("b1", 9, 10, 1000), 10)
        .await
        .unwrap();

    assert!(s.revoke_trusted_browser("a", "b1", 40).await.unwrap());
    assert!(!s.revoke_trusted_browser("a", "b1", 41).await.unwrap());
    assert!(!s.revoke_trusted_browser("a", "nope", 41).await.unwrap());
    let b1 = s.trusted_browser("a", &[1; 32]).await.unwrap().unwrap();
    assert_eq!(b1.info.revoked_at, Some(40));

    assert_eq!(s.revoke_all_trusted_browsers("a", 50).await.unwrap(), 2);
    assert_eq!(s.revoke_all_trusted_browsers("a", 51).await.unwrap(), 0);
    assert!(s
        .list_trusted_browsers("a")
        .await
        .unwrap()
        .iter()
        .all(|b| b.revoked_at.is_some()));
    // The other account's browser is untouched.
    assert_eq!(
        s.list_trusted_browsers("b").await.unwrap()[0].revoked_at,
        None
    );
}

async fn a_new_trusted_browser_drops_the_expired_and_revoked_ones(s: Store) {
    s.insert_trusted_browser("a", &browser("old", 1, 10, 100), 10)
        .await
        .unwrap();
    s.insert_trusted_browser("a", &browser("gone", 2, 10, 1000), 10)
        .await
        .unwrap();
    s.insert_trusted_browser("a", &browser("live", 3, 10, 1000), 10)
        .await
        .unwrap();
    s.revoke_trusted_browser("a", "gone", 20).await.unwrap();

    s.insert_trusted_browser("a", &browser("new", 4, 100, 2000), 100)
        .await
        .unwrap();
    let ids: Vec<_> = s
        .list_trusted_browsers("a")
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(ids, ["live", "new"]);
}

async fn deleting_the_account_removes_its_trusted_browsers(s: Store) {
    s.insert_trusted_browser("a", &browser("b1", 1, 10, 1000), 10)
        .await
        .unwrap();
    s.delete_account("a").await.unwrap();
    assert!(s.list_trusted_browsers("a").await.unwrap().is_empty());
    assert!(s.trusted_browser("a", &[1; 32]).await.unwrap().is_none());
}

on_every_store!(
    trusted_browsers_are_found_by_account_and_token,
    trusted_browsers_revoke_one_or_all,
    a_new_trusted_browser_drops_the_expired_and_revoked_ones,
    deleting_the_account_removes_its_trusted_browsers,
);
