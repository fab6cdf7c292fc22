//! Bodies of the operations endpoints and the long-poll query.

use serde::{Deserialize, Serialize};

/// `GET /healthz`, `GET /readyz`: liveness and readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok`.
    pub status: HealthStatus,
    /// The relay's clock, Unix seconds.
    pub time: u64,
}

/// The one status of [`Health`] (a failing check is an error body instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Up (and ready).
    Ok,
}

/// `?wait=<seconds>`: how long a long-poll holds the request open for a change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct WaitQuery {
    /// Seconds to wait for a change (0–30, capped by the relay's
    /// `max_wait_secs`); 0 or absent answers at once.
    pub wait: Option<u64>,
}
