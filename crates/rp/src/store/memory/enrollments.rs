//! Enrollment offers of the [`super::MemoryStore`].

use std::collections::HashMap;

use assent_protocol::{DeviceId, EnrollmentId};

use crate::error::{Error, Result};
use crate::store::{ClaimedOffer, EnrollmentRecord, EnrollmentState};

/// Enrollment id → offer.
#[derive(Debug, Default)]
pub(super) struct EnrollmentTable(HashMap<EnrollmentId, EnrollmentRecord>);

impl EnrollmentTable {
    pub(super) fn insert(&mut self, record: &EnrollmentRecord) -> Result<()> {
        if self.0.contains_key(&record.eid) {
            return Err(Error::IdExhausted("enrollment"));
        }
        self.0.insert(record.eid, record.clone());
        Ok(())
    }

    pub(super) fn get(&self, eid: &EnrollmentId) -> Option<EnrollmentRecord> {
        self.0.get(eid).cloned()
    }

    /// Takes an `Offered` offer's secrets and moves it to `Claimed`.
    pub(super) fn claim(&mut self, eid: &EnrollmentId) -> Option<ClaimedOffer> {
        let e = self.0.get_mut(eid)?;
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

    /// Moves the offer from `from` to `to`; killing it wipes its secrets.
    pub(super) fn set_state(
        &mut self,
        eid: &EnrollmentId,
        from: EnrollmentState,
        to: EnrollmentState,
        device_id: Option<&DeviceId>,
    ) -> bool {
        match self.0.get_mut(eid) {
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

    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.retain(|_, e| e.account != account);
    }
}
