//! `/v1/rp/webhook`: a tenant sets, reads or clears its webhook.

use axum::extract::State;
use axum::http::Method;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_url, make_secret};
use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::features::Features;
use crate::routes::Routes;
use crate::settings::WebhookConfig;
use crate::state::AppState;
use crate::store::db_time;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::PUT, "/v1/rp/webhook", set)
        .at(Method::GET, "/v1/rp/webhook", get)
        .at(Method::DELETE, "/v1/rp/webhook", clear)
}

fn features(state: &AppState) -> AppResult<&Features> {
    state.features.as_deref().ok_or_else(|| {
        AppError::new(
            ErrorCode::Unavailable,
            "webhooks are not enabled on this relay",
        )
    })
}

/// Where to send events.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWebhook {
    /// An `https://` URL (no user info, no fragment, ≤ 2048 bytes).
    pub url: String,
}

/// The webhook just set, with its signing secret (shown only here).
#[derive(Serialize, ToSchema)]
pub struct WebhookCreated {
    /// The URL.
    pub url: String,
    /// HMAC-SHA256 key (`whsec_…`, used as its ASCII bytes) for the
    /// `Assent-Webhook-Signature: t=<unix>,v1=<hex>` header over
    /// `"<t>." ‖ body`. Shown once; setting the webhook again rotates it.
    pub secret: String,
}

impl std::fmt::Debug for WebhookCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookCreated")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The tenant's webhook, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// The URL, or null when none is set.
    pub url: Option<String>,
}

/// Set (or replace) the webhook; returns a new signing secret, shown once.
/// Events: `answer.received` (a phone answered: fetch the signed answer and
/// verify it — not a verdict), `registration.received`, `unenroll.requested`.
/// Bodies name ids only, never secrets or login context.
#[utoipa::path(put, path = "/v1/rp/webhook", tag = "rp",
    security(("api_key" = [])), request_body = SetWebhook,
    responses(
        (status = 200, description = "set; the secret is shown only now", body = WebhookCreated),
        (status = 400, description = "not an https URL", body = ErrorBody),
    ))]
pub async fn set(
    State(state): State<AppState>,
    auth: RpAuth,
    Json(body): Json<SetWebhook>,
) -> AppResult<Json<WebhookCreated>> {
    let features = features(&state)?;
    check_url(&body.url, features.webhooks.allow_loopback_http())
        .map_err(|e| AppError::new(ErrorCode::InvalidBody, e))?;
    let secret = make_secret()?;
    let config = WebhookConfig {
        url: body.url,
        secret,
    };
    features
        .settings
        .set_webhook(&auth.tenant_id, Some(&config), db_time(state.clock.now()))
        .await?;
    tracing::info!(tenant = %auth.tenant_id, "webhook set");
    Ok(Json(WebhookCreated {
        url: config.url.clone(),
        secret: config.secret.to_string(),
    }))
}

/// The tenant's webhook URL (never the secret).
#[utoipa::path(get, path = "/v1/rp/webhook", tag = "rp",
    security(("api_key" = [])),
    responses((status = 200, description = "the webhook", body = WebhookView)))]
pub async fn get(State(state): State<AppState>, auth: RpAuth) -> AppResult<Json<WebhookView>> {
    let settings = features(&state)?.settings.settings(&auth.tenant_id).await?;
    Ok(Json(WebhookView {
        url: settings.webhook.map(|w| w.url),
    }))
}

/// Remove the webhook.
#[utoipa::path(delete, path = "/v1/rp/webhook", tag = "rp",
    security(("api_key" = [])),
    responses((status = 200, description = "removed", body = WebhookView)))]
pub async fn clear(State(state): State<AppState>, auth: RpAuth) -> AppResult<Json<WebhookView>> {
    features(&state)?
        .settings
        .set_webhook(&auth.tenant_id, None, db_time(state.clock.now()))
        .await?;
    tracing::info!(tenant = %auth.tenant_id, "webhook removed");
    Ok(Json(WebhookView { url: None }))
}
