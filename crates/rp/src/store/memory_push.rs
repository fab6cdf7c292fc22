//! The push tables of [`super::MemoryStore`]: offers, devices and challenges, each
//! transition decided and written under the store's one lock.

use std::collections::HashMap;

use assent_protocol::{ChallengeId, DeviceId, EnrollmentId};

use super::{
    ChallengeAdmission, ChallengeLimits, ChallengeRecord, ChallengeState, ClaimedOffer,
    DeviceRecord, DeviceState, EnrollmentRecord, EnrollmentState,
};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
pub(super) struct PushTables {
    pub(super) enrollments: HashMap<EnrollmentId, EnrollmentRecord>,
    pub(super) devices: HashMap<DeviceId, DeviceRecord>,
    challenges: HashMap<ChallengeId, ChallengeRecord>,
    /// Session-handle hash → challenge.
    by_handle: HashMap<[u8; 32], ChallengeId>,
    /// Account → its challenges, in creation order.
    by_account: HashMap<String, Vec<ChallengeId>>,
}

impl PushTables {
    pub(super) fn delete_account(&mut self, account: &str) {
        self.enrollments.retain(|_, e| e.account != account);
        self.devices.retain(|_, d| d.account != account);
        for id in self.by_account.remove(account).unwrap_or_default() {
            if let Some(c) = self.challenges.remove(&id) {
                self.by_handle.remove(&c.handle_hash);
            }
        }
    }

    pub(super) fn insert_enrollment(&mut self, record: &EnrollmentRecord) -> Result<()> {
        if self.enrollments.contains_key(&record.eid) {
            return Err(Error::IdExhausted("enrollment"));
        }
        self.enrollments.insert(record.eid, record.clone());
        Ok(())
    }

    pub(super) fn claim_enrollment(&mut self, eid: &EnrollmentId) -> Option<ClaimedOffer> {
        let e = self.enrollments.get_mut(eid)?;
        if e.state != EnrollmentState::Offered {
            return None;
        }
        let (offer_json, rp_private_key) = (e.offer_json.take(), e.rp_private_key.take());
        e.state = EnrollmentState::Claimed;
        Some(ClaimedOffer {
            offer_json: offer_json?,
            rp_private_key: rp_private_key?,
        })
    }

    pub(super) fn set_enrollment_state(
        &mut self,
        eid: &EnrollmentId,
        from: EnrollmentState,
        to: EnrollmentState,
        device_id: Option<&DeviceId>,
    ) -> bool {
        match self.enrollments.get_mut(eid) {
            Some(e) if e.state == from => {
                e.state = to;
                if let Some(d) = device_id {
                    e.device_id = Some(*d);
                }
                if to == EnrollmentState::Killed {
                    e.offer_json = None;
                    e.rp_private_key = None;
                }
                true
            }
            _ => false,
        }
    }

    pub(super) fn insert_device(&mut self, record: &DeviceRecord) -> Result<()> {
        if self.devices.contains_key(&record.device_id) {
            return Err(Error::IdExhausted("device"));
        }
        self.devices.insert(record.device_id, record.clone());
        Ok(())
    }

    pub(super) fn devices_of(&self, account: &str) -> Vec<DeviceRecord> {
        let mut out: Vec<DeviceRecord> = self
            .devices
            .values()
            .filter(|d| d.account == account)
            .cloned()
            .collect();
        out.sort_by_key(|d| (d.created_at, *d.device_id.as_bytes()));
        out
    }

    pub(super) fn set_device_state(
        &mut self,
        device_id: &DeviceId,
        from: DeviceState,
        to: DeviceState,
        now: u64,
    ) -> bool {
        match self.devices.get_mut(device_id) {
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

    pub(super) fn insert_challenge(
        &mut self,
        record: &ChallengeRecord,
        limits: &ChallengeLimits,
        now: u64,
        muted_until: Option<u64>,
    ) -> Result<ChallengeAdmission> {
        if let Some(until) = muted_until.filter(|&u| now < u) {
            return Ok(ChallengeAdmission::Muted { until });
        }
        let ids = self.by_account.get(&record.account);
        let mine = || {
            ids.into_iter()
                .flatten()
                .filter_map(|id| self.challenges.get(id))
        };
        let pending = mine()
            .filter(|c| c.state == ChallengeState::Pending && c.challenge.expires_at > now)
            .count();
        if pending >= limits.max_pending as usize {
            return Ok(ChallengeAdmission::PendingExists);
        }
        let in_window: Vec<u64> = mine()
            .map(|c| c.challenge.created_at)
            .filter(|&t| t.saturating_add(limits.window) > now)
            .collect();
        if in_window.len() >= limits.max_per_window as usize {
            let oldest = in_window.iter().copied().min().unwrap_or(now);
            return Ok(ChallengeAdmission::WindowFull {
                until: oldest.saturating_add(limits.window),
            });
        }
        let id = record.challenge.challenge_id;
        if self.challenges.contains_key(&id) || self.by_handle.contains_key(&record.handle_hash) {
            return Err(Error::IdExhausted("challenge"));
        }
        self.challenges.insert(id, record.clone());
        self.by_handle.insert(record.handle_hash, id);
        self.by_account
            .entry(record.account.clone())
            .or_default()
            .push(id);
        Ok(ChallengeAdmission::Inserted)
    }

    pub(super) fn challenge_by_handle(&self, handle_hash: &[u8; 32]) -> Option<ChallengeRecord> {
        self.by_handle
            .get(handle_hash)
            .and_then(|id| self.challenges.get(id))
            .cloned()
    }

    pub(super) fn resolve_challenge(
        &mut self,
        challenge_id: &ChallengeId,
        from: ChallengeState,
        to: ChallengeState,
        now: u64,
    ) -> bool {
        match self.challenges.get_mut(challenge_id) {
            Some(c) if c.state == from => {
                c.state = to;
                c.resolved_at = Some(now);
                true
            }
            _ => false,
        }
    }

    pub(super) fn cancel_device_challenges(&mut self, device_id: &DeviceId, now: u64) -> u32 {
        let mut n = 0u32;
        for c in self
            .challenges
            .values_mut()
            .filter(|c| &c.challenge.device_id == device_id && c.state == ChallengeState::Pending)
        {
            c.state = ChallengeState::Cancelled;
            c.resolved_at = Some(now);
            n = n.saturating_add(1);
        }
        n
    }
}
