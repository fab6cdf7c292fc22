//! The `rp_devices` table: each phone's pinned keys and TOTP secret, and its state.

use assent_protocol::{ChannelKey, DeviceId, DevicePublicKey, EnrollmentId, Platform};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};
use zeroize::Zeroizing;

use super::{id16, kind, opt_i64, opt_u64, to_i64, to_u64, totp_params};
use crate::error::{Error, Result};
use crate::store::{DeviceRecord, DeviceState};

pub(super) async fn insert(pool: &PgPool, d: &DeviceRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO rp_devices (device_id, account, eid, device_pub, channel_key, platform, name,
             min_kind, uv, totp_secret, algorithm, digits, period, state, created_at,
             activate_by, activated_at, removed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18)",
    )
    .bind(&d.device_id.as_bytes()[..])
    .bind(&d.account)
    .bind(&d.eid.as_bytes()[..])
    .bind(&d.device_pub.as_bytes()[..])
    .bind(&d.channel_key.expose_secret()[..])
    .bind(d.platform.as_str())
    .bind(&d.name)
    .bind(d.min.as_str())
    .bind(d.uv)
    .bind(d.totp_secret.as_bytes())
    .bind(d.totp_params.algorithm.to_string())
    .bind(i64::from(d.totp_params.digits))
    .bind(to_i64(d.totp_params.period)?)
    .bind(d.state.as_str())
    .bind(to_i64(d.created_at)?)
    .bind(to_i64(d.activate_by)?)
    .bind(opt_i64(d.activated_at)?)
    .bind(opt_i64(d.removed_at)?)
    .execute(pool)
    .await?;
    Ok(())
}

const COLUMNS: &str = "device_id, account, eid, device_pub, channel_key, platform, name,
    min_kind, uv, totp_secret, algorithm, digits, period, state, created_at, activate_by,
    activated_at, removed_at";

fn from_row(r: &PgRow) -> Result<DeviceRecord> {
    let chan = Zeroizing::new(r.try_get::<Vec<u8>, _>("channel_key")?);
    let chan: [u8; 32] = chan
        .as_slice()
        .try_into()
        .map_err(|_| Error::Corrupt("channel key"))?;
    let secret = Zeroizing::new(r.try_get::<Vec<u8>, _>("totp_secret")?);
    let pubkey: Vec<u8> = r.try_get("device_pub")?;
    Ok(DeviceRecord {
        device_id: DeviceId::from_bytes(id16(r.try_get("device_id")?, "device id")?),
        account: r.try_get("account")?,
        eid: EnrollmentId::from_bytes(id16(r.try_get("eid")?, "eid")?),
        device_pub: DevicePublicKey::from_sec1(&pubkey)
            .map_err(|_| Error::Corrupt("device key"))?,
        channel_key: ChannelKey::from_bytes(chan),
        platform: Platform::parse(r.try_get("platform")?)
            .map_err(|_| Error::Corrupt("platform"))?,
        name: r.try_get("name")?,
        min: kind(r.try_get("min_kind")?)?,
        uv: r.try_get("uv")?,
        totp_secret: assent_otp::Secret::from_bytes(secret.to_vec())?,
        totp_params: totp_params(
            r.try_get("algorithm")?,
            r.try_get("digits")?,
            r.try_get("period")?,
        )?,
        state: DeviceState::parse(r.try_get("state")?)?,
        created_at: to_u64(r.try_get("created_at")?)?,
        activate_by: to_u64(r.try_get("activate_by")?)?,
        activated_at: opt_u64(r.try_get("activated_at")?)?,
        removed_at: opt_u64(r.try_get("removed_at")?)?,
    })
}

pub(super) async fn get(pool: &PgPool, device_id: &DeviceId) -> Result<Option<DeviceRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM rp_devices WHERE device_id = $1"
    ))
    .bind(&device_id.as_bytes()[..])
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account's devices (every state), oldest first.
pub(super) async fn of_account(pool: &PgPool, account: &str) -> Result<Vec<DeviceRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM rp_devices WHERE account = $1 ORDER BY created_at, device_id"
    ))
    .bind(account)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Moves the device from `from` to `to`, stamping `activated_at` or `removed_at`: one
/// conditional `UPDATE`.
pub(super) async fn set_state(
    pool: &PgPool,
    device_id: &DeviceId,
    from: DeviceState,
    to: DeviceState,
    now: u64,
) -> Result<bool> {
    let now = to_i64(now)?;
    let (activated, removed) = match to {
        DeviceState::Active => (Some(now), None),
        DeviceState::Removed => (None, Some(now)),
        DeviceState::Pending => (None, None),
    };
    let done = sqlx::query(
        "UPDATE rp_devices SET state = $3, activated_at = COALESCE($4, activated_at),
             removed_at = COALESCE($5, removed_at)
         WHERE device_id = $1 AND state = $2",
    )
    .bind(&device_id.as_bytes()[..])
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(activated)
    .bind(removed)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
