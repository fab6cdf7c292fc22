//! The webhook outbox in PostgreSQL, shared by every instance on the database.
//!
//! A claim is one statement: a CTE picks the due, unleased rows with
//! `FOR UPDATE SKIP LOCKED` and the `UPDATE` sets the lease on exactly those.
//! Rows another instance is claiming right now are locked and skipped, not
//! waited for; a row it claimed and committed is excluded by the lease
//! condition (READ COMMITTED re-checks it on the row's new version when a
//! lock had to be waited for). So no two instances hold one event while its
//! lease lasts. Completing and rescheduling name the claim's token, so a row
//! claimed again after a lease ran out is the new holder's alone.

use async_trait::async_trait;

use super::PgStore;
use crate::store::rows::{outbox_event_from_row, OUTBOX_COLUMNS};
use crate::store::{Claim, DbMillis, OutboxEvent, OutboxStore, StoreResult};

/// [`OUTBOX_COLUMNS`] of the updated rows (`due` has an `event_id` too).
const RETURNED: &str = "o.event_id, o.tenant_id, o.event_type, o.subject, o.created_at, \
    o.attempts, o.next_attempt_at";

#[async_trait]
impl OutboxStore for PgStore {
    async fn enqueue_event(&self, e: &OutboxEvent) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO webhook_outbox ({OUTBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&e.event_id)
        .bind(&e.tenant_id)
        .bind(&e.event_type)
        .bind(&e.subject)
        .bind(e.created_at)
        .bind(i64::from(e.attempts))
        .bind(e.next_attempt_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn claim_events(&self, claim: Claim<'_>, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        let rows = sqlx::query(&format!(
            "WITH due AS ( \
                 SELECT event_id FROM webhook_outbox \
                 WHERE next_attempt_at <= $3 \
                 AND (claimed_until IS NULL OR claimed_until <= $3) \
                 ORDER BY next_attempt_at, event_id LIMIT $4 \
                 FOR UPDATE SKIP LOCKED) \
             UPDATE webhook_outbox o SET claimed_until = $1, claim_token = $2 \
             FROM due WHERE o.event_id = due.event_id \
             RETURNING {RETURNED}"
        ))
        .bind(claim.until)
        .bind(claim.token)
        .bind(claim.now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut events = rows
            .iter()
            .map(outbox_event_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        // RETURNING comes in no particular order.
        events.sort_by(|a, b| {
            (a.next_attempt_at, &a.event_id).cmp(&(b.next_attempt_at, &b.event_id))
        });
        Ok(events)
    }

    async fn complete_event(&self, event_id: &str, token: &str) -> StoreResult<bool> {
        self.delete_held(event_id, token).await
    }

    async fn reschedule_event(
        &self,
        event_id: &str,
        token: &str,
        next_attempt_at: DbMillis,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $1, \
             claimed_until = NULL, claim_token = NULL \
             WHERE event_id = $2 AND claim_token = $3",
        )
        .bind(next_attempt_at)
        .bind(event_id)
        .bind(token)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn give_up_event(&self, event_id: &str, token: &str) -> StoreResult<bool> {
        self.delete_held(event_id, token).await
    }
}

impl PgStore {
    /// Deletes the event if `token` holds it.
    async fn delete_held(&self, event_id: &str, token: &str) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM webhook_outbox WHERE event_id = $1 AND claim_token = $2")
                .bind(event_id)
                .bind(token)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }
}
