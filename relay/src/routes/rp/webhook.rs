//! `/v1/rp/webhook`: a tenant sets, reads or clears its webhook.

use assent_protocol::api::{self, ErrorBody, SetWebhook, WebhookCreated, WebhookView};
use axum::extract::State;
use axum::http::Method;

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::Json;
use crate::features::Features;
use crate::routes::responses::{NotJson, TooLarge, Unauthorized, Unavailable};
use crate::routes::Routes;
use crate::settings::WebhookConfig;
use crate::state::AppState;
use crate::store::db_time;
use crate::webhook::{check_url, make_secret};

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::PUT, api::RP_WEBHOOK, set)
        .at(Method::GET, api::RP_WEBHOOK, get)
        .at(Method::DELETE, api::RP_WEBHOOK, clear)
}

fn features(state: &AppState) -> AppResult<&Features> {
    state.features.as_deref().ok_or_else(|| {
        AppError::new(
            ErrorCode::Unavailable,
            "webhooks are not enabled on this relay",
        )
    })
}

/// Set (or replace) the webhook; returns a new signing secret, shown once.
/// Events: `answer.received` (a phone answered: fetch the signed answer and
/// verify it — not a verdict), `registration.received`, `unenroll.requested`.
/// Bodies name ids only, never secrets or login context.
#[utoipa::path(put, path = api::RP_WEBHOOK, tag = "rp",
    security(("api_key" = [])), request_body = SetWebhook,
    responses(
        (status = 200, description = "set; the secret is shown only now", body = WebhookCreated),
        (status = 400, description = "malformed request, or a URL that is not `https://`, has \
            user info or a fragment, or does not reach a public address (`invalid_body`)",
            body = ErrorBody),
        Unauthorized, TooLarge, NotJson, Unavailable,
    ))]
pub async fn set(
    State(state): State<AppState>,
    auth: RpAuth,
    Json(body): Json<SetWebhook>,
) -> AppResult<Json<WebhookCreated>> {
    let features = features(&state)?;
    check_url(&body.url, features.webhooks.destinations())
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
#[utoipa::path(get, path = api::RP_WEBHOOK, tag = "rp",
    security(("api_key" = [])),
    responses((status = 200, description = "the webhook", body = WebhookView), Unauthorized, Unavailable))]
pub async fn get(State(state): State<AppState>, auth: RpAuth) -> AppResult<Json<WebhookView>> {
    let settings = features(&state)?.settings.settings(&auth.tenant_id).await?;
    Ok(Json(WebhookView {
        url: settings.webhook.map(|w| w.url),
    }))
}

/// Remove the webhook.
#[utoipa::path(delete, path = api::RP_WEBHOOK, tag = "rp",
    security(("api_key" = [])),
    responses((status = 200, description = "removed", body = WebhookView), Unauthorized, Unavailable))]
pub async fn clear(State(state): State<AppState>, auth: RpAuth) -> AppResult<Json<WebhookView>> {
    features(&state)?
        .settings
        .set_webhook(&auth.tenant_id, None, db_time(state.clock.now()))
        .await?;
    tracing::info!(tenant = %auth.tenant_id, "webhook removed");
    Ok(Json(WebhookView { url: None }))
}
