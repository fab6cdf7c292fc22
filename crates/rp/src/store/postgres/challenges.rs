//! The `rp_challenges` table: each push challenge, admitted under the account's limits
//! in the same transaction as its insertion, and resolved exactly once.

use assent_protocol::{Challenge, ChallengeId, DeviceId, PushId};
use sqlx::{PgConnection, PgPool, Row as _};
use zeroize::Zeroizing;

use super::{accounts, count_u32, id16, kind, lock_account, opt_i64, opt_u64, to_i64, to_u64};
use crate::error::Result;
use crate::store::{ChallengeAdmission, ChallengeLimits, ChallengeRecord, ChallengeState};

/// Inserts the challenge if, at `now`, the account is not muted and its limits allow
/// it: the checks and the insertion in one transaction under the account's lock, so
/// two processes starting a push for one account at once cannot both count the same
/// free place (the rows they count may not exist yet, so there is no row to lock).
pub(super) async fn insert(
    pool: &PgPool,
    rec: &ChallengeRecord,
    limits: &ChallengeLimits,
    now: u64,
) -> Result<ChallengeAdmission> {
    let mut tx = pool.begin().await?;
    lock_account(&mut tx, &rec.account).await?;
    let admission = admit(&mut tx, rec, limits, now).await?;
    if admission == ChallengeAdmission::Inserted {
        insert_row(&mut tx, rec).await?;
    }
    // Committed (rather than dropped) when refused too, so the lock is released now.
    tx.commit().await?;
    Ok(admission)
}

/// What the account's mute and limits say at `now` (`Inserted` for "allowed").
async fn admit(
    tx: &mut PgConnection,
    rec: &ChallengeRecord,
    limits: &ChallengeLimits,
    now: u64,
) -> Result<ChallengeAdmission> {
    if let Some(until) = accounts::muted_until(tx, &rec.account)
        .await?
        .filter(|&u| now < u)
    {
        return Ok(ChallengeAdmission::Muted { until });
    }
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM rp_challenges
         WHERE account = $1 AND state = $2 AND expires_at > $3",
    )
    .bind(&rec.account)
    .bind(ChallengeState::Pending.as_str())
    .bind(to_i64(now)?)
    .fetch_one(&mut *tx)
    .await?;
    if pending >= i64::from(limits.max_pending) {
        return Ok(ChallengeAdmission::PendingExists);
    }
    let window = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest
         FROM rp_challenges WHERE account = $1 AND created_at > $2",
    )
    .bind(&rec.account)
    .bind(to_i64(now.saturating_sub(limits.window))?)
    .fetch_one(&mut *tx)
    .await?;
    if window.try_get::<i64, _>("n")? >= i64::from(limits.max_per_window) {
        let oldest = opt_u64(window.try_get("oldest")?)?.unwrap_or(now);
        return Ok(ChallengeAdmission::WindowFull {
            until: oldest.saturating_add(limits.window),
        });
    }
    Ok(ChallengeAdmission::Inserted)
}

async fn insert_row(tx: &mut PgConnection, rec: &ChallengeRecord) -> Result<()> {
    let c = &rec.challenge;
    sqlx::query(
        "INSERT INTO rp_challenges (challenge_id, account, device_id, created_at, expires_at,
             kind, uv, sealed, push_id, expected, handle_hash, state, resolved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&c.challenge_id.as_bytes()[..])
    .bind(&rec.account)
    .bind(&c.device_id.as_bytes()[..])
    .bind(to_i64(c.created_at)?)
    .bind(to_i64(c.expires_at)?)
    .bind(c.kind.as_str())
    .bind(c.uv)
    .bind(&c.sealed)
    .bind(&rec.push_id.as_bytes()[..])
    .bind(rec.expected.as_str())
    .bind(&rec.handle_hash[..])
    .bind(rec.state.as_str())
    .bind(opt_i64(rec.resolved_at)?)
    .execute(tx)
    .await?;
    Ok(())
}

/// The challenge whose session-handle hash is `handle_hash`.
pub(super) async fn by_handle(
    pool: &PgPool,
    handle_hash: &[u8; 32],
) -> Result<Option<ChallengeRecord>> {
    let row = sqlx::query(
        "SELECT challenge_id, account, device_id, created_at, expires_at, kind, uv, sealed,
             push_id, expected, state, resolved_at
         FROM rp_challenges WHERE handle_hash = $1",
    )
    .bind(&handle_hash[..])
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some(ChallengeRecord {
        challenge: Challenge {
            challenge_id: ChallengeId::from_bytes(id16(
                r.try_get("challenge_id")?,
                "challenge id",
            )?),
            device_id: DeviceId::from_bytes(id16(r.try_get("device_id")?, "device id")?),
            created_at: to_u64(r.try_get("created_at")?)?,
            expires_at: to_u64(r.try_get("expires_at")?)?,
            kind: kind(r.try_get("kind")?)?,
            uv: r.try_get("uv")?,
            sealed: r.try_get("sealed")?,
        },
        account: r.try_get("account")?,
        push_id: PushId::from_bytes(id16(r.try_get("push_id")?, "push id")?),
        expected: Zeroizing::new(r.try_get("expected")?),
        handle_hash: *handle_hash,
        state: ChallengeState::parse(r.try_get("state")?)?,
        resolved_at: opt_u64(r.try_get("resolved_at")?)?,
    }))
}

/// Moves the challenge from `from` to `to` at `now`, only if it is in `from`: one
/// conditional `UPDATE`, so of two processes resolving it at once exactly one wins.
pub(super) async fn resolve(
    pool: &PgPool,
    challenge_id: &ChallengeId,
    from: ChallengeState,
    to: ChallengeState,
    now: u64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE rp_challenges SET state = $3, resolved_at = $4
         WHERE challenge_id = $1 AND state = $2",
    )
    .bind(&challenge_id.as_bytes()[..])
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(to_i64(now)?)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels every pending challenge of the device; returns how many.
pub(super) async fn cancel_device(pool: &PgPool, device_id: &DeviceId, now: u64) -> Result<u32> {
    let done = sqlx::query(
        "UPDATE rp_challenges SET state = $3, resolved_at = $4
         WHERE device_id = $1 AND state = $2",
    )
    .bind(&device_id.as_bytes()[..])
    .bind(ChallengeState::Pending.as_str())
    .bind(ChallengeState::Cancelled.as_str())
    .bind(to_i64(now)?)
    .execute(pool)
    .await?;
    Ok(count_u32(done.rows_affected()))
}
