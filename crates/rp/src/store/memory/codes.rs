//! Backup codes of the [`super::MemoryStore`].

use std::collections::HashMap;

use crate::store::BackupCodeRecord;

/// Account → its current backup code set.
#[derive(Debug, Default)]
pub(super) struct CodeTable(HashMap<String, Vec<BackupCodeRecord>>);

impl CodeTable {
    pub(super) fn replace(&mut self, account: &str, codes: &[BackupCodeRecord]) {
        self.0.insert(account.to_owned(), codes.to_vec());
    }

    fn set(&self, account: &str) -> impl Iterator<Item = &BackupCodeRecord> {
        self.0.get(account).into_iter().flatten()
    }

    pub(super) fn get(&self, account: &str, id: &str) -> Option<BackupCodeRecord> {
        self.set(account).find(|c| c.id == id).cloned()
    }

    /// Marks the unused code with this id and hash as used. True if it was unused.
    pub(super) fn consume(&mut self, account: &str, id: &str, hash: &str, now: u64) -> bool {
        let unused = self
            .0
            .get_mut(account)
            .into_iter()
            .flatten()
            .find(|c| c.id == id && c.hash == hash && c.used_at.is_none());
        match unused {
            Some(c) => {
                c.used_at = Some(now);
                true
            }
            None => false,
        }
    }

    pub(super) fn remaining(&self, account: &str) -> u32 {
        let n = self.set(account).filter(|c| c.used_at.is_none()).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.remove(account);
    }
}
