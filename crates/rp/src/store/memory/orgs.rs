//! Organizations of the [`super::MemoryStore`].

use std::collections::HashMap;

use crate::store::{MemberAdded, OrgMemberRecord, OrgPolicy};

/// Policies by organization, and memberships by account (one organization each).
#[derive(Debug, Default)]
pub(super) struct OrgTable {
    policies: HashMap<String, OrgPolicy>,
    /// Account → (organization, its record); `seq` keeps the join order of equal times.
    members: HashMap<String, (String, u64, OrgMemberRecord)>,
    seq: u64,
}

impl OrgTable {
    pub(super) fn set_policy(&mut self, org: &str, policy: &OrgPolicy) {
        self.policies.insert(org.to_owned(), *policy);
    }

    pub(super) fn policy(&self, org: &str) -> Option<OrgPolicy> {
        self.policies.get(org).copied()
    }

    pub(super) fn add_member(&mut self, org: &str, account: &str, now: u64) -> MemberAdded {
        if let Some((found, _, _)) = self.members.get(account) {
            return if found == org {
                MemberAdded::AlreadyMember
            } else {
                MemberAdded::InOther(found.clone())
            };
        }
        self.seq += 1;
        let record = OrgMemberRecord {
            account: account.to_owned(),
            joined_at: now,
            reminded_at: None,
        };
        self.members
            .insert(account.to_owned(), (org.to_owned(), self.seq, record));
        MemberAdded::Added
    }

    pub(super) fn remove_member(&mut self, org: &str, account: &str) -> bool {
        if self.members.get(account).is_some_and(|(o, _, _)| o == org) {
            self.members.remove(account);
            return true;
        }
        false
    }

    pub(super) fn org_of(&self, account: &str) -> Option<String> {
        self.members.get(account).map(|(o, _, _)| o.clone())
    }

    pub(super) fn members(&self, org: &str) -> Vec<OrgMemberRecord> {
        let mut list: Vec<_> = self
            .members
            .values()
            .filter(|(o, _, _)| o == org)
            .map(|(_, seq, r)| (r.joined_at, *seq, r.clone()))
            .collect();
        list.sort_by_key(|(at, seq, _)| (*at, *seq));
        list.into_iter().map(|(_, _, r)| r).collect()
    }

    pub(super) fn stamp_reminder(
        &mut self,
        org: &str,
        account: &str,
        now: u64,
        not_after: u64,
    ) -> bool {
        match self.members.get_mut(account) {
            Some((o, _, r)) if o == org && r.reminded_at.map_or(true, |t| t <= not_after) => {
                r.reminded_at = Some(now);
                true
            }
            _ => false,
        }
    }

    pub(super) fn delete_account(&mut self, account: &str) {
        self.members.remove(account);
    }
}
