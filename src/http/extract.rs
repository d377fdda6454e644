//! Request extractors shared by the API: who is calling (the operator, or a
//! member of exactly one tenant with a role) and JSON bodies whose
//! rejections use the API's error shape.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use crate::auth;
use crate::domain;
use crate::storage::models::{AuditEntry, Role};

/// The bearer token of a request. The scheme is case-insensitive, as
/// RFC 9110 §11.1 says of every authentication scheme.
pub fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim_start().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "missing 'Authorization: Bearer <API key or login token>'".to_owned(),
            )
        })
}

fn is_operator_token(token: &str, state: &AppState) -> bool {
    bool::from(token.as_bytes().ct_eq(state.operator_token.as_bytes()))
}

/// The address of the client that sent the request: the TCP peer, or the
/// last entry of `server.client_address_header` when wabot runs behind a
/// load balancer that sets it.
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(name) = &state.settings.server.client_address_header {
            let forwarded = parts
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
                .next_back();
            if let Some(address) = forwarded {
                return Ok(ClientAddress(address));
            }
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| ClientAddress(peer.ip()))
            .ok_or_else(|| ApiError::Internal("the client's address is unknown".to_owned()))
    }
}

/// Who the audit log names for the operator's changes.
pub const OPERATOR_ACTOR: &str = "operator";

/// An audit log entry of `tenant_id` for a change `actor` made.
pub fn audit_entry(
    tenant_id: Uuid,
    actor: &str,
    action: &str,
    target: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> AuditEntry {
    AuditEntry {
        tenant_id,
        actor: actor.to_owned(),
        action: action.to_owned(),
        target,
        before,
        after,
    }
}

/// Proof that the request carries the operator's bearer token.
pub struct Operator;

impl Operator {
    /// An audit log entry, in the tenant's log, for a change the operator made.
    pub fn audit(
        &self,
        tenant_id: Uuid,
        action: &str,
        target: impl Into<String>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AuditEntry {
        audit_entry(
            tenant_id,
            OPERATOR_ACTOR,
            action,
            target.into(),
            before,
            after,
        )
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if is_operator_token(bearer(&parts.headers)?, state) {
            Ok(Operator)
        } else {
            Err(ApiError::Unauthorized("wrong operator token".to_owned()))
        }
    }
}

/// A caller acting for one tenant: an API key or a login token. Every
/// tenant route takes the tenant from here, never from the path, so no
/// request can name another tenant's rows.
#[derive(Debug, Clone)]
pub struct Member {
    /// The tenant.
    pub tenant_id: Uuid,
    /// What it may do.
    pub role: Role,
    /// Who it is, for the audit log.
    pub actor: String,
}

impl Member {
    /// Refuses (403) unless the caller is the tenant's owner.
    pub fn require_owner(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Owner => Ok(()),
            Role::Staff => Err(ApiError::Forbidden(
                "this needs an owner's API key or login".to_owned(),
            )),
        }
    }

    /// An audit log entry for a change this member made.
    pub fn audit(
        &self,
        action: &str,
        target: impl Into<String>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AuditEntry {
        audit_entry(
            self.tenant_id,
            &self.actor,
            action,
            target.into(),
            before,
            after,
        )
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)?;
        if is_operator_token(token, state) {
            return Err(ApiError::Forbidden(
                "the operator token acts through /v1/operator/...; tenant routes need a tenant's API key or login token".to_owned(),
            ));
        }
        let principal = state
            .store
            .authenticate(&auth::digest(token))
            .await?
            .ok_or_else(|| {
                ApiError::Unauthorized("unknown, revoked or expired credential".to_owned())
            })?;
        state.limits.admin_request(&principal).await?;
        Ok(Member {
            tenant_id: principal.tenant_id,
            role: principal.role,
            actor: principal.actor,
        })
    }
}

/// A JSON body whose rejections use the API's error shape: 413 past the
/// size limit, 415 without `Content-Type: application/json`, 400 for JSON
/// that does not parse or does not fit the type, and 422 naming the field
/// where a string holds a NUL character (which no database column stores).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let value = match Json::<Value>::from_request(request, state).await {
            Ok(Json(value)) => value,
            Err(JsonRejection::BytesRejection(r))
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                return Err(ApiError::PayloadTooLarge(
                    state.settings.server.max_body_bytes,
                ));
            }
            Err(JsonRejection::MissingJsonContentType(_)) => {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".to_owned(),
                ));
            }
            Err(rejection) => return Err(ApiError::BadRequest(rejection.body_text())),
        };
        if let Some(path) = domain::nul_character_at(&value) {
            return Err(nul_in_field(&path));
        }
        T::deserialize(value)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
    }
}

/// The 422 for a NUL character in the field at `path`.
pub fn nul_in_field(path: &str) -> ApiError {
    let field = if path.is_empty() { "the body" } else { path };
    ApiError::Unprocessable(format!("{field} contains a NUL character (U+0000)"))
}

/// Query parameters whose rejections use the API's error shape (400 naming
/// the parameter that does not parse).
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| QueryParams(value))
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
    }
}

/// Parses a UUID path segment, naming it in the error.
pub fn parse_id(what: &str, raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} must be a UUID, got '{raw}'")))
}

/// A validation message as a 422.
pub fn invalid(message: String) -> ApiError {
    ApiError::Unprocessable(message)
}
