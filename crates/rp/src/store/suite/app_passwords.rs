//! The store suite for application passwords.

use super::*;

async fn app_passwords_list_touch_and_revoke(s: Store) {
    assert!(s
        .insert_app_password("a", &app_password("p1", 10))
        .await
        .unwrap());
    assert!(s
        .insert_app_password("a", &app_password("p2", 20))
        .await
        .unwrap());
    assert!(!s
        .insert_app_password("a", &app_password("p1", 30))
        .await
        .unwrap());
    assert!(s
        .insert_app_password("b", &app_password("p1", 30))
        .await
        .unwrap());

    let list = s.list_app_passwords("a").await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], app_password("p1", 10).info);
    assert_eq!(list[1].id, "p2");

    s.touch_app_password("a", "p2", 25).await.unwrap();
    let p2 = s.app_password("a", "p2").await.unwrap().unwrap();
    assert_eq!(p2.info.last_used_at, Some(25));
    assert_eq!(p2.hash, "hash-p2");

    assert!(s.revoke_app_password("a", "p1", 40).await.unwrap());
    assert!(!s.revoke_app_password("a", "p1", 41).await.unwrap());
    assert!(!s.revoke_app_password("a", "nope", 41).await.unwrap());
    assert_eq!(
        s.app_password("a", "p1")
            .await
            .unwrap()
            .unwrap()
            .info
            .revoked_at,
        Some(40)
    );
    assert_eq!(s.revoke_all_app_passwords("a", 50).await.unwrap(), 1);
    assert_eq!(s.revoke_all_app_passwords("a", 51).await.unwrap(), 0);
    assert!(s
        .list_app_passwords("a")
        .await
        .unwrap()
        .iter()
        .all(|p| p.revoked_at.is_some()));
    assert_eq!(s.list_app_passwords("b").await.unwrap()[0].revoked_at, None);
}

on_every_store!(app_passwords_list_touch_and_revoke,);
