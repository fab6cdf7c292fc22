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
    #[cfg_attr(feature = "openapi", param(schema_with = unsigned_64))]
    pub wait: Option<u64>,
}

/// The schema of a `u64`: an integer from 0 to 2^64 − 1. utoipa's own says `int64`, whose
/// range ends at 2^63 − 1, while serde accepts (and the relay caps or refuses by its own
/// rules) every `u64`; API fuzzing sent 2^63 and saw it accepted against the schema.
#[cfg(feature = "openapi")]
pub fn unsigned_64() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(utoipa::Number::UInt(0)))
        .maximum(Some(utoipa::Number::UInt(
            usize::try_from(u64::MAX).unwrap_or(usize::MAX),
        )))
        .build()
}
