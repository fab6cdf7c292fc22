//! Challenges, answers and push outcomes in PostgreSQL.

use async_trait::async_trait;
use sqlx::PgExecutor;

use super::PgStore;
use crate::store::rows::{challenge_from_row, CHALLENGE_COLUMNS};
use crate::store::{
    Admission, AnswerOutcome, ChallengeRecord, ChallengeState, ChallengeStore, CreateOutcome,
    DbTime, StoreError, StoreResult,
};
use crate::waiters::keys;

#[async_trait]
impl ChallengeStore for PgStore {
    async fn create_challenge(
        &self,
        r: &ChallengeRecord,
        admission: Admission,
    ) -> StoreResult<CreateOutcome> {
        // One round trip: the function (migration 0007) locks the device's row,
        // so creations for this device on every instance queue there and each
        // sees the window and the pending challenges the ones before it
        // committed; then it inserts and moves the window on, all in this
        // statement's transaction.
        let outcome: String = sqlx::query_scalar(
            "SELECT assent_create_challenge($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&r.challenge_id)
        .bind(&r.push_id)
        .bind(&r.tenant_id)
        .bind(&r.device_id)
        .bind(&r.challenge)
        .bind(r.created_at)
        .bind(r.expires_at)
        .bind(i64::from(admission.max_pending))
        .bind(i64::from(admission.window.limit))
        .bind(i64::try_from(admission.window.secs).unwrap_or(i64::MAX))
        .fetch_one(&self.pool)
        .await?;
        let outcome = match outcome.as_str() {
            "created" => CreateOutcome::Created,
            "unknown_device" => CreateOutcome::UnknownDevice,
            "window_used" => CreateOutcome::WindowUsed,
            "too_many_pending" => CreateOutcome::TooManyPending,
            other => {
                return Err(StoreError::Internal(format!(
                    "assent_create_challenge returned {other:?}"
                )))
            }
        };
        if outcome == CreateOutcome::Created {
            self.cached.put_challenge(r.clone());
            self.wakes.wake(keys::device(&r.device_id));
        }
        Ok(outcome)
    }

    async fn count_pending(&self, device_id: &str, now: DbTime) -> StoreResult<u32> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM challenges \
             WHERE device_id = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(device_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn challenge(&self, challenge_id: &str) -> StoreResult<Option<ChallengeRecord>> {
        if let Some(hit) = self.cached.challenge(challenge_id) {
            return Ok(Some(hit));
        }
        challenge_by(&self.pool, "challenge_id", challenge_id).await
    }

    async fn challenge_by_push_id(&self, push_id: &str) -> StoreResult<Option<ChallengeRecord>> {
        if let Some(hit) = self.cached.challenge_by_push_id(push_id) {
            return Ok(Some(hit));
        }
        challenge_by(&self.pool, "push_id", push_id).await
    }

    async fn pending_challenges(
        &self,
        device_id: &str,
        now: DbTime,
    ) -> StoreResult<Vec<ChallengeRecord>> {
        let sql = format!(
            "SELECT {CHALLENGE_COLUMNS} FROM challenges \
             WHERE device_id = $1 AND state = 'pending' AND expires_at > $2 \
             ORDER BY created_at, challenge_id"
        );
        let rows = sqlx::query(&sql)
            .bind(device_id)
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(challenge_from_row).collect()
    }

    async fn answer_challenge(
        &self,
        device_id: &str,
        challenge_id: &str,
        answer: &str,
        now: DbTime,
    ) -> StoreResult<AnswerOutcome> {
        // Exactly once across instances: a concurrent answer waits for the
        // row lock, re-checks `state = 'pending'` on the new row version and
        // updates nothing.
        let sql = format!(
            "UPDATE challenges SET state = 'answered', answer = $1, answered_at = $2 \
             WHERE challenge_id = $3 AND device_id = $4 AND state = 'pending' \
             AND expires_at > $2 \
             RETURNING {CHALLENGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(answer)
            .bind(now)
            .bind(challenge_id)
            .bind(device_id)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = row {
            // The RP's long-polls on the other instances.
            self.wakes.wake(keys::challenge(challenge_id));
            self.cached.put_challenge(challenge_from_row(&row)?);
            return Ok(AnswerOutcome::Stored);
        }
        Ok(
            match challenge_by(&self.pool, "challenge_id", challenge_id).await? {
                Some(c) if c.device_id == device_id => match (c.state, c.answer) {
                    (ChallengeState::Answered, Some(first)) => {
                        AnswerOutcome::AlreadyAnswered(first)
                    }
                    _ => AnswerOutcome::Expired,
                },
                _ => AnswerOutcome::Unknown,
            },
        )
    }

    async fn set_challenge_push(&self, challenge_id: &str, push: &str) -> StoreResult<()> {
        sqlx::query("UPDATE challenges SET push = $1 WHERE challenge_id = $2")
            .bind(push)
            .bind(challenge_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn challenge_push(&self, challenge_id: &str) -> StoreResult<Option<String>> {
        let push: Option<Option<String>> =
            sqlx::query_scalar("SELECT push FROM challenges WHERE challenge_id = $1")
                .bind(challenge_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(push.flatten())
    }
}

/// The challenge whose `column` (`challenge_id` or `push_id`) is `value`.
async fn challenge_by<'e>(
    db: impl PgExecutor<'e>,
    column: &'static str,
    value: &str,
) -> StoreResult<Option<ChallengeRecord>> {
    let sql = format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE {column} = $1");
    let row = sqlx::query(&sql).bind(value).fetch_optional(db).await?;
    row.as_ref().map(challenge_from_row).transpose()
}
