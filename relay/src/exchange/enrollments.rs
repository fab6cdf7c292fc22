//! Enrollment: the RP announces an eid, a phone registers for it (the first
//! registration wins), the RP reads the registration and delivers the sealed answer,
//! which creates the device; the phone fetches the answer.
//!
//! The tenant of every enrollment is read from the stored record and compared with the
//! caller's; another tenant's enrollment answers exactly like a missing one.

use assent_protocol::api::{
    Announce, Delivered, EnrollmentStatus, EnrollmentView, Registered, RegisteredStatus,
    RegistrationList,
};
use assent_protocol::{EnrollmentAnswer, EnrollmentId, Registration};

use super::{to_u64, Exchange};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{db_time, DeviceRecord, EnrollmentRecord, StoreError};
use crate::waiters::{keys, Owner};

/// Whether a request created something or found it already there (same content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored now.
    New,
    /// The very same thing was stored before: nothing changed.
    Again,
}

fn unknown_enrollment() -> AppError {
    AppError::new(
        ErrorCode::UnknownEnrollment,
        "no such enrollment for this tenant",
    )
}

fn view(record: &EnrollmentRecord) -> AppResult<EnrollmentView> {
    let registration = record
        .registration
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(AppError::internal)?;
    let status = match (&record.registration, &record.answer) {
        (_, Some(_)) => EnrollmentStatus::Delivered,
        (Some(_), None) => EnrollmentStatus::Registered,
        (None, None) => EnrollmentStatus::Announced,
    };
    Ok(EnrollmentView {
        eid: record.eid.clone(),
        status,
        expires_at: to_u64(record.expires_at),
        registration,
        registered_at: record.registered_at.map(to_u64),
    })
}

impl Exchange {
    async fn owned_enrollment(&self, tenant_id: &str, eid: &str) -> AppResult<EnrollmentRecord> {
        EnrollmentId::parse(eid).map_err(|_| unknown_enrollment())?;
        match self.store.enrollment(eid).await? {
            Some(record) if record.tenant_id == tenant_id => Ok(record),
            _ => Err(unknown_enrollment()),
        }
    }

    /// The RP announces an offer's eid; registrations are accepted until its expiry by
    /// the relay's clock, capped at `max_enrollment_ttl_secs`.
    pub async fn announce(&self, tenant_id: &str, body: &Announce) -> AppResult<EnrollmentView> {
        let now = self.clock.now();
        if body.expires_at <= now {
            return Err(AppError::new(
                ErrorCode::InvalidBody,
                "expires_at is not in the future (by the relay's clock)",
            ));
        }
        let expires_at = body
            .expires_at
            .min(now.saturating_add(self.config.limits.max_enrollment_ttl_secs));
        let record = EnrollmentRecord {
            eid: body.eid.to_string(),
            tenant_id: tenant_id.to_owned(),
            created_at: db_time(now),
            expires_at: db_time(expires_at),
            registration: None,
            device_pub: None,
            registered_at: None,
            answer: None,
            device_id: None,
        };
        match self.store.announce_enrollment(&record).await {
            Err(StoreError::Conflict) => Err(AppError::new(
                ErrorCode::AlreadyExists,
                "this enrollment id was already announced",
            )),
            other => other.map_err(AppError::from),
        }?;
        view(&record)
    }

    /// The phone's registration for `eid` as it was stored (JSON text), waiting up to
    /// `wait` seconds for one; `None` while no phone has registered.
    pub async fn registration(
        &self,
        tenant_id: &str,
        eid: &str,
        wait: Option<u64>,
    ) -> AppResult<Option<String>> {
        let mut record = self.owned_enrollment(tenant_id, eid).await?;
        let timeout = self.wait_for(wait, Some(to_u64(record.expires_at)));
        if record.registration.is_none() && !timeout.is_zero() {
            let _slot = self.long_poll_slot(Owner::Tenant(tenant_id))?;
            let store = self.store.clone();
            let id = eid.to_owned();
            self.waiters
                .wait(&keys::registration(eid), timeout, || async {
                    Ok::<_, StoreError>(
                        store
                            .enrollment(&id)
                            .await?
                            .is_some_and(|r| r.registration.is_some()),
                    )
                })
                .await?;
            record = self.owned_enrollment(tenant_id, eid).await?;
        }
        Ok(record.registration)
    }

    /// The tenant's registrations that have no answer yet (at most 100, oldest first),
    /// waiting up to `wait` seconds for one.
    pub async fn registrations(
        &self,
        tenant_id: &str,
        wait: Option<u64>,
    ) -> AppResult<RegistrationList> {
        let timeout = self.wait_for(wait, None);
        if !timeout.is_zero() {
            let _slot = self.long_poll_slot(Owner::Tenant(tenant_id))?;
            let store = self.store.clone();
            let tenant = tenant_id.to_owned();
            let now = db_time(self.clock.now());
            self.waiters
                .wait(&keys::tenant_registrations(tenant_id), timeout, || async {
                    Ok::<_, StoreError>(
                        !store
                            .pending_registrations(&tenant, now, 1)
                            .await?
                            .is_empty(),
                    )
                })
                .await?;
        }
        let records = self
            .store
            .pending_registrations(tenant_id, db_time(self.clock.now()), 100)
            .await?;
        let registrations = records.iter().map(view).collect::<AppResult<Vec<_>>>()?;
        Ok(RegistrationList { registrations })
    }

    /// The RP delivers the sealed enrollment answer for `eid`, which creates the device.
    /// Delivering the same answer again changes nothing ([`Stored::Again`]).
    pub async fn deliver(
        &self,
        tenant_id: &str,
        eid: &str,
        answer: &EnrollmentAnswer,
    ) -> AppResult<(Delivered, Stored)> {
        let record = self.owned_enrollment(tenant_id, eid).await?;
        self.deliver_to(record, answer).await
    }

    /// [`Exchange::deliver`] of an answer as JSON bytes, parsed only once the eid is
    /// known to be the tenant's (the cheap check first).
    pub async fn deliver_json(
        &self,
        tenant_id: &str,
        eid: &str,
        body: &[u8],
    ) -> AppResult<(Delivered, Stored)> {
        let record = self.owned_enrollment(tenant_id, eid).await?;
        let answer = EnrollmentAnswer::from_json(body)?;
        self.deliver_to(record, &answer).await
    }

    async fn deliver_to(
        &self,
        record: EnrollmentRecord,
        answer: &EnrollmentAnswer,
    ) -> AppResult<(Delivered, Stored)> {
        if answer.eid.to_string() != record.eid {
            return Err(AppError::new(
                ErrorCode::InvalidBody,
                "answer is for another enrollment id",
            ));
        }
        let delivered = Delivered {
            eid: record.eid.clone(),
            device_id: answer.device_id.to_string(),
        };
        let canonical = answer.to_json();
        if let Some(existing) = &record.answer {
            return if *existing == canonical {
                Ok((delivered, Stored::Again))
            } else {
                Err(another_answer())
            };
        }
        let (Some(registration), Some(device_pub)) = (&record.registration, &record.device_pub)
        else {
            return Err(AppError::new(
                ErrorCode::NotPending,
                "no registration has arrived for this enrollment yet",
            ));
        };
        if answer.device_pub.as_bytes().as_slice() != device_pub.as_slice() {
            return Err(AppError::new(
                ErrorCode::InvalidBody,
                "answer names another device key than the registration",
            ));
        }
        let registration = Registration::from_json(registration.as_bytes())
            .map_err(|e| AppError::internal(format!("stored registration unreadable: {e}")))?;
        let now = db_time(self.clock.now());
        let device = DeviceRecord {
            device_id: delivered.device_id.clone(),
            tenant_id: record.tenant_id.clone(),
            device_pub: device_pub.clone(),
            platform: registration.platform.as_str().to_owned(),
            push_token: registration.push_token.clone(),
            push_seq: 0,
            push_token_at: None,
            created_at: now,
            unenroll: None,
            unenroll_at: None,
        };
        match self
            .store
            .deliver_enrollment(&record.eid, &canonical, &device, now)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Err(another_answer()),
            Err(StoreError::Conflict) => {
                return Err(AppError::new(
                    ErrorCode::AlreadyExists,
                    "this device id is already in use",
                ))
            }
            Err(e) => return Err(e.into()),
        }
        self.waiters.wake(&keys::enrollment_answer(&record.eid));
        Ok((delivered, Stored::New))
    }

    /// Whether the tenant already delivered an answer naming `device_id` for `eid`.
    pub async fn answer_delivered(
        &self,
        tenant_id: &str,
        eid: &EnrollmentId,
        device_id: &str,
    ) -> AppResult<bool> {
        Ok(self
            .store
            .enrollment(&eid.to_string())
            .await?
            .is_some_and(|r| {
                r.tenant_id == tenant_id
                    && r.answer.is_some()
                    && r.device_id.as_deref() == Some(device_id)
            }))
    }

    /// A phone registers for an announced eid (unsigned: the registration authenticates
    /// itself by its bind and signature, checked when parsed). The first registration
    /// wins; the same one again changes nothing.
    pub async fn register(&self, registration: &Registration) -> AppResult<(Registered, Stored)> {
        let eid = registration.eid.to_string();
        self.check_push_target(registration.platform, &registration.push_token)?;
        let record = self
            .store
            .enrollment(&eid)
            .await?
            .ok_or_else(not_announced)?;
        let canonical = registration.to_json();
        let registered = Registered {
            eid: eid.clone(),
            status: RegisteredStatus::Registered,
        };
        if let Some(existing) = &record.registration {
            return if *existing == canonical {
                Ok((registered, Stored::Again))
            } else {
                Err(another_registration())
            };
        }
        let now = self.clock.now();
        if db_time(now) >= record.expires_at {
            return Err(AppError::new(ErrorCode::Expired, "the enrollment expired"));
        }
        let stored = self
            .store
            .register(
                &eid,
                &canonical,
                registration.device_pub.as_bytes(),
                db_time(now),
            )
            .await?;
        if !stored {
            return Err(another_registration());
        }
        self.waiters.wake(&keys::registration(&eid));
        self.waiters
            .wake(&keys::tenant_registrations(&record.tenant_id));
        self.events
            .registration_received(&record.tenant_id, &eid)
            .await;
        Ok((registered, Stored::New))
    }

    /// The sealed enrollment answer for `eid`, for the registering phone (unsigned: it
    /// is sealed under the channel key only that phone holds), waiting up to `wait`
    /// seconds for the RP to deliver it.
    pub async fn enrollment_answer(
        &self,
        eid: &str,
        wait: Option<u64>,
    ) -> AppResult<EnrollmentAnswer> {
        EnrollmentId::parse(eid).map_err(|_| not_announced())?;
        let record = self
            .store
            .enrollment(eid)
            .await?
            .ok_or_else(not_announced)?;
        let mut answer = record.answer;
        let timeout = self.wait_for(wait, None);
        if answer.is_none() && record.registration.is_some() && !timeout.is_zero() {
            // The registering phone has no device id yet: its wait counts for the tenant.
            let _slot = self.long_poll_slot(Owner::Tenant(&record.tenant_id))?;
            let store = self.store.clone();
            let id = eid.to_owned();
            self.waiters
                .wait(&keys::enrollment_answer(eid), timeout, || async {
                    Ok::<_, StoreError>(
                        store
                            .enrollment(&id)
                            .await?
                            .is_some_and(|r| r.answer.is_some()),
                    )
                })
                .await?;
            answer = self.store.enrollment(eid).await?.and_then(|r| r.answer);
        }
        let text = answer.ok_or_else(|| {
            AppError::new(
                ErrorCode::NotReady,
                "the RP has not delivered the enrollment answer yet",
            )
        })?;
        EnrollmentAnswer::from_json(text.as_bytes())
            .map_err(|e| AppError::internal(format!("stored answer unreadable: {e}")))
    }
}

/// What a phone hears about an eid the relay does not know.
fn not_announced() -> AppError {
    AppError::new(
        ErrorCode::UnknownEnrollment,
        "this enrollment id was not announced (or has been purged)",
    )
}

fn another_answer() -> AppError {
    AppError::new(
        ErrorCode::AlreadyExists,
        "another answer was already delivered for this enrollment",
    )
}

fn another_registration() -> AppError {
    AppError::new(
        ErrorCode::AlreadyExists,
        "another registration already arrived for this enrollment",
    )
}
