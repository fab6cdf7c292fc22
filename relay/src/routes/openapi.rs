//! The OpenAPI document served at `/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorCode, ErrorDetail};
use crate::routes::device::{
    challenges as device_challenges, enrollment, lifecycle, webpush as device_webpush,
};
use crate::routes::managed::{
    challenges as managed_challenges, codes, devices as managed_devices,
    enrollments as managed_enrollments,
};
use crate::routes::ops;
use crate::routes::rp::{challenges, devices, enrollments, tenant, webhook};

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ask_<id>_<secret>")
                    .description(Some("Tenant API key from `assent-relay admin key create`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The operator's `--metrics-token`"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Assent relay",
        description = "Untrusted store-and-forward relay between relying parties (login servers) \
                       and phones. Every response carries the relay's clock in the `assent-time` \
                       header; every error is `{\"error\":{\"code\":...,\"message\":...}}`."
    ),
    paths(
        ops::healthz,
        ops::readyz,
        ops::metrics,
        ops::openapi,
        tenant::whoami,
        enrollments::announce,
        enrollments::registration,
        enrollments::deliver,
        enrollments::registrations,
        challenges::create,
        challenges::answer,
        devices::remove,
        devices::unenroll_requests,
        devices::unenrolled,
        enrollment::register,
        enrollment::enrollment_answer,
        device_challenges::poll,
        device_challenges::fetch,
        device_challenges::answer,
        lifecycle::push_token,
        lifecycle::unenroll,
        lifecycle::unenroll_status,
        device_webpush::webpush,
        webhook::set,
        webhook::get,
        webhook::clear,
        managed_enrollments::offer,
        managed_enrollments::enrollment,
        managed_enrollments::activate,
        managed_devices::devices,
        managed_devices::remove_device,
        managed_challenges::start,
        managed_challenges::verdict,
        managed_challenges::redeem,
        codes::verify_totp,
        codes::backup_codes,
        codes::verify_backup_code,
    ),
    components(schemas(ErrorBody, ErrorDetail, ErrorCode)),
    modifiers(&ApiKeyScheme),
    tags(
        (name = "ops", description = "Health, readiness, metrics"),
        (name = "rp", description = "Relying-party API (API key). End-to-end: the relay \
            returns signed answers, never a verdict."),
        (name = "managed", description = "Managed mode (API key of a managed tenant): the \
            relay acts as the RP with the assent-rp library, holds that RP's keys and gives \
            verdicts, so THE RELAY IS TRUSTED BY THAT RP. Offers say custody=relay and the \
            phone shows it. End-to-end tenants get 403 not_managed here."),
        (name = "device", description = "Device API: requests signed by the device key \
            with the Assent-Device, Assent-Timestamp and Assent-Signature headers \
            (docs/protocol.md §6)"),
    )
)]
struct ApiDoc;

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The OpenAPI document as served: [`document`] in JSON, with the fields of every link
/// object named as OpenAPI names them. utoipa 5.5 serializes `Link` with its Rust field
/// names (`operation_id`, `operation_ref`, `request_body`), which no OpenAPI tool reads
/// (API fuzzing found it: schemathesis saw links without a target).
pub fn document_json() -> serde_json::Value {
    let mut doc = serde_json::to_value(document()).unwrap_or_default();
    let operations = doc
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let links = operation
            .get_mut("responses")
            .and_then(serde_json::Value::as_object_mut)
            .into_iter()
            .flat_map(|responses| responses.values_mut())
            .filter_map(|response| response.get_mut("links"))
            .filter_map(serde_json::Value::as_object_mut)
            .flat_map(|links| links.values_mut())
            .filter_map(serde_json::Value::as_object_mut);
        for link in links {
            for (rust, openapi) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(rust) {
                    link.insert(openapi.to_owned(), value);
                }
            }
        }
    }
    doc
}
