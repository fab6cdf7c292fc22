//! Challenges, answers and push outcomes in SQLite.

use async_trait::async_trait;
use sqlx::sqlite::SqliteConnection;

use super::SqliteStore;
use crate::exchange::to_u64;
use crate::store::rows::{challenge_from_row, CHALLENGE_COLUMNS};
use crate::store::{
    Admission, AnswerOutcome, ChallengeRecord, ChallengeState, ChallengeStore, CreateOutcome,
    DbTime, StoreResult,
};

#[async_trait]
impl ChallengeStore for SqliteStore {
    async fn create_challenge(
        &self,
        r: &ChallengeRecord,
        admission: Admission,
    ) -> StoreResult<CreateOutcome> {
        let r = r.clone();
        let record = r.clone();
        let outcome = self
            .writes
            .run(true, move |conn| {
                Box::pin(async move {
                    // The single writer runs these one job at a time: the
                    // device's window, its pending count and the insert are
                    // decided together.
                    let tat: Option<i64> = sqlx::query_scalar(
                        "SELECT challenge_tat FROM devices WHERE device_id = $1 AND tenant_id = $2",
                    )
                    .bind(&r.device_id)
                    .bind(&r.tenant_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                    let Some(tat) = tat else {
                        return Ok(CreateOutcome::UnknownDevice);
                    };
                    let Some(next_tat) = admission.window.admit(tat, to_u64(r.created_at)) else {
                        return Ok(CreateOutcome::WindowUsed);
                    };
                    let done = sqlx::query(&format!(
                        "INSERT INTO challenges ({CHALLENGE_COLUMNS}) \
                         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
                         WHERE (SELECT COUNT(*) FROM challenges WHERE device_id = $4 \
                                AND state = 'pending' AND expires_at > $6) < $11"
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
                    .execute(&mut *conn)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Ok(CreateOutcome::TooManyPending);
                    }
                    if next_tat != tat {
                        sqlx::query("UPDATE devices SET challenge_tat = $1 WHERE device_id = $2")
                            .bind(next_tat)
                            .bind(&r.device_id)
                            .execute(conn)
                            .await?;
                    }
                    Ok(CreateOutcome::Created)
                })
            })
            .await?;
        if outcome == CreateOutcome::Created {
            self.cached.put_challenge(record);
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
        .fetch_one(&mut *self.conn().await?)
        .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn challenge(&self, challenge_id: &str) -> StoreResult<Option<ChallengeRecord>> {
        if let Some(hit) = self.cached.challenge(challenge_id) {
            return Ok(Some(hit));
        }
        challenge_on(&mut *self.conn().await?, challenge_id).await
    }

    async fn challenge_by_push_id(&self, push_id: &str) -> StoreResult<Option<ChallengeRecord>> {
        if let Some(hit) = self.cached.challenge_by_push_id(push_id) {
            return Ok(Some(hit));
        }
        let sql = format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE push_id = $1");
        let row = sqlx::query(&sql)
            .bind(push_id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(challenge_from_row).transpose()
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
            .fetch_all(&mut *self.conn().await?)
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
        let (device, id, answer) = (
            device_id.to_owned(),
            challenge_id.to_owned(),
            answer.to_owned(),
        );
        let (outcome, answered) = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let sql = format!(
                        "UPDATE challenges SET state = 'answered', answer = $1, answered_at = $2 \
                         WHERE challenge_id = $3 AND device_id = $4 AND state = 'pending' \
                         AND expires_at > $2 RETURNING {CHALLENGE_COLUMNS}"
                    );
                    let row = sqlx::query(&sql)
                        .bind(&answer)
                        .bind(now)
                        .bind(&id)
                        .bind(&device)
                        .fetch_optional(&mut *conn)
                        .await?;
                    if let Some(row) = row {
                        return Ok((AnswerOutcome::Stored, Some(challenge_from_row(&row)?)));
                    }
                    let outcome = match challenge_on(conn, &id).await? {
                        Some(c) if c.device_id == device => match (c.state, c.answer) {
                            (ChallengeState::Answered, Some(first)) => {
                                AnswerOutcome::AlreadyAnswered(first)
                            }
                            _ => AnswerOutcome::Expired,
                        },
                        _ => AnswerOutcome::Unknown,
                    };
                    Ok((outcome, None))
                })
            })
            .await?;
        if let Some(record) = answered {
            self.cached.put_challenge(record);
        }
        Ok(outcome)
    }

    async fn set_challenge_push(&self, challenge_id: &str, push: &str) -> StoreResult<()> {
        let (id, push) = (challenge_id.to_owned(), push.to_owned());
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query("UPDATE challenges SET push = $1 WHERE challenge_id = $2")
                        .bind(&push)
                        .bind(&id)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn challenge_push(&self, challenge_id: &str) -> StoreResult<Option<String>> {
        let push: Option<Option<String>> =
            sqlx::query_scalar("SELECT push FROM challenges WHERE challenge_id = $1")
                .bind(challenge_id)
                .fetch_optional(&mut *self.conn().await?)
                .await?;
        Ok(push.flatten())
    }
}

/// Reads a challenge on `conn` (the writer's, inside its group).
async fn challenge_on(
    conn: &mut SqliteConnection,
    challenge_id: &str,
) -> StoreResult<Option<ChallengeRecord>> {
    let sql = format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE challenge_id = $1");
    let row = sqlx::query(&sql)
        .bind(challenge_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(challenge_from_row).transpose()
}
