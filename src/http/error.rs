//! One error type for every HTTP handler, rendered as
//! `{"error": {"code": "...", "message": "..."}}` with a matching status.
//! Causes of 5xx answers are logged, never shown.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use wabot_actors::{Overload, RuntimeError, StoreError};

use crate::auth::HashingError;
use crate::domain::RowError;
use crate::rate_limits::OverLimit;

/// Seconds a client should wait after a 429 or 503 (WAHA retries anyway).
const RETRY_AFTER_SECS: &str = "1";

/// An HTTP outcome other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing or wrong credentials or signature.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but not allowed: the role or the tier's limits.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource (for this caller).
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists, but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: conflicts with existing data or the resource's state.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than allowed.
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 415: the body is not of a type this route reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: this caller sends more than it may; retry after a while.
    #[error("{0}")]
    TooManyRequests(String),
    /// 422: well-formed but invalid values.
    #[error("{0}")]
    Unprocessable(String),
    /// 422 for a list: every refused row with its reason.
    #[error("{} row(s) are invalid; nothing was changed", .0.len())]
    InvalidRows(Vec<RowError>),
    /// 503: temporarily unable; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// 503: a dependency (storage, the WhatsApp gateway) failed; retry
    /// later. The answer names the dependency; the cause, which may hold
    /// internal addresses or database text, is logged under an error id
    /// that the answer carries instead.
    #[error("{what} is temporarily unavailable; retry later")]
    DependencyUnavailable {
        /// What failed, for the client.
        what: &'static str,
        /// Why, for the log only.
        cause: String,
    },
    /// 500: our fault; the cause is logged under an error id, which the
    /// answer carries instead of the cause.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Unprocessable(_) | ApiError::InvalidRows(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            }
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Unavailable(_) | ApiError::DependencyUnavailable { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The body of every error answer (for the OpenAPI document).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    error: ErrorDetail,
}

/// What went wrong.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ErrorDetail {
    /// Stable machine-readable code: `bad_request`, `unauthorized`,
    /// `forbidden`, `not_found`, `method_not_allowed`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `invalid`,
    /// `too_many_requests`, `unavailable` or `internal`.
    code: &'static str,
    /// What to fix, for a human.
    message: String,
    /// For a failure on our side (500, or 503 from storage): the id under
    /// which its cause is logged, to quote to the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_id: Option<String>,
    /// For lists (menu imports): each refused row and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Vec<RowError>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let error_id = match &self {
            ApiError::Internal(cause) | ApiError::DependencyUnavailable { cause, .. } => {
                let error_id = Uuid::now_v7().simple().to_string();
                tracing::error!(%error_id, %cause, %status, "request failed");
                Some(error_id)
            }
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                error_id,
                details: match &self {
                    ApiError::InvalidRows(rows) => Some(rows.clone()),
                    _ => None,
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(
            self,
            ApiError::TooManyRequests(_)
                | ApiError::Unavailable(_)
                | ApiError::DependencyUnavailable { .. }
        ) {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::Conflict(message) => ApiError::Conflict(message),
            StoreError::Limit(message) => ApiError::Forbidden(message),
            StoreError::OutOfStock(_) => ApiError::Conflict(error.to_string()),
            StoreError::Backend(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<OverLimit> for ApiError {
    fn from(over: OverLimit) -> Self {
        ApiError::TooManyRequests(over.to_string())
    }
}

impl From<HashingError> for ApiError {
    fn from(error: HashingError) -> Self {
        match error {
            HashingError::Busy => ApiError::Unavailable(error.to_string()),
            HashingError::Failed(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<Overload> for ApiError {
    fn from(overload: Overload) -> Self {
        match overload {
            Overload::Tenant => ApiError::TooManyRequests(overload.to_string()),
            Overload::Global => ApiError::Unavailable(overload.to_string()),
        }
    }
}

impl From<RuntimeError> for ApiError {
    fn from(error: RuntimeError) -> Self {
        match error {
            RuntimeError::Storage(cause) => ApiError::DependencyUnavailable {
                what: "storage",
                cause,
            },
            RuntimeError::Spawn(cause) => ApiError::Internal(cause),
            other => ApiError::Unavailable(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(error: ApiError) -> (StatusCode, String) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn causes_of_failures_on_our_side_are_logged_not_shown() {
        let storage = RuntimeError::Storage(
            "error returned from database: invalid byte sequence for encoding \"UTF8\": 0x00"
                .to_owned(),
        );
        let (status, body) = body_of(storage.into()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            !body.contains("database") && !body.contains("0x00"),
            "{body}"
        );
        assert!(body.contains("\"error_id\""), "{body}");

        let (status, body) =
            body_of(StoreError::Backend("relation \"tenants\" does not exist".into()).into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.contains("relation"), "{body}");
    }
}
