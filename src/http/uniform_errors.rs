//! Every error answer in the API's one JSON shape, whoever made it.
//!
//! Handlers answer through [`ApiError`], but some answers are made before a
//! handler runs: axum's extractor rejections (a query or path that does not
//! parse, in `text/plain`), the router's 404 for an unknown route and 405
//! for a wrong method (with empty bodies), and the body-size limit. The
//! [`json_error_bodies`] layer rewrites each such answer into
//! `{"error": {"code", "message"}}` with the same status. The
//! [`refuse_nul_in_uri`] layer refuses a path or query string that carries
//! an encoded NUL character (`%00`), which no database column can store,
//! before any handler sees it.

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Longest plain-text rejection carried over into a JSON message.
const MAX_MESSAGE_BYTES: usize = 4 * 1024;

/// Refuses (422) a request whose path or query has `%00` in it.
pub async fn refuse_nul_in_uri(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let has_nul = |part: &str| part.contains("%00");
    if has_nul(uri.path()) {
        return ApiError::Unprocessable("the path contains a NUL character (%00)".to_owned())
            .into_response();
    }
    if uri.query().is_some_and(has_nul) {
        return ApiError::Unprocessable(
            "the query string contains a NUL character (%00)".to_owned(),
        )
        .into_response();
    }
    next.run(request).await
}

/// Rewrites an error answer that is not JSON into the API's error shape;
/// the state is the largest accepted body, for the 413 message.
pub async fn json_error_bodies(
    State(max_body_bytes): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let text = match to_bytes(response.into_body(), MAX_MESSAGE_BYTES).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let mut rewritten = as_api_error(status, text, &method, max_body_bytes).into_response();
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(header::ALLOW, allow);
    }
    rewritten
}

/// The [`ApiError`] of an answer with `status` and plain-text `text`.
fn as_api_error(
    status: StatusCode,
    text: String,
    method: &Method,
    max_body_bytes: usize,
) -> ApiError {
    let or = |default: &str| {
        if text.is_empty() {
            default.to_owned()
        } else {
            text.clone()
        }
    };
    match status {
        StatusCode::NOT_FOUND => ApiError::NotFound(or("no such route")),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::MethodNotAllowed(format!("{method} is not allowed on this route"))
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(max_body_bytes),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType(or("unsupported Content-Type"))
        }
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized(or("unauthorized")),
        StatusCode::FORBIDDEN => ApiError::Forbidden(or("forbidden")),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::Unprocessable(or("invalid request")),
        StatusCode::TOO_MANY_REQUESTS => ApiError::TooManyRequests(or("too many requests")),
        StatusCode::SERVICE_UNAVAILABLE => ApiError::Unavailable(or("temporarily unavailable")),
        status if status.is_server_error() => ApiError::Internal(or("internal error")),
        _ => ApiError::BadRequest(or("bad request")),
    }
}
