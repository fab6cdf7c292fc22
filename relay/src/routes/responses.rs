//! The error responses that come from the shared extractors, layers and the store
//! rather than from a handler's own rules, as OpenAPI responses. Each handler's
//! `#[utoipa::path]` names the ones its extractors can produce, next to its own; a
//! test (`tests/ops.rs`) checks that every operation names those its shape implies.
//! One status per type, so they compose without overwriting each other.
//!
//! The types exist for the document only: nothing builds them (the handlers return
//! `AppError`), hence the `dead_code` allowance.
#![allow(dead_code)]

use assent_protocol::api::ErrorBody;
use utoipa::IntoResponses;

/// 400: a body, path or query the extractors refuse.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "malformed request: `malformed_json` (not JSON), `invalid_body` (JSON of \
                   the wrong shape or values), `invalid_path` or `invalid_query`; the message \
                   names the field"
)]
pub struct BadRequest(ErrorBody);

/// 401: the API key is missing, malformed, unknown or revoked.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "missing, malformed, unknown or revoked API key (`unauthorized`)"
)]
pub struct Unauthorized(ErrorBody);

/// 413: the body is over the relay's limit.
#[derive(IntoResponses)]
#[response(
    status = 413,
    description = "body over the relay's limit (`body_too_large`)"
)]
pub struct TooLarge(ErrorBody);

/// 415: a JSON body without `Content-Type: application/json`.
#[derive(IntoResponses)]
#[response(
    status = 415,
    description = "no `Content-Type: application/json` (`unsupported_media_type`)"
)]
pub struct NotJson(ErrorBody);

/// 429: a long-poll over the tenant's or the device's limit.
#[derive(IntoResponses)]
#[response(
    status = 429,
    description = "with `wait`: the tenant or device already holds its most long-polls \
                   open (`limit_exceeded`)"
)]
pub struct TooManyLongPolls(ErrorBody);

/// 503: the database does not answer.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "the database is unavailable (`unavailable`)"
)]
pub struct Unavailable(ErrorBody);
