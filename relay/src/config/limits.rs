//! The limits the relay enforces on relying parties and devices, and their
//! defaults.

/// Limits the relay enforces on relying parties and devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest challenge lifetime, seconds.
    pub max_challenge_ttl_secs: u64,
    /// Longest enrollment announcement lifetime, seconds.
    pub max_enrollment_ttl_secs: u64,
    /// Seconds that finished challenges stay readable after expiry.
    pub retention_secs: u64,
    /// Most pending challenges per device.
    pub max_pending_per_device: u32,
    /// Most challenges per device per window (0: no cap).
    pub device_challenge_limit: u32,
    /// That window, seconds.
    pub device_challenge_window_secs: u64,
    /// Most long-polls one tenant may hold open at once (0: no cap).
    pub max_long_polls_per_tenant: u32,
    /// Most long-polls one device may hold open at once (0: no cap).
    pub max_long_polls_per_device: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_challenge_ttl_secs: 600,
            max_enrollment_ttl_secs: 3600,
            retention_secs: 300,
            max_pending_per_device: 4,
            device_challenge_limit: 30,
            device_challenge_window_secs: 600,
            max_long_polls_per_tenant: 2500,
            max_long_polls_per_device: 4,
        }
    }
}
