//! The store suite for devices.

use super::*;

async fn devices_round_trip_and_move_once(s: Store) {
    s.insert_device(&device(2, "a", 20)).await.unwrap();
    s.insert_device(&device(1, "a", 10)).await.unwrap();
    s.insert_device(&device(3, "b", 5)).await.unwrap();
    assert!(s.insert_device(&device(1, "a", 10)).await.is_err());
    assert_eq!(
        s.device(&dev(1)).await.unwrap().unwrap(),
        device(1, "a", 10)
    );
    let ids: Vec<_> = s
        .devices("a")
        .await
        .unwrap()
        .iter()
        .map(|d| d.device_id)
        .collect();
    assert_eq!(ids, vec![dev(1), dev(2)], "oldest first");
    assert!(s.devices("z").await.unwrap().is_empty());

    assert!(s
        .set_device_state(&dev(1), DeviceState::Pending, DeviceState::Active, 50)
        .await
        .unwrap());
    assert!(!s
        .set_device_state(&dev(1), DeviceState::Pending, DeviceState::Active, 51)
        .await
        .unwrap());
    assert!(s
        .set_device_state(&dev(1), DeviceState::Active, DeviceState::Removed, 60)
        .await
        .unwrap());
    let d = s.device(&dev(1)).await.unwrap().unwrap();
    assert_eq!(d.state, DeviceState::Removed);
    assert_eq!((d.activated_at, d.removed_at), (Some(50), Some(60)));
}

on_every_store!(devices_round_trip_and_move_once,);
