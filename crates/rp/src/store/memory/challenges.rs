//! Challenges of the [`super::MemoryStore`], with their indexes by session handle and
//! by account.

use std::collections::HashMap;

use assent_protocol::{ChallengeId, DeviceId};

use crate::error::{Error, Result};
use crate::store::{ChallengeAdmission, ChallengeLimits, ChallengeRecord, ChallengeState};

#[derive(Debug, Default)]
pub(super) struct ChallengeTable {
    challenges: HashMap<ChallengeId, ChallengeRecord>,
    /// Session-handle hash → challenge.
    by_handle: HashMap<[u8; 32], ChallengeId>,
    /// Account → its challenges, in creation order.
    by_account: HashMap<String, Vec<ChallengeId>>,
}

impl ChallengeTable {
    /// Inserts the challenge if the mute (`muted_until`, read under the same lock) and
    /// the account's limits allow it at `now`.
    pub(super) fn insert(
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

    pub(super) fn by_handle(&self, handle_hash: &[u8; 32]) -> Option<ChallengeRecord> {
        self.by_handle
            .get(handle_hash)
            .and_then(|id| self.challenges.get(id))
            .cloned()
    }

    /// Moves the challenge from `from` to `to` at `now`.
    pub(super) fn resolve(
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

    /// Cancels the device's pending challenges; returns how many.
    pub(super) fn cancel_device(&mut self, device_id: &DeviceId, now: u64) -> u32 {
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

    pub(super) fn delete_account(&mut self, account: &str) {
        for id in self.by_account.remove(account).unwrap_or_default() {
            if let Some(c) = self.challenges.remove(&id) {
                self.by_handle.remove(&c.handle_hash);
            }
        }
    }
}
