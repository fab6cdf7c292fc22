//! The store suite for backup codes.

use super::*;

async fn backup_codes_are_consumed_once(s: Store) {
    s.replace_backup_codes("a", &[code("x", "hx"), code("y", "hy"), code("z", "hz")])
        .await
        .unwrap();
    assert_eq!(s.backup_codes_remaining("a").await.unwrap(), 3);
    assert_eq!(
        s.backup_code("a", "y").await.unwrap(),
        Some(code("y", "hy"))
    );
    assert_eq!(s.backup_code("b", "y").await.unwrap(), None);
    assert!(
        !s.consume_backup_code("a", "y", "hx", 5).await.unwrap(),
        "wrong hash"
    );
    assert!(s.consume_backup_code("a", "y", "hy", 5).await.unwrap());
    assert!(
        !s.consume_backup_code("a", "y", "hy", 6).await.unwrap(),
        "second use"
    );
    assert_eq!(
        s.backup_code("a", "y").await.unwrap().unwrap().used_at,
        Some(5)
    );
    assert_eq!(s.backup_codes_remaining("a").await.unwrap(), 2);

    s.replace_backup_codes("a", &[code("y", "hy2")])
        .await
        .unwrap();
    assert_eq!(s.backup_codes_remaining("a").await.unwrap(), 1);
    assert_eq!(s.backup_code("a", "x").await.unwrap(), None, "old set gone");
    assert!(
        !s.consume_backup_code("a", "y", "hy", 7).await.unwrap(),
        "old code cannot spend a new code with the same id"
    );
    assert!(s.consume_backup_code("a", "y", "hy2", 7).await.unwrap());
    assert_eq!(s.backup_codes_remaining("a").await.unwrap(), 0);
}

on_every_store!(backup_codes_are_consumed_once,);
