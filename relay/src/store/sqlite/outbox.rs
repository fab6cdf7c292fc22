//! The webhook outbox in SQLite. One relay process owns the file, and every
//! write runs on its one writer ([`super::writer`]), so the claim's choice of
//! rows and their update are one statement that nothing else interleaves with.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::rows::{outbox_event_from_row, OUTBOX_COLUMNS};
use crate::store::{Claim, DbMillis, OutboxEvent, OutboxStore, StoreResult};

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn enqueue_event(&self, event: &OutboxEvent) -> StoreResult<()> {
        let e = event.clone();
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "INSERT INTO webhook_outbox ({OUTBOX_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    ))
                    .bind(&e.event_id)
                    .bind(&e.tenant_id)
                    .bind(&e.event_type)
                    .bind(&e.subject)
                    .bind(e.created_at)
                    .bind(i64::from(e.attempts))
                    .bind(e.next_attempt_at)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn claim_events(&self, claim: Claim<'_>, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        let (token, now, until) = (claim.token.to_owned(), claim.now, claim.until);
        let mut events = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let rows = sqlx::query(&format!(
                        "UPDATE webhook_outbox SET claimed_until = $1, claim_token = $2 \
                         WHERE event_id IN ( \
                             SELECT event_id FROM webhook_outbox \
                             WHERE next_attempt_at <= $3 \
                             AND (claimed_until IS NULL OR claimed_until <= $3) \
                             ORDER BY next_attempt_at, event_id LIMIT $4) \
                         RETURNING {OUTBOX_COLUMNS}"
                    ))
                    .bind(until)
                    .bind(&token)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(conn)
                    .await?;
                    rows.iter()
                        .map(outbox_event_from_row)
                        .collect::<StoreResult<Vec<_>>>()
                })
            })
            .await?;
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
        let (id, token) = (event_id.to_owned(), token.to_owned());
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE webhook_outbox SET attempts = attempts + 1, \
                         next_attempt_at = $1, claimed_until = NULL, claim_token = NULL \
                         WHERE event_id = $2 AND claim_token = $3",
                    )
                    .bind(next_attempt_at)
                    .bind(&id)
                    .bind(&token)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
    }

    async fn give_up_event(&self, event_id: &str, token: &str) -> StoreResult<bool> {
        self.delete_held(event_id, token).await
    }
}

impl SqliteStore {
    /// Deletes the event if `token` holds it.
    async fn delete_held(&self, event_id: &str, token: &str) -> StoreResult<bool> {
        let (id, token) = (event_id.to_owned(), token.to_owned());
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "DELETE FROM webhook_outbox WHERE event_id = $1 AND claim_token = $2",
                    )
                    .bind(&id)
                    .bind(&token)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
    }
}
