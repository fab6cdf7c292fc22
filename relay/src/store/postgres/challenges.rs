//! Challenges, answers and push outcomes in PostgreSQL.

use async_trait::async_trait;
use sqlx::PgExecutor;

use super::wake::{NOW_MS, WAKE_CHANNEL};
use super::PgStore;
use crate::exchange::to_u64;
use crate::store::rows::{challenge_from_row, CHALLENGE_COLUMNS};
use crate::store::{
    Admission, AnswerOutcome, ChallengeRecord, ChallengeState, ChallengeStore, CreateOutcome,
    DbTime, StoreResult,
};
use crate::waiters::keys;

#[async_trait]
impl ChallengeStore for PgStore {
    async fn create_challenge(
        &self,
        r: &ChallengeRecord,
        admission: Admission,
    ) -> StoreResult<CreateOutcome> {
        let mut tx = self.pool.begin().await?;
        // Lock the device's row: creations for this device on every instance
        // queue here, so each sees the window and the pending challenges the
        // ones before it committed (READ COMMITTED: the count is a new
        // statement, taken after the lock). A single INSERT … SELECT would
        // count from a snapshot taken before the wait and could overshoot.
        let tat: Option<i64> = sqlx::query_scalar(
            "SELECT challenge_tat FROM devices \
             WHERE device_id = $1 AND tenant_id = $2 FOR UPDATE",
        )
        .bind(&r.device_id)
        .bind(&r.tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(tat) = tat else {
            return Ok(CreateOutcome::UnknownDevice);
        };
        let Some(next_tat) = admission.window.admit(tat, to_u64(r.created_at)) else {
            return Ok(CreateOutcome::WindowUsed);
        };
        // The insert (if the pending count allows), the window's update and
        // the wake-up of the device's long-polls on every instance, in one
        // statement.
        let done = sqlx::query(&format!(
            "WITH created AS ( \
                 INSERT INTO challenges ({CHALLENGE_COLUMNS}) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
                 WHERE (SELECT COUNT(*) FROM challenges WHERE device_id = $4 \
                        AND state = 'pending' AND expires_at > $6) < $11 \
                 RETURNING device_id) \
             UPDATE devices SET challenge_tat = $12 \
             WHERE device_id IN (SELECT device_id FROM created) \
             RETURNING pg_notify('{WAKE_CHANNEL}', $13 || ' ' || {NOW_MS})"
        ))
        .bind(&r.challenge_id)
        .bind(&r.push_id)
        .bind(&r.tenant_id)
        .bind(&r.device_id)
        .bind(&r.challenge)
        .bind(r.created_at)
        .bind(r.expires_at)
        .bind(r.state.as_str())
        .bind(&r.answer)
        .bind(r.answered_at)
        .bind(i64::from(admission.max_pending))
        .bind(next_tat)
        .bind(keys::device(&r.device_id))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(CreateOutcome::TooManyPending);
        }
        tx.commit().await?;
        self.cached.put_challenge(r.clone());
        Ok(CreateOutcome::Created)
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
        // The wake-up of the RP's long-polls on every instance goes in the
        // same statement (sent at its commit).
        let sql = format!(
            "UPDATE challenges SET state = 'answered', answer = $1, answered_at = $2 \
             WHERE challenge_id = $3 AND device_id = $4 AND state = 'pending' \
             AND expires_at > $2 \
             RETURNING {CHALLENGE_COLUMNS}, pg_notify('{WAKE_CHANNEL}', $5 || ' ' || {NOW_MS})"
        );
        let row = sqlx::query(&sql)
            .bind(answer)
            .bind(now)
            .bind(challenge_id)
            .bind(device_id)
            .bind(keys::challenge(challenge_id))
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = row {
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
