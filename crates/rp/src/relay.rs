//! The RP's view of the relay: [`RelayApi`], the only way this library talks to it.
//!
//! The relay is untrusted (docs/protocol.md §1, end-to-end custody): every value it
//! returns is verified here before use — registrations by bind, signature and unwrap,
//! answers by the device key pinned at enrollment, unenroll requests likewise. Nothing
//! in this trait returns a verdict, so no code path of this library can read one.
//!
//! The real HTTPS client is [`crate::relay_http::HttpRelay`] (`http` feature); tests use an
//! in-memory fake. Paths, bodies and error codes are in `assent_protocol::api` (docs/protocol.md §10).

use assent_protocol::api::ErrorCode;
use assent_protocol::handover::{HandoverConfirmation, HandoverRequest};
use assent_protocol::{
    Answer, Challenge, ChallengeId, DeviceId, EnrollmentAnswer, EnrollmentId, PushId, Registration,
    UnenrollConfirmation, UnenrollRequest,
};

/// The RP API of the relay (`/v1/rp/...`), as the RP library needs it.
#[async_trait::async_trait]
pub trait RelayApi: Send + Sync {
    /// Announces an offer's enrollment id, valid until `expires_at` (Unix seconds).
    async fn announce_enrollment(
        &self,
        eid: &EnrollmentId,
        expires_at: u64,
    ) -> Result<(), RelayError>;
    /// The registration a phone posted for `eid`, if one arrived.
    async fn registration(&self, eid: &EnrollmentId) -> Result<Option<Registration>, RelayError>;
    /// Hands the sealed enrollment answer to the relay for the phone to fetch.
    async fn deliver_enrollment_answer(&self, answer: &EnrollmentAnswer) -> Result<(), RelayError>;
    /// Stores a challenge and pushes `push_id` to the device.
    async fn create_challenge(
        &self,
        challenge: &Challenge,
        push_id: &PushId,
    ) -> Result<(), RelayError>;
    /// The signed answer if one arrived, waiting up to `wait` for it (long-poll).
    async fn answer(
        &self,
        challenge_id: &ChallengeId,
        wait: std::time::Duration,
    ) -> Result<Option<Answer>, RelayError>;
    /// Removes a device and its pending challenges at the relay.
    async fn remove_device(&self, device_id: &DeviceId) -> Result<(), RelayError>;
    /// The pending unenroll requests phones sent for this RP's devices.
    async fn unenroll_requests(&self) -> Result<Vec<UnenrollRequest>, RelayError>;
    /// Hands a sealed unenroll confirmation to the relay (which also removes the device).
    async fn confirm_unenroll(&self, confirmation: &UnenrollConfirmation)
        -> Result<(), RelayError>;
    /// The pending handover requests (docs/protocol.md §11.4) old phones sent for this
    /// RP's devices.
    async fn handover_requests(&self) -> Result<Vec<HandoverRequest>, RelayError>;
    /// Hands a sealed handover confirmation to the relay, which then applies the new
    /// device key (with the platform and push token of the request it holds).
    async fn confirm_handover(&self, confirmation: &HandoverConfirmation)
        -> Result<(), RelayError>;
}

/// What a [`RelayApi`] call can fail with. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayError {
    /// No usable reply: offline, TLS, timeout, or a reply that did not parse.
    #[error("relay unavailable: {0}")]
    Unavailable(String),
    /// The relay answered with an error.
    #[error("relay refused the request ({status} {})", code.map_or("unknown", ErrorCode::as_str))]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The stable error code of the relay's error body (`None`: not a relay error
        /// body, or a code this build does not know).
        code: Option<ErrorCode>,
    },
}

impl RelayError {
    /// The refusal a relay sends with `code` (its status is the code's).
    pub fn refused(code: ErrorCode) -> Self {
        Self::Rejected {
            status: code.status(),
            code: Some(code),
        }
    }

    /// The relay's error code, if this is a refusal that carried a known one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Rejected { code, .. } => *code,
            Self::Unavailable(_) => None,
        }
    }
}
