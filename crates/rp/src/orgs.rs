//! Organizations: accounts can belong to one, and its admins can require two-step
//! verification of every member. A member without it can then do nothing but turn it
//! on ([`Rp::must_enroll`] tells the login server so at each request); the admins see
//! who has not yet ([`Rp::members_without_two_step`]) and can send each a security
//! reminder ([`Rp::send_two_step_reminder`], delivered as
//! [`Event::TwoStepReminder`], at most one per member per [`REMINDER_INTERVAL`]).
//! Application passwords are not affected: the tools that use them cannot do two-step
//! verification.
//!
//! Who may administer an organization is the login server's business (the library
//! keeps no admin list).

use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::{MemberAdded, OrgPolicy};
use crate::Rp;

/// The shortest time between two reminders to one member, seconds.
pub const REMINDER_INTERVAL: u64 = 3600;
/// Longest accepted organization name, in bytes.
pub const ORG_NAME_MAX: usize = 128;

/// A member as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMember {
    /// The member's account.
    pub account: String,
    /// Whether it has two-step verification on.
    pub two_step: bool,
    /// Unix seconds when it joined.
    pub joined_at: u64,
    /// Unix seconds of the last reminder it was sent.
    pub reminded_at: Option<u64>,
}

/// What [`Rp::send_two_step_reminder`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// Sent ([`Event::TwoStepReminder`] was delivered).
    Sent,
    /// The member was reminded less than [`REMINDER_INTERVAL`] ago; try after this
    /// many seconds.
    TooSoon {
        /// Seconds.
        retry_after: u64,
    },
    /// The member has two-step verification on already: nothing to remind.
    NotNeeded,
    /// The account is not a member of this organization.
    NotMember,
}

fn check_org(org: &str) -> Result<()> {
    if org.trim().is_empty() || org.len() > ORG_NAME_MAX || org.chars().any(char::is_control) {
        return Err(Error::InvalidOrganization);
    }
    Ok(())
}

impl Rp {
    /// Sets what the organization asks of its members.
    pub async fn set_org_policy(&self, org: &str, policy: OrgPolicy) -> Result<()> {
        check_org(org)?;
        self.store.set_org_policy(org, &policy).await?;
        tracing::info!(
            org,
            require_two_step = policy.require_two_step,
            "organization policy set"
        );
        Ok(())
    }

    /// What the organization asks of its members (nothing, if never set).
    pub async fn org_policy(&self, org: &str) -> Result<OrgPolicy> {
        Ok(self.store.org_policy(org).await?.unwrap_or_default())
    }

    /// Makes the account a member of `org`. An account belongs to one organization at
    /// most: [`MemberAdded::InOther`] changes nothing.
    pub async fn add_org_member(&self, org: &str, account: &str) -> Result<MemberAdded> {
        check_org(org)?;
        let added = self
            .store
            .add_org_member(org, account, self.clock.now())
            .await?;
        if added == MemberAdded::Added {
            tracing::info!(org, account, "organization member added");
        }
        Ok(added)
    }

    /// Ends the account's membership of `org`. True if it was a member.
    pub async fn remove_org_member(&self, org: &str, account: &str) -> Result<bool> {
        self.store.remove_org_member(org, account).await
    }

    /// The organization the account belongs to.
    pub async fn organization_of(&self, account: &str) -> Result<Option<String>> {
        self.store.org_of(account).await
    }

    /// Whether the account's organization requires two-step verification.
    pub async fn two_step_required(&self, account: &str) -> Result<bool> {
        Ok(match self.store.org_of(account).await? {
            Some(org) => self.org_policy(&org).await?.require_two_step,
            None => false,
        })
    }

    /// Whether the account must turn two-step verification on before anything else:
    /// its organization requires it and it has no second factor. Ask at every request
    /// of a logged-in session (a member added or a policy set while logged in is
    /// caught at the next one).
    pub async fn must_enroll(&self, account: &str) -> Result<bool> {
        Ok(self.two_step_required(account).await? && !self.has_second_factor(account).await?)
    }

    /// The organization's members, in the order they joined, with whether each has
    /// two-step verification on.
    pub async fn org_members(&self, org: &str) -> Result<Vec<OrgMember>> {
        let mut out = Vec::new();
        for m in self.store.org_members(org).await? {
            out.push(OrgMember {
                two_step: self.has_second_factor(&m.account).await?,
                account: m.account,
                joined_at: m.joined_at,
                reminded_at: m.reminded_at,
            });
        }
        Ok(out)
    }

    /// The members without two-step verification.
    pub async fn members_without_two_step(&self, org: &str) -> Result<Vec<OrgMember>> {
        let mut members = self.org_members(org).await?;
        members.retain(|m| !m.two_step);
        Ok(members)
    }

    /// Sends the member a security reminder to turn two-step verification on
    /// ([`Event::TwoStepReminder`]), at most once per [`REMINDER_INTERVAL`]: two
    /// admins clicking at once send one.
    pub async fn send_two_step_reminder(&self, org: &str, account: &str) -> Result<Reminder> {
        let Some(member) = self
            .store
            .org_members(org)
            .await?
            .into_iter()
            .find(|m| m.account == account)
        else {
            return Ok(Reminder::NotMember);
        };
        if self.has_second_factor(account).await? {
            return Ok(Reminder::NotNeeded);
        }
        let now = self.clock.now();
        let not_after = now.saturating_sub(REMINDER_INTERVAL);
        if !self
            .store
            .stamp_org_reminder(org, account, now, not_after)
            .await?
        {
            let last = member.reminded_at.unwrap_or(now);
            return Ok(Reminder::TooSoon {
                retry_after: last
                    .saturating_add(REMINDER_INTERVAL)
                    .saturating_sub(now)
                    .max(1),
            });
        }
        self.events.deliver(&Event::TwoStepReminder {
            account: account.to_owned(),
            organization: org.to_owned(),
            at: now,
        });
        Ok(Reminder::Sent)
    }
}
