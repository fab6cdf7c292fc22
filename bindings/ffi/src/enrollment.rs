//! Push enrollment (from a QR code or in-app) and removal.

use std::sync::Arc;

use assent_core::AccountId;
use tokio::sync::Mutex;

use crate::account::CodeView;
use crate::assent::Assent;
use crate::error::AssentError;
use crate::kinds::Custody;

/// An enrollment registered with the relay, waiting for the login server's
/// answer: pass it to `finish_enrollment` until it returns an account id,
/// or to `cancel_enrollment`. Lost when the app process ends (the user then
/// scans a new code).
#[derive(uniffi::Object)]
pub struct PendingEnrollment {
    inner: Arc<Mutex<Option<assent_core::PendingEnrollment>>>,
    issuer: String,
    account_name: String,
    custody: Custody,
}

impl std::fmt::Debug for PendingEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingEnrollment")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl PendingEnrollment {
    fn new(pending: assent_core::PendingEnrollment) -> Arc<Self> {
        Arc::new(Self {
            issuer: pending.issuer().to_owned(),
            account_name: pending.account().to_owned(),
            custody: pending.custody().into(),
            inner: Arc::new(Mutex::new(Some(pending))),
        })
    }
}

fn cancelled() -> AssentError {
    AssentError::invalid("this enrollment was cancelled")
}

#[uniffi::export]
impl PendingEnrollment {
    /// The login server's display name, from the offer.
    pub fn issuer(&self) -> String {
        self.issuer.clone()
    }
    /// The account's name at the login server, from the offer.
    pub fn account_name(&self) -> String {
        self.account_name.clone()
    }
    /// `Relay` means managed mode (the relay holds the server's keys): show
    /// it before the user confirms.
    pub fn custody(&self) -> Custody {
        self.custody
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Assent {
    /// Starts enrolling from a scanned `assent://enroll?…` QR code ("connect
    /// from a computer"): creates the device key (with user-verification
    /// access control when the server requires it) and registers with the
    /// relay. Then call `finish_enrollment`.
    pub async fn enroll_uri(&self, uri: String) -> Result<Arc<PendingEnrollment>, AssentError> {
        let pending = self.lock().await.enroll_uri(&uri).await?;
        Ok(PendingEnrollment::new(pending))
    }

    /// Starts enrolling from an offer JSON value the app received over its
    /// own authenticated session with the login server ("connect from this
    /// phone"; never from an unverified link).
    pub async fn enroll_json(
        &self,
        offer_json: String,
    ) -> Result<Arc<PendingEnrollment>, AssentError> {
        let pending = self.lock().await.enroll_json(offer_json.as_bytes()).await?;
        Ok(PendingEnrollment::new(pending))
    }

    /// Fetches and opens the login server's answer and stores the push
    /// account. Returns null while the server has not answered (call again
    /// after a second or two), then the new account's id; show its
    /// `activation_code` for the user to type on the login page.
    pub async fn finish_enrollment(
        &self,
        pending: Arc<PendingEnrollment>,
    ) -> Result<Option<String>, AssentError> {
        let slot = pending.inner.lock().await;
        let pending = slot.as_ref().ok_or_else(cancelled)?;
        let id = self.lock().await.finish_enrollment(pending).await?;
        Ok(id.map(|id| id.to_string()))
    }

    /// Asks the login server (through the relay) to remove this phone from
    /// a push account. Follow with `finish_unenroll`.
    pub async fn request_unenroll(&self, account_id: String) -> Result<(), AssentError> {
        let id = AccountId::new(account_id);
        Ok(self.lock().await.request_unenroll(&id).await?)
    }

    /// Checks for the login server's confirmation of the removal: false
    /// while there is none yet (call again later); true once it is
    /// authentic, after the account and its device key are deleted.
    pub async fn finish_unenroll(&self, account_id: String) -> Result<bool, AssentError> {
        let id = AccountId::new(account_id);
        Ok(self.lock().await.finish_unenroll(&id).await?)
    }

    /// Asks whether the login server removed this phone from a push account
    /// on its own (the user removed it on the account's security page).
    /// True once the server's sealed notice is authentic, after the account
    /// and its device key are deleted; false when there is none.
    pub async fn check_removed(&self, account_id: String) -> Result<bool, AssentError> {
        let id = AccountId::new(account_id);
        Ok(self.lock().await.check_removed(&id).await?)
    }
}

#[uniffi::export]
impl Assent {
    /// Abandons an unfinished enrollment and deletes its device key.
    pub fn cancel_enrollment(&self, pending: Arc<PendingEnrollment>) -> Result<(), AssentError> {
        let taken = pending.inner.blocking_lock().take().ok_or_else(cancelled)?;
        Ok(self.lock_blocking()?.cancel_enrollment(taken)?)
    }

    /// The code the user types on the login page that showed the QR code,
    /// which activates the phone ("connect from a computer").
    pub fn activation_code(&self, account_id: String) -> Result<CodeView, AssentError> {
        let id = AccountId::new(account_id);
        Ok(self.lock_blocking()?.activation_code(&id)?.into())
    }

    /// The activation message (`{"eid","device_id","code"}`) the app posts
    /// to the login server over its own session ("connect from this phone").
    pub fn activation_json(&self, account_id: String) -> Result<String, AssentError> {
        let id = AccountId::new(account_id);
        Ok(self.lock_blocking()?.activation(&id)?.to_json())
    }
}
