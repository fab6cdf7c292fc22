//! Devices of the [`super::MemoryStore`].

use std::collections::HashMap;

use assent_protocol::DeviceId;

use crate::error::{Error, Result};
use crate::store::{DeviceRecord, DeviceState};

/// Device id → device.
#[derive(Debug, Default)]
pub(super) struct DeviceTable(HashMap<DeviceId, DeviceRecord>);

impl DeviceTable {
    pub(super) fn insert(&mut self, record: &DeviceRecord) -> Result<()> {
        if self.0.contains_key(&record.device_id) {
            return Err(Error::IdExhausted("device"));
        }
        self.0.insert(record.device_id, record.clone());
        Ok(())
    }

    pub(super) fn get(&self, device_id: &DeviceId) -> Option<DeviceRecord> {
        self.0.get(device_id).cloned()
    }

    /// The account's devices, oldest first (ties by id, as the SQL store orders them).
    pub(super) fn of(&self, account: &str) -> Vec<DeviceRecord> {
        let mut out: Vec<DeviceRecord> = self
            .0
            .values()
            .filter(|d| d.account == account)
            .cloned()
            .collect();
        out.sort_by_key(|d| (d.created_at, *d.device_id.as_bytes()));
        out
    }

    /// Moves the device from `from` to `to`, stamping activation or removal.
    pub(super) fn set_state(
        &mut self,
        device_id: &DeviceId,
        from: DeviceState,
        to: DeviceState,
        now: u64,
    ) -> bool {
        match self.0.get_mut(device_id) {
            Some(d) if d.state == from => {
                d.state = to;
                match to {
                    DeviceState::Active => d.activated_at = Some(now),
                    DeviceState::Removed => d.removed_at = Some(now),
                    DeviceState::Pending => {}
                }
                true
            }
            _ => false,
        }
    }

    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.retain(|_, d| d.account != account);
    }
}
