//! The `rp_enrollments` table: offers, whose secrets are handed out once and whose
//! state moves only by conditional updates.

use assent_protocol::{DeviceId, EnrollmentId};
use sqlx::{PgPool, Row as _};
use zeroize::Zeroizing;

use super::{id16, kind, to_i64, to_u64};
use crate::error::{Error, Result};
use crate::store::{ClaimedOffer, EnrollmentRecord, EnrollmentState};

pub(super) async fn insert(pool: &PgPool, r: &EnrollmentRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO rp_enrollments (eid, account, state, offer_json, rp_private_key, min_kind,
             uv, expires_at, by_proof, device_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&r.eid.as_bytes()[..])
    .bind(&r.account)
    .bind(r.state.as_str())
    .bind(r.offer_json.as_ref().map(|s| s.as_str()))
    .bind(r.rp_private_key.as_ref().map(|k| k.as_slice()))
    .bind(r.min.as_str())
    .bind(r.uv)
    .bind(to_i64(r.expires_at)?)
    .bind(r.authorized_by_proof)
    .bind(r.device_id.as_ref().map(|d| &d.as_bytes()[..]))
    .bind(to_i64(r.created_at)?)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn get(pool: &PgPool, eid: &EnrollmentId) -> Result<Option<EnrollmentRecord>> {
    let row = sqlx::query(
        "SELECT account, state, offer_json, rp_private_key, min_kind, uv, expires_at,
             by_proof, device_id, created_at
         FROM rp_enrollments WHERE eid = $1",
    )
    .bind(&eid.as_bytes()[..])
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let device_id: Option<Vec<u8>> = r.try_get("device_id")?;
    Ok(Some(EnrollmentRecord {
        eid: *eid,
        account: r.try_get("account")?,
        state: EnrollmentState::parse(r.try_get("state")?)?,
        offer_json: r
            .try_get::<Option<String>, _>("offer_json")?
            .map(Zeroizing::new),
        rp_private_key: r
            .try_get::<Option<Vec<u8>>, _>("rp_private_key")?
            .map(Zeroizing::new),
        min: kind(r.try_get("min_kind")?)?,
        uv: r.try_get("uv")?,
        expires_at: to_u64(r.try_get("expires_at")?)?,
        authorized_by_proof: r.try_get("by_proof")?,
        device_id: device_id
            .map(|d| id16(d, "device id").map(DeviceId::from_bytes))
            .transpose()?,
        created_at: to_u64(r.try_get("created_at")?)?,
    }))
}

/// Takes an `Offered` offer's secrets, wiping them and moving it to `Claimed`, in one
/// statement that returns the secrets as they were before it wiped them. Its subquery
/// locks the row `FOR UPDATE`: a second claim waits for the first, then finds the row
/// no longer `Offered` and returns nothing.
pub(super) async fn claim(pool: &PgPool, eid: &EnrollmentId) -> Result<Option<ClaimedOffer>> {
    let row = sqlx::query(
        "UPDATE rp_enrollments AS e
         SET state = $2, offer_json = NULL, rp_private_key = NULL
         FROM (SELECT eid, offer_json, rp_private_key FROM rp_enrollments
               WHERE eid = $1 AND state = $3 FOR UPDATE) AS old
         WHERE e.eid = old.eid
         RETURNING old.offer_json, old.rp_private_key",
    )
    .bind(&eid.as_bytes()[..])
    .bind(EnrollmentState::Claimed.as_str())
    .bind(EnrollmentState::Offered.as_str())
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let json = r
        .try_get::<Option<String>, _>("offer_json")?
        .map(Zeroizing::new);
    let key = r
        .try_get::<Option<Vec<u8>>, _>("rp_private_key")?
        .map(Zeroizing::new);
    match (json, key) {
        (Some(offer_json), Some(rp_private_key)) => Ok(Some(ClaimedOffer {
            offer_json,
            rp_private_key,
        })),
        _ => Err(Error::Corrupt("offer secrets missing")),
    }
}

/// Moves the offer from `from` to `to` (recording `device_id` when given); killing it
/// wipes its secrets. One conditional `UPDATE`.
pub(super) async fn set_state(
    pool: &PgPool,
    eid: &EnrollmentId,
    from: EnrollmentState,
    to: EnrollmentState,
    device_id: Option<&DeviceId>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE rp_enrollments SET state = $3, device_id = COALESCE($4, device_id),
             offer_json = CASE WHEN $5 THEN NULL ELSE offer_json END,
             rp_private_key = CASE WHEN $5 THEN NULL ELSE rp_private_key END
         WHERE eid = $1 AND state = $2",
    )
    .bind(&eid.as_bytes()[..])
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(device_id.map(|d| &d.as_bytes()[..]))
    .bind(to == EnrollmentState::Killed)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
