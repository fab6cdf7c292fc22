//! Trusted browsers of the [`super::MemoryStore`].

use std::collections::HashMap;

use crate::store::{TrustedBrowserInfo, TrustedBrowserRecord};

/// Account → its trusted browsers, oldest first.
#[derive(Debug, Default)]
pub(super) struct TrustedBrowserTable(HashMap<String, Vec<TrustedBrowserRecord>>);

impl TrustedBrowserTable {
    fn of_mut(&mut self, account: &str) -> impl Iterator<Item = &mut TrustedBrowserRecord> {
        self.0.get_mut(account).into_iter().flatten()
    }

    /// Drops the account's expired and revoked browsers, then adds this one unless the
    /// account has one with its id.
    pub(super) fn insert(
        &mut self,
        account: &str,
        record: &TrustedBrowserRecord,
        now: u64,
    ) -> bool {
        let list = self.0.entry(account.to_owned()).or_default();
        list.retain(|b| b.info.expires_at > now && b.info.revoked_at.is_none());
        if list.iter().any(|b| b.info.id == record.info.id) {
            return false;
        }
        list.push(record.clone());
        true
    }

    pub(super) fn get(&self, account: &str, token_hash: &[u8; 32]) -> Option<TrustedBrowserRecord> {
        self.0
            .get(account)?
            .iter()
            .find(|b| &b.token_hash == token_hash)
            .cloned()
    }

    pub(super) fn list(&self, account: &str) -> Vec<TrustedBrowserInfo> {
        self.0
            .get(account)
            .into_iter()
            .flatten()
            .map(|b| b.info.clone())
            .collect()
    }

    pub(super) fn touch(&mut self, account: &str, id: &str, now: u64, ip: Option<&str>) {
        if let Some(b) = self.of_mut(account).find(|b| b.info.id == id) {
            b.info.last_used_at = Some(now);
            if let Some(ip) = ip {
                b.info.last_ip = Some(ip.to_owned());
            }
        }
    }

    /// Revokes the one with `id` (every one when `None`) not yet revoked; how many.
    pub(super) fn revoke(&mut self, account: &str, id: Option<&str>, now: u64) -> u32 {
        let mut n = 0u32;
        for b in self
            .of_mut(account)
            .filter(|b| id.map_or(true, |id| b.info.id == id) && b.info.revoked_at.is_none())
        {
            b.info.revoked_at = Some(now);
            n = n.saturating_add(1);
        }
        n
    }

    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.remove(account);
    }
}
