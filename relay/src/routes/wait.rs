//! The `wait` query parameter of long-polls.

use std::time::Duration;

use serde::Deserialize;
use utoipa::IntoParams;

use crate::state::AppState;

/// `?wait=<seconds>`: how long to hold the request open for a change.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Seconds to wait for a change (0–30, capped by the relay's
    /// `max_wait_secs`); 0 or absent answers at once.
    pub wait: Option<u64>,
}

impl WaitQuery {
    /// The wait, capped by configuration and by `deadline` (relay time) when
    /// there is no point waiting past it.
    pub fn duration(&self, state: &AppState, deadline: Option<u64>) -> Duration {
        let mut secs = self.wait.unwrap_or(0).min(state.config.max_wait_secs);
        if let Some(deadline) = deadline {
            secs = secs.min(deadline.saturating_sub(state.clock.now()));
        }
        Duration::from_secs(secs)
    }
}
