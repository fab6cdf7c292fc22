//! The push tables of [`super::SqliteStore`] (migration 2): offers, devices, challenges
//! and per-account push settings. Every state transition is one conditional `UPDATE …
//! WHERE state = ?`; a challenge's limit checks and insertion share one `BEGIN
//! IMMEDIATE` transaction.

use assent_protocol::{
    ApprovalKind, Challenge, ChallengeId, ChannelKey, DeviceId, DevicePublicKey, EnrollmentId,
    Platform, PushId,
};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use zeroize::Zeroizing;

use super::sqlite::{opt_u64, to_i64, to_u64};
use super::{
    ChallengeAdmission, ChallengeLimits, ChallengeRecord, ChallengeState, ClaimedOffer,
    DeviceRecord, DeviceState, EnrollmentRecord, EnrollmentState,
};
use crate::error::{Error, Result};
use crate::push::AccountPolicy;
use crate::totp_verify::TotpParams;

/// Migration 2: the push tables.
pub(super) const MIGRATION: &str = r#"
CREATE TABLE enrollments (
    eid            BLOB PRIMARY KEY NOT NULL,
    account        TEXT NOT NULL,
    state          TEXT NOT NULL,
    offer_json     TEXT,
    rp_private_key BLOB,
    min_kind       TEXT NOT NULL,
    uv             INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    by_proof       INTEGER NOT NULL,
    device_id      BLOB,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX enrollments_account ON enrollments (account);
CREATE TABLE devices (
    device_id    BLOB PRIMARY KEY NOT NULL,
    account      TEXT NOT NULL,
    eid          BLOB NOT NULL,
    device_pub   BLOB NOT NULL,
    channel_key  BLOB NOT NULL,
    platform     TEXT NOT NULL,
    name         TEXT NOT NULL,
    min_kind     TEXT NOT NULL,
    uv           INTEGER NOT NULL,
    totp_secret  BLOB NOT NULL,
    algorithm    TEXT NOT NULL,
    digits       INTEGER NOT NULL,
    period       INTEGER NOT NULL,
    state        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    activate_by  INTEGER NOT NULL,
    activated_at INTEGER,
    removed_at   INTEGER
) STRICT;
CREATE INDEX devices_account ON devices (account);
CREATE TABLE challenges (
    challenge_id BLOB PRIMARY KEY NOT NULL,
    account      TEXT NOT NULL,
    device_id    BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    uv           INTEGER NOT NULL,
    sealed       BLOB NOT NULL,
    push_id      BLOB NOT NULL,
    expected     TEXT NOT NULL,
    handle_hash  BLOB NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    resolved_at  INTEGER
) STRICT;
CREATE INDEX challenges_account ON challenges (account, created_at);
CREATE INDEX challenges_device ON challenges (device_id, state);
CREATE TABLE push_accounts (
    account     TEXT PRIMARY KEY NOT NULL,
    muted_until INTEGER,
    kind        TEXT,
    uv          INTEGER
) STRICT;
"#;

fn id16(bytes: Vec<u8>, what: &'static str) -> Result<[u8; 16]> {
    bytes.try_into().map_err(|_| Error::Corrupt(what))
}

fn kind(word: &str) -> Result<ApprovalKind> {
    ApprovalKind::parse(word).map_err(|_| Error::Corrupt("approval kind"))
}

pub(super) fn insert_enrollment(conn: &Connection, r: &EnrollmentRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO enrollments (eid, account, state, offer_json, rp_private_key, min_kind,
             uv, expires_at, by_proof, device_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            r.eid.as_bytes(),
            r.account,
            r.state.as_str(),
            r.offer_json.as_ref().map(|s| s.as_str()),
            r.rp_private_key.as_ref().map(|k| k.as_slice()),
            r.min.as_str(),
            r.uv,
            to_i64(r.expires_at)?,
            r.authorized_by_proof,
            r.device_id.as_ref().map(|d| d.as_bytes().to_vec()),
            to_i64(r.created_at)?,
        ],
    )?;
    Ok(())
}

type EnrollmentRow = (
    String,
    String,
    Option<Zeroizing<String>>,
    Option<Zeroizing<Vec<u8>>>,
    String,
    bool,
    i64,
    bool,
    Option<Vec<u8>>,
    i64,
);

pub(super) fn enrollment(
    conn: &Connection,
    eid: &EnrollmentId,
) -> Result<Option<EnrollmentRecord>> {
    let row: Option<EnrollmentRow> = conn
        .query_row(
            "SELECT account, state, offer_json, rp_private_key, min_kind, uv, expires_at,
                 by_proof, device_id, created_at
             FROM enrollments WHERE eid = ?1",
            [eid.as_bytes()],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?.map(Zeroizing::new),
                    r.get::<_, Option<Vec<u8>>>(3)?.map(Zeroizing::new),
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            },
        )
        .optional()?;
    let Some((account, state, offer_json, rp_private_key, min, uv, exp, by_proof, dev, created)) =
        row
    else {
        return Ok(None);
    };
    Ok(Some(EnrollmentRecord {
        eid: *eid,
        account,
        state: EnrollmentState::parse(&state)?,
        offer_json,
        rp_private_key,
        min: kind(&min)?,
        uv,
        expires_at: to_u64(exp)?,
        authorized_by_proof: by_proof,
        device_id: dev
            .map(|d| id16(d, "device id").map(DeviceId::from_bytes))
            .transpose()?,
        created_at: to_u64(created)?,
    }))
}

pub(super) fn claim_enrollment(
    conn: &mut Connection,
    eid: &EnrollmentId,
) -> Result<Option<ClaimedOffer>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let row: Option<(Option<String>, Option<Vec<u8>>)> = tx
        .query_row(
            "SELECT offer_json, rp_private_key FROM enrollments WHERE eid = ?1 AND state = ?2",
            params![eid.as_bytes(), EnrollmentState::Offered.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((json, key)) = row else {
        return Ok(None);
    };
    let (json, key) = (json.map(Zeroizing::new), key.map(Zeroizing::new));
    let n = tx.execute(
        "UPDATE enrollments SET state = ?2, offer_json = NULL, rp_private_key = NULL
         WHERE eid = ?1 AND state = ?3",
        params![
            eid.as_bytes(),
            EnrollmentState::Claimed.as_str(),
            EnrollmentState::Offered.as_str()
        ],
    )?;
    tx.commit()?;
    if n != 1 {
        return Ok(None);
    }
    match (json, key) {
        (Some(offer_json), Some(rp_private_key)) => Ok(Some(ClaimedOffer {
            offer_json,
            rp_private_key,
        })),
        _ => Err(Error::Corrupt("offer secrets missing")),
    }
}

pub(super) fn set_enrollment_state(
    conn: &Connection,
    eid: &EnrollmentId,
    from: EnrollmentState,
    to: EnrollmentState,
    device_id: Option<&DeviceId>,
) -> Result<bool> {
    let wipe = to == EnrollmentState::Killed;
    let n = conn.execute(
        "UPDATE enrollments SET state = ?3, device_id = COALESCE(?4, device_id),
             offer_json = CASE WHEN ?5 THEN NULL ELSE offer_json END,
             rp_private_key = CASE WHEN ?5 THEN NULL ELSE rp_private_key END
         WHERE eid = ?1 AND state = ?2",
        params![
            eid.as_bytes(),
            from.as_str(),
            to.as_str(),
            device_id.map(|d| d.as_bytes().to_vec()),
            wipe
        ],
    )?;
    Ok(n == 1)
}

pub(super) fn insert_device(conn: &Connection, d: &DeviceRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO devices (device_id, account, eid, device_pub, channel_key, platform, name,
             min_kind, uv, totp_secret, algorithm, digits, period, state, created_at,
             activate_by, activated_at, removed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            d.device_id.as_bytes(),
            d.account,
            d.eid.as_bytes(),
            &d.device_pub.as_bytes()[..],
            &d.channel_key.expose_secret()[..],
            d.platform.as_str(),
            d.name,
            d.min.as_str(),
            d.uv,
            d.totp_secret.as_bytes(),
            d.totp_params.algorithm.to_string(),
            i64::from(d.totp_params.digits),
            to_i64(d.totp_params.period)?,
            d.state.as_str(),
            to_i64(d.created_at)?,
            to_i64(d.activate_by)?,
            d.activated_at.map(to_i64).transpose()?,
            d.removed_at.map(to_i64).transpose()?,
        ],
    )?;
    Ok(())
}

const DEVICE_COLUMNS: &str = "device_id, account, eid, device_pub, channel_key, platform, name,
    min_kind, uv, totp_secret, algorithm, digits, period, state, created_at, activate_by,
    activated_at, removed_at";

fn device_from_row(r: &Row<'_>) -> Result<DeviceRecord> {
    let chan: Zeroizing<Vec<u8>> = Zeroizing::new(r.get(4)?);
    let chan: [u8; 32] = chan
        .as_slice()
        .try_into()
        .map_err(|_| Error::Corrupt("channel key"))?;
    let secret: Zeroizing<Vec<u8>> = Zeroizing::new(r.get(9)?);
    let pubkey: Vec<u8> = r.get(3)?;
    Ok(DeviceRecord {
        device_id: DeviceId::from_bytes(id16(r.get(0)?, "device id")?),
        account: r.get(1)?,
        eid: EnrollmentId::from_bytes(id16(r.get(2)?, "eid")?),
        device_pub: DevicePublicKey::from_sec1(&pubkey)
            .map_err(|_| Error::Corrupt("device key"))?,
        channel_key: ChannelKey::from_bytes(chan),
        platform: Platform::parse(&r.get::<_, String>(5)?)
            .map_err(|_| Error::Corrupt("platform"))?,
        name: r.get(6)?,
        min: kind(&r.get::<_, String>(7)?)?,
        uv: r.get(8)?,
        totp_secret: assent_otp::Secret::from_bytes(secret.to_vec())?,
        totp_params: TotpParams {
            algorithm: r
                .get::<_, String>(10)?
                .parse()
                .map_err(|_| Error::Corrupt("totp algorithm"))?,
            digits: u8::try_from(r.get::<_, i64>(11)?).map_err(|_| Error::Corrupt("digits"))?,
            period: to_u64(r.get(12)?)?,
        },
        state: DeviceState::parse(&r.get::<_, String>(13)?)?,
        created_at: to_u64(r.get(14)?)?,
        activate_by: to_u64(r.get(15)?)?,
        activated_at: opt_u64(r.get(16)?)?,
        removed_at: opt_u64(r.get(17)?)?,
    })
}

pub(super) fn device(conn: &Connection, device_id: &DeviceId) -> Result<Option<DeviceRecord>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = ?1"
    ))?;
    let mut rows = stmt.query([device_id.as_bytes()])?;
    match rows.next()? {
        Some(r) => Ok(Some(device_from_row(r)?)),
        None => Ok(None),
    }
}

pub(super) fn devices(conn: &Connection, account: &str) -> Result<Vec<DeviceRecord>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE account = ?1 ORDER BY created_at, device_id"
    ))?;
    let mut rows = stmt.query([account])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(device_from_row(r)?);
    }
    Ok(out)
}

pub(super) fn set_device_state(
    conn: &Connection,
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
    let n = conn.execute(
        "UPDATE devices SET state = ?3, activated_at = COALESCE(?4, activated_at),
             removed_at = COALESCE(?5, removed_at)
         WHERE device_id = ?1 AND state = ?2",
        params![
            device_id.as_bytes(),
            from.as_str(),
            to.as_str(),
            activated,
            removed
        ],
    )?;
    Ok(n == 1)
}

pub(super) fn insert_challenge(
    conn: &mut Connection,
    rec: &ChallengeRecord,
    limits: &ChallengeLimits,
    now: u64,
) -> Result<ChallengeAdmission> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let muted: Option<Option<i64>> = tx
        .query_row(
            "SELECT muted_until FROM push_accounts WHERE account = ?1",
            [&rec.account],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(until) = opt_u64(muted.flatten())?.filter(|&u| now < u) {
        return Ok(ChallengeAdmission::Muted { until });
    }
    let now_i = to_i64(now)?;
    let pending: i64 = tx.query_row(
        "SELECT COUNT(*) FROM challenges WHERE account = ?1 AND state = ?2 AND expires_at > ?3",
        params![rec.account, ChallengeState::Pending.as_str(), now_i],
        |r| r.get(0),
    )?;
    if pending >= i64::from(limits.max_pending) {
        return Ok(ChallengeAdmission::PendingExists);
    }
    let since = to_i64(now.saturating_sub(limits.window))?;
    let (count, oldest): (i64, Option<i64>) = tx.query_row(
        "SELECT COUNT(*), MIN(created_at) FROM challenges WHERE account = ?1 AND created_at > ?2",
        params![rec.account, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if count >= i64::from(limits.max_per_window) {
        let oldest = opt_u64(oldest)?.unwrap_or(now);
        return Ok(ChallengeAdmission::WindowFull {
            until: oldest.saturating_add(limits.window),
        });
    }
    let c = &rec.challenge;
    tx.execute(
        "INSERT INTO challenges (challenge_id, account, device_id, created_at, expires_at, kind,
             uv, sealed, push_id, expected, handle_hash, state, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            c.challenge_id.as_bytes(),
            rec.account,
            c.device_id.as_bytes(),
            to_i64(c.created_at)?,
            to_i64(c.expires_at)?,
            c.kind.as_str(),
            c.uv,
            c.sealed,
            rec.push_id.as_bytes(),
            rec.expected.as_str(),
            &rec.handle_hash[..],
            rec.state.as_str(),
            rec.resolved_at.map(to_i64).transpose()?,
        ],
    )?;
    tx.commit()?;
    Ok(ChallengeAdmission::Inserted)
}

pub(super) fn challenge_by_handle(
    conn: &Connection,
    handle_hash: &[u8; 32],
) -> Result<Option<ChallengeRecord>> {
    let mut stmt = conn.prepare(
        "SELECT challenge_id, account, device_id, created_at, expires_at, kind, uv, sealed,
             push_id, expected, state, resolved_at
         FROM challenges WHERE handle_hash = ?1",
    )?;
    let mut rows = stmt.query([&handle_hash[..]])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(ChallengeRecord {
        challenge: Challenge {
            challenge_id: ChallengeId::from_bytes(id16(r.get(0)?, "challenge id")?),
            device_id: DeviceId::from_bytes(id16(r.get(2)?, "device id")?),
            created_at: to_u64(r.get(3)?)?,
            expires_at: to_u64(r.get(4)?)?,
            kind: kind(&r.get::<_, String>(5)?)?,
            uv: r.get(6)?,
            sealed: r.get(7)?,
        },
        account: r.get(1)?,
        push_id: PushId::from_bytes(id16(r.get(8)?, "push id")?),
        expected: Zeroizing::new(r.get(9)?),
        handle_hash: *handle_hash,
        state: ChallengeState::parse(&r.get::<_, String>(10)?)?,
        resolved_at: opt_u64(r.get(11)?)?,
    }))
}

pub(super) fn resolve_challenge(
    conn: &Connection,
    challenge_id: &ChallengeId,
    from: ChallengeState,
    to: ChallengeState,
    now: u64,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE challenges SET state = ?3, resolved_at = ?4
         WHERE challenge_id = ?1 AND state = ?2",
        params![
            challenge_id.as_bytes(),
            from.as_str(),
            to.as_str(),
            to_i64(now)?
        ],
    )?;
    Ok(n == 1)
}

pub(super) fn cancel_device_challenges(
    conn: &Connection,
    device_id: &DeviceId,
    now: u64,
) -> Result<u32> {
    let n = conn.execute(
        "UPDATE challenges SET state = ?3, resolved_at = ?4 WHERE device_id = ?1 AND state = ?2",
        params![
            device_id.as_bytes(),
            ChallengeState::Pending.as_str(),
            ChallengeState::Cancelled.as_str(),
            to_i64(now)?
        ],
    )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub(super) fn mute_pushes(conn: &Connection, account: &str, until: u64) -> Result<()> {
    conn.execute(
        "INSERT INTO push_accounts (account, muted_until) VALUES (?1, ?2)
         ON CONFLICT (account) DO UPDATE
             SET muted_until = MAX(COALESCE(muted_until, 0), excluded.muted_until)",
        params![account, to_i64(until)?],
    )?;
    Ok(())
}

pub(super) fn pushes_muted_until(conn: &Connection, account: &str) -> Result<Option<u64>> {
    let v: Option<Option<i64>> = conn
        .query_row(
            "SELECT muted_until FROM push_accounts WHERE account = ?1",
            [account],
            |r| r.get(0),
        )
        .optional()?;
    opt_u64(v.flatten())
}

pub(super) fn set_account_policy(
    conn: &Connection,
    account: &str,
    policy: &AccountPolicy,
) -> Result<()> {
    conn.execute(
        "INSERT INTO push_accounts (account, kind, uv) VALUES (?1, ?2, ?3)
         ON CONFLICT (account) DO UPDATE SET kind = excluded.kind, uv = excluded.uv",
        params![account, policy.kind.as_str(), policy.uv],
    )?;
    Ok(())
}

pub(super) fn account_policy(conn: &Connection, account: &str) -> Result<Option<AccountPolicy>> {
    let row: Option<(Option<String>, Option<bool>)> = conn
        .query_row(
            "SELECT kind, uv FROM push_accounts WHERE account = ?1",
            [account],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((Some(k), Some(uv))) => Ok(Some(AccountPolicy {
            kind: kind(&k)?,
            uv,
        })),
        _ => Ok(None),
    }
}

/// Tables holding per-account push state, for `delete_account`.
pub(super) const ACCOUNT_TABLES: [&str; 4] =
    ["enrollments", "devices", "challenges", "push_accounts"];
