//! Application passwords of the [`super::MemoryStore`].

use std::collections::HashMap;

use crate::store::{AppPasswordInfo, AppPasswordRecord};

/// Account → its application passwords, oldest first.
#[derive(Debug, Default)]
pub(super) struct AppPasswordTable(HashMap<String, Vec<AppPasswordRecord>>);

impl AppPasswordTable {
    fn of(&self, account: &str) -> impl Iterator<Item = &AppPasswordRecord> {
        self.0.get(account).into_iter().flatten()
    }

    fn of_mut(&mut self, account: &str) -> impl Iterator<Item = &mut AppPasswordRecord> {
        self.0.get_mut(account).into_iter().flatten()
    }

    /// Adds the password unless the account has one with its id.
    pub(super) fn insert(&mut self, account: &str, record: &AppPasswordRecord) -> bool {
        let list = self.0.entry(account.to_owned()).or_default();
        if list.iter().any(|p| p.info.id == record.info.id) {
            return false;
        }
        list.push(record.clone());
        true
    }

    pub(super) fn get(&self, account: &str, id: &str) -> Option<AppPasswordRecord> {
        self.of(account).find(|p| p.info.id == id).cloned()
    }

    pub(super) fn list(&self, account: &str) -> Vec<AppPasswordInfo> {
        self.of(account).map(|p| p.info.clone()).collect()
    }

    pub(super) fn touch(&mut self, account: &str, id: &str, now: u64) {
        if let Some(p) = self.of_mut(account).find(|p| p.info.id == id) {
            p.info.last_used_at = Some(now);
        }
    }

    /// Revokes the live passwords `which` selects; returns how many.
    pub(super) fn revoke(&mut self, account: &str, now: u64, which: Option<&str>) -> u32 {
        let mut n = 0u32;
        for p in self
            .of_mut(account)
            .filter(|p| which.map_or(true, |id| p.info.id == id) && p.info.revoked_at.is_none())
        {
            p.info.revoked_at = Some(now);
            n = n.saturating_add(1);
        }
        n
    }

    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.remove(account);
    }
}
