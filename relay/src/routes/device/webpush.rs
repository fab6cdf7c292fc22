//! The relay's Web Push settings for apps using UnifiedPush (unauthenticated: the app
//! needs the VAPID key before it can subscribe, and the key is public).

use assent_protocol::api::{self, WebPushInfo};
use axum::extract::State;
use axum::http::Method;

use crate::extract::Json;
use crate::routes::responses::Unavailable;
use crate::routes::Routes;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes.at(Method::GET, api::WEBPUSH, webpush)
}

/// The VAPID public key Web Push subscriptions must be made with (`null`: this relay
/// sends no Web Push; the phone polls). docs/push.md, "UnifiedPush".
#[utoipa::path(get, path = api::WEBPUSH, tag = "device",
    responses(
        (status = 200, description = "the relay's Web Push settings", body = WebPushInfo),
        Unavailable,
    ))]
pub async fn webpush(State(state): State<AppState>) -> Json<WebPushInfo> {
    Json(WebPushInfo {
        vapid_public_key: state.push.vapid_public_key().map(str::to_owned),
    })
}
