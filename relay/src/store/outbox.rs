//! The webhook outbox: events waiting for delivery, kept in the database so a
//! restart or another instance delivers what one instance could not
//! ([`crate::webhook::dispatch`] drives it).
//!
//! A dispatcher *claims* due events with a lease: the claim sets
//! `claimed_until` and a claim token that is new for every claim, and only
//! rows whose lease is unset or over are claimed, in one atomic step
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED` across instances; SQLite: one
//! statement under the single writer). Completing, rescheduling or giving up
//! is conditioned on the token, so an instance whose lease ran out and whose
//! event was claimed again cannot delete or move the new holder's claim.
//!
//! Times of the schedule (`next_attempt_at`, `claimed_until`) are Unix
//! milliseconds on the relay's clock; `created_at` is Unix seconds, as in the
//! event's body. Across instances the leases compare the instances' clocks,
//! so they must agree to well within a lease (NTP does).
//!
//! Nothing is left for the expiry purge: an event is deleted once delivered
//! or given up, and a deleted tenant's events go with it (`ON DELETE
//! CASCADE`).

use async_trait::async_trait;

use super::{DbTime, StoreResult};

/// Unix time in milliseconds (the outbox's schedule).
pub type DbMillis = i64;

/// An event waiting for delivery. No secret: the webhook's URL and signing
/// secret are read from the tenant's settings at each delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The event id (`Assent-Webhook-Id`, the body's `id`), the same on every
    /// attempt.
    pub event_id: String,
    /// The tenant whose webhook it goes to.
    pub tenant_id: String,
    /// The event's `type` word (`answer.received`, …).
    pub event_type: String,
    /// The one id the event names (a challenge id, an eid or a device id).
    pub subject: String,
    /// When the event happened (Unix seconds; the body's `created_at`).
    pub created_at: DbTime,
    /// Attempts that failed so far.
    pub attempts: u32,
    /// Not delivered before this (Unix ms).
    pub next_attempt_at: DbMillis,
}

/// One claim: who holds it and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim<'a> {
    /// Random, new for every claim; completing or rescheduling must name it.
    pub token: &'a str,
    /// The claimer's time (Unix ms): rows due at or before it, whose lease is
    /// unset or ended at or before it, are claimed.
    pub now: DbMillis,
    /// The lease's end (Unix ms), after which others may claim the rows.
    pub until: DbMillis,
}

/// The webhook outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Stores a new event (unclaimed); `Conflict` when its id exists.
    async fn enqueue_event(&self, event: &OutboxEvent) -> StoreResult<()>;

    /// Claims up to `limit` due events whose lease is unset or over, earliest
    /// due first, for `claim` (one atomic step: two claimers never get the
    /// same event while its lease holds).
    async fn claim_events(&self, claim: Claim<'_>, limit: u32) -> StoreResult<Vec<OutboxEvent>>;

    /// Deletes a delivered event; `false` when `token` no longer holds it
    /// (another claim took it after this one's lease ended), which then
    /// changes nothing.
    async fn complete_event(&self, event_id: &str, token: &str) -> StoreResult<bool>;

    /// After a failed attempt: counts it, sets the next attempt's time and
    /// clears the lease; `false` (nothing changed) when `token` no longer
    /// holds the event.
    async fn reschedule_event(
        &self,
        event_id: &str,
        token: &str,
        next_attempt_at: DbMillis,
    ) -> StoreResult<bool>;

    /// Deletes an event that will not be delivered (attempts used up, a
    /// refused status, no webhook any more); `true` when this gave it up,
    /// `false` (nothing changed) when `token` no longer holds it.
    async fn give_up_event(&self, event_id: &str, token: &str) -> StoreResult<bool>;
}
