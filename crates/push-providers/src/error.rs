//! Configuration errors. Provider answers are not errors: they are
//! [`Outcome`](crate::Outcome)s.

/// What can go wrong while setting a provider up. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The APNs signing key (.p8) could not be read.
    #[error("APNs key: {0}")]
    ApnsKey(&'static str),
    /// The FCM service-account JSON could not be read.
    #[error("FCM service account: {0}")]
    ServiceAccount(&'static str),
    /// The VAPID key (Web Push) could not be read.
    #[error("VAPID key: {0}")]
    VapidKey(&'static str),
    /// A configured URL or CA certificate is not usable.
    #[error("push configuration: {0}")]
    Config(&'static str),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

/// This crate's result.
pub type Result<T> = std::result::Result<T, Error>;
