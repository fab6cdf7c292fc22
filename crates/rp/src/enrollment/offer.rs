//! Making an offer: authorization by the existing second factor, storage, announcement.

use assent_protocol::{Offer, OfferParams, RelayUrl};
use rand_core::CryptoRng;

use super::{NewOffer, OfferRequest};
use crate::error::{Error, Result};
use crate::proof::EnrollmentAuthorization;
use crate::store::{EnrollmentRecord, EnrollmentState};
use crate::Rp;

impl Rp {
    /// Makes an enrollment offer for `account` and announces it to the relay at `relay`.
    ///
    /// `auth` must be [`EnrollmentAuthorization::Proven`] with a proof for this account no
    /// older than [`PushPolicy::proof_max_age`](crate::PushPolicy::proof_max_age) when
    /// the account has a second factor (a TOTP secret or an active phone), and may be
    /// [`EnrollmentAuthorization::NoSecondFactorYet`] only when it has none
    /// ([`Error::SecondFactorRequired`] otherwise). The offer expires after
    /// [`PushPolicy::offer_ttl`](crate::PushPolicy::offer_ttl) (default 10 minutes).
    /// If the announcement fails the offer is killed and the error returned.
    pub async fn make_offer<R: CryptoRng>(
        &self,
        account: &str,
        request: &OfferRequest,
        relay: &RelayUrl,
        auth: EnrollmentAuthorization,
        rng: &mut R,
    ) -> Result<NewOffer> {
        let setup = self.push_setup()?;
        self.push_policy.check_kind(request.min)?;
        let now = self.clock.now();
        let authorized_by_proof = self.check_authorization(account, auth, now).await?;
        let expires_at = now.saturating_add(self.push_policy.offer_ttl);
        let (offer, secrets) = Offer::make(
            OfferParams {
                rp: setup.rp_id.clone(),
                issuer: request.issuer.clone(),
                account: request.account_label.clone(),
                relay: relay.clone(),
                min: request.min,
                custody: request.custody,
                uv: request.uv,
                expires_at,
            },
            rng,
        )?;
        let json = offer.to_json();
        self.store
            .insert_enrollment(&EnrollmentRecord {
                eid: offer.eid,
                account: account.to_owned(),
                state: EnrollmentState::Offered,
                offer_json: Some(json.clone()),
                rp_private_key: Some(secrets.rp_key.private_bytes()),
                min: request.min,
                uv: request.uv,
                expires_at,
                authorized_by_proof,
                device_id: None,
                created_at: now,
            })
            .await?;
        if let Err(e) = setup
            .relay
            .announce_enrollment(&offer.eid, expires_at)
            .await
        {
            self.kill_enrollment(&offer.eid, EnrollmentState::Offered)
                .await?;
            return Err(e.into());
        }
        tracing::info!(account, eid = %offer.eid, "enrollment offer made");
        Ok(NewOffer {
            uri: offer.to_uri(),
            json,
            offer,
        })
    }

    /// Checks `auth` for `account` at `now`; true if a proof was given.
    async fn check_authorization(
        &self,
        account: &str,
        auth: EnrollmentAuthorization,
        now: u64,
    ) -> Result<bool> {
        match auth {
            EnrollmentAuthorization::NoSecondFactorYet => {
                if self.has_second_factor(account).await? {
                    return Err(Error::SecondFactorRequired);
                }
                Ok(false)
            }
            EnrollmentAuthorization::Proven(proof) => {
                proof.check(account, now, self.push_policy.proof_max_age)?;
                Ok(true)
            }
        }
    }

    /// Moves the offer from `from` to `Killed` (wiping its secrets).
    pub(crate) async fn kill_enrollment(
        &self,
        eid: &assent_protocol::EnrollmentId,
        from: EnrollmentState,
    ) -> Result<bool> {
        let killed = self
            .store
            .set_enrollment_state(eid, from, EnrollmentState::Killed, None)
            .await?;
        if killed {
            tracing::info!(%eid, from = from.as_str(), "enrollment killed");
        }
        Ok(killed)
    }
}
