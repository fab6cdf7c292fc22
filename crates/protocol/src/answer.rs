//! Answers: what the phone signs, and the RP's verification against the challenge it made.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use crate::challenge::Challenge;
use crate::encoding::{b64_vec, Enc};
use crate::error::{Error, Result};
use crate::ids::{ChallengeId, DeviceId};
use crate::keys::{DevicePublicKey, MAX_DER_SIGNATURE};
use crate::kinds::{ApprovalKind, Decision};
use crate::rp_id::RpId;
use crate::signer::{sign_der, Signer};

/// The bytes the device signs:
/// `enc("assent/v1/answer", rp_id, device_id, challenge_id, created_at, expires_at, kind,
/// uv, decision, entered, uv_done, SHA-256(sealed))`.
#[allow(clippy::too_many_arguments)]
pub fn answer_signing_input(
    rp_id: &RpId,
    device_id: &DeviceId,
    challenge_id: &ChallengeId,
    created_at: u64,
    expires_at: u64,
    kind: ApprovalKind,
    uv: bool,
    decision: Decision,
    entered: &str,
    uv_done: bool,
    sealed_digest: &[u8; 32],
) -> Vec<u8> {
    Enc::new("assent/v1/answer")
        .str(rp_id.as_str())
        .bytes(device_id.as_bytes())
        .bytes(challenge_id.as_bytes())
        .u64(created_at)
        .u64(expires_at)
        .str(kind.as_str())
        .bool(uv)
        .str(decision.as_str())
        .str(entered)
        .bool(uv_done)
        .bytes(sealed_digest)
        .finish()
}

/// An answer as JSON on the wire (phone → relay → RP). The RP rebuilds every other signed
/// field from the challenge it stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The device answering.
    pub device_id: DeviceId,
    /// The challenge answered.
    pub challenge_id: ChallengeId,
    /// The user's decision.
    pub decision: Decision,
    /// The number or code the user typed; empty for `simple` (and allowed empty for a
    /// denial).
    pub entered: String,
    /// The app verified the user (biometric/PIN). The app's word: no attestation in v1.
    pub uv_done: bool,
    /// The device key's DER signature over [`answer_signing_input`].
    #[serde(with = "b64_vec")]
    pub signature: Vec<u8>,
}

/// Checks `entered` against the challenge's kind: an approval must carry a well-formed
/// value; a denial may be empty.
fn check_entered(kind: ApprovalKind, decision: Decision, entered: &str) -> Result<()> {
    let ok = kind.entered_is_well_formed(entered)
        || (decision != Decision::Approve && entered.is_empty());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "entered",
            "does not match the approval kind",
        ))
    }
}

impl Answer {
    /// Phone: signs an answer to `challenge` (which it opened).
    pub fn make(
        signer: &impl Signer,
        rp_id: &RpId,
        challenge: &Challenge,
        decision: Decision,
        entered: &str,
        uv_done: bool,
    ) -> Result<Answer> {
        check_entered(challenge.kind, decision, entered)?;
        let input = answer_signing_input(
            rp_id,
            &challenge.device_id,
            &challenge.challenge_id,
            challenge.created_at,
            challenge.expires_at,
            challenge.kind,
            challenge.uv,
            decision,
            entered,
            uv_done,
            &challenge.sealed_digest(),
        );
        Ok(Answer {
            device_id: challenge.device_id,
            challenge_id: challenge.challenge_id,
            decision,
            entered: entered.to_owned(),
            uv_done,
            signature: sign_der(signer, &input)?,
        })
    }

    /// Parses the JSON form.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        crate::encoding::from_json(json)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
}

/// An answer whose signature and binding the RP has checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAnswer {
    /// The user's decision.
    pub decision: Decision,
    /// What the user typed (compare with [`VerifiedAnswer::outcome`]).
    pub entered: String,
    /// The app says it verified the user.
    pub uv_done: bool,
    kind: ApprovalKind,
    uv: bool,
}

/// What an answer means for the login, once `entered` is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Log the session in.
    Approved,
    /// The user said no.
    Denied,
    /// "This wasn't me": deny, mute pushes for a while, notify the user.
    Fraud,
    /// Approved with the wrong number or code: a denial that counts toward the limit.
    WrongEntry,
    /// Approved without the required user verification: a denial.
    UserNotVerified,
}

impl VerifiedAnswer {
    /// Compares `entered` with `expected` (the number or code the login page showed; ignored
    /// for `simple`) in constant time and applies the `uv` requirement.
    pub fn outcome(&self, expected: &str) -> Outcome {
        match self.decision {
            Decision::Deny => Outcome::Denied,
            Decision::Fraud => Outcome::Fraud,
            Decision::Approve => {
                if self.kind != ApprovalKind::Simple && !entered_matches(expected, &self.entered) {
                    Outcome::WrongEntry
                } else if self.uv && !self.uv_done {
                    Outcome::UserNotVerified
                } else {
                    Outcome::Approved
                }
            }
        }
    }
}

/// Constant-time comparison of the typed value with the expected one (lengths are public:
/// they are fixed per approval kind).
pub fn entered_matches(expected: &str, entered: &str) -> bool {
    expected.len() == entered.len() && bool::from(expected.as_bytes().ct_eq(entered.as_bytes()))
}

/// RP: verifies `answer` against the challenge it made and stored, with the device key it
/// pinned at enrollment, at `now` by its own clock.
///
/// Cheap checks first: device and challenge ids ([`Error::WrongDevice`],
/// [`Error::WrongChallenge`]), arrival before `expires_at` ([`Error::Expired`]), the shape
/// of `entered`, the signature size; then the ECDSA P-256/SHA-256 signature over every field
/// ([`Error::BadSignature`]). Low-S and high-S signatures are both valid: resolve each
/// challenge once, by `challenge_id`, never by signature bytes.
pub fn verify_answer(
    pinned: &DevicePublicKey,
    rp_id: &RpId,
    challenge: &Challenge,
    answer: &Answer,
    now: u64,
) -> Result<VerifiedAnswer> {
    if answer.device_id != challenge.device_id {
        return Err(Error::WrongDevice);
    }
    if answer.challenge_id != challenge.challenge_id {
        return Err(Error::WrongChallenge);
    }
    if now >= challenge.expires_at {
        return Err(Error::Expired);
    }
    check_entered(challenge.kind, answer.decision, &answer.entered)?;
    if answer.signature.is_empty() || answer.signature.len() > MAX_DER_SIGNATURE {
        return Err(Error::BadSignature);
    }
    let input = answer_signing_input(
        rp_id,
        &challenge.device_id,
        &challenge.challenge_id,
        challenge.created_at,
        challenge.expires_at,
        challenge.kind,
        challenge.uv,
        answer.decision,
        &answer.entered,
        answer.uv_done,
        &challenge.sealed_digest(),
    );
    pinned.verify(&input, &answer.signature)?;
    Ok(VerifiedAnswer {
        decision: answer.decision,
        entered: answer.entered.clone(),
        uv_done: answer.uv_done,
        kind: challenge.kind,
        uv: challenge.uv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::tests::{fixture, NOW};
    use crate::ids::ChallengeId;
    use crate::signer::SoftwareSigner;

    #[test]
    fn answers_verify_and_bind_every_field() {
        let mut f = fixture(ApprovalKind::Number);
        let signer = SoftwareSigner::make(&mut f.rng).unwrap();
        let key = signer.public_key();
        let c = f.challenge.clone();
        let a = Answer::make(&signer, &f.rp, &c, Decision::Approve, "42", true).unwrap();
        let a = Answer::from_json(a.to_json().as_bytes()).unwrap();
        let v = verify_answer(&key, &f.rp, &c, &a, NOW + 10).unwrap();
        assert_eq!(v.outcome("42"), Outcome::Approved);
        assert_eq!(v.outcome("43"), Outcome::WrongEntry);

        let verify =
            |c: &Challenge, a: &Answer| verify_answer(&key, &f.rp, c, a, NOW + 10).map(|_| ());
        // Answer fields changed.
        let mut b = a.clone();
        b.decision = Decision::Deny;
        assert_eq!(verify(&c, &b), Err(Error::BadSignature));
        let mut b = a.clone();
        b.entered = "43".into();
        assert_eq!(verify(&c, &b), Err(Error::BadSignature));
        let mut b = a.clone();
        b.uv_done = false;
        assert_eq!(verify(&c, &b), Err(Error::BadSignature));
        // Stored challenge differs in any field (replay on another challenge or device).
        for mutate in [
            (|c: &mut Challenge| c.created_at += 1) as fn(&mut Challenge),
            |c| c.expires_at += 1,
            |c| c.kind = ApprovalKind::Code,
            |c| c.uv = true,
            |c| c.sealed[0] ^= 1,
        ] {
            let mut c2 = c.clone();
            mutate(&mut c2);
            let r = verify_answer(&key, &f.rp, &c2, &a, NOW + 10);
            assert!(
                matches!(r, Err(Error::BadSignature) | Err(Error::Invalid { .. })),
                "{r:?}"
            );
        }
        let mut c2 = c.clone();
        c2.challenge_id = ChallengeId::make(&mut f.rng);
        assert_eq!(verify(&c2, &a), Err(Error::WrongChallenge));
        let mut c2 = c.clone();
        c2.device_id = crate::DeviceId::make(&mut f.rng);
        assert_eq!(verify(&c2, &a), Err(Error::WrongDevice));
        let other_rp = RpId::parse("example.org").unwrap();
        assert_eq!(
            verify_answer(&key, &other_rp, &c, &a, NOW).map(|_| ()),
            Err(Error::BadSignature)
        );
        // Another device's key.
        let other = SoftwareSigner::make(&mut f.rng).unwrap().public_key();
        assert_eq!(
            verify_answer(&other, &f.rp, &c, &a, NOW).map(|_| ()),
            Err(Error::BadSignature)
        );
        // Late.
        assert_eq!(
            verify_answer(&key, &f.rp, &c, &a, c.expires_at).map(|_| ()),
            Err(Error::Expired)
        );
    }

    #[test]
    fn outcomes() {
        let mut f = fixture(ApprovalKind::Simple);
        let signer = SoftwareSigner::make(&mut f.rng).unwrap();
        let key = signer.public_key();
        let mut c = f.challenge.clone();
        let yes = Answer::make(&signer, &f.rp, &c, Decision::Approve, "", false).unwrap();
        assert_eq!(
            verify_answer(&key, &f.rp, &c, &yes, NOW)
                .unwrap()
                .outcome(""),
            Outcome::Approved
        );
        let no = Answer::make(&signer, &f.rp, &c, Decision::Fraud, "", false).unwrap();
        assert_eq!(
            verify_answer(&key, &f.rp, &c, &no, NOW)
                .unwrap()
                .outcome(""),
            Outcome::Fraud
        );
        assert!(Answer::make(&signer, &f.rp, &c, Decision::Approve, "12", false).is_err());
        c.uv = true;
        let yes = Answer::make(&signer, &f.rp, &c, Decision::Approve, "", false).unwrap();
        assert_eq!(
            verify_answer(&key, &f.rp, &c, &yes, NOW)
                .unwrap()
                .outcome(""),
            Outcome::UserNotVerified
        );
        let deny = Answer::make(&signer, &f.rp, &c, Decision::Deny, "", false).unwrap();
        assert_eq!(
            verify_answer(&key, &f.rp, &c, &deny, NOW)
                .unwrap()
                .outcome(""),
            Outcome::Denied
        );
        assert!(entered_matches("123456", "123456"));
        assert!(!entered_matches("123456", "123457"));
        assert!(!entered_matches("123456", "12345"));
    }

    #[test]
    fn high_s_twin_of_a_valid_answer_verifies() {
        let mut f = fixture(ApprovalKind::Code);
        let signer = SoftwareSigner::make(&mut f.rng).unwrap();
        let c = f.challenge.clone();
        let a = Answer::make(&signer, &f.rp, &c, Decision::Approve, "123456", false).unwrap();
        let sig = p256::ecdsa::Signature::from_der(&a.signature).unwrap();
        let (r, s) = sig.split_scalars();
        let twin = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
        let mut b = a.clone();
        b.signature = twin.to_der().as_bytes().to_vec();
        assert_ne!(a.signature, b.signature);
        let key = signer.public_key();
        assert!(verify_answer(&key, &f.rp, &c, &a, NOW).is_ok());
        assert!(verify_answer(&key, &f.rp, &c, &b, NOW).is_ok());
    }
}
