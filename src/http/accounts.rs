//! Accounts: self-service signup (tenant + owner + first API key), login
//! and logout with expiring tokens, the caller's own view (`/v1/me`), and
//! the tenant's API keys (created and shown once, listed, revoked).

use std::sync::OnceLock;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wabot_plugins::{BotSettings, PluginKind};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ClientAddress, JsonBody, Member, bearer, invalid, parse_id};
use crate::auth::{self, PasswordHashing};
use crate::domain;
use crate::storage::models::{ApiKey, NewApiKey, NewSignup, NewTenant, Role, Tenant, User};

/// How long a login token is valid.
const LOGIN_LIFETIME_HOURS: i64 = 12;

/// The account routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(log_in))
        .routes(routes!(log_out))
        .routes(routes!(me))
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(revoke_api_key))
}

/// A new business signing up.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    /// The owner's login email.
    #[schema(max_length = 254, pattern = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$")]
    email: String,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    password: String,
    /// Shown to customers (no control characters).
    #[schema(min_length = 1, max_length = 120)]
    business_name: String,
    /// `restaurant`, `retail` or `pharmacy`.
    #[schema(pattern = "^(restaurant|retail|pharmacy)$")]
    business_type: String,
    /// The business's WhatsApp number, international format (7 to 15
    /// digits; spaces, `+`, `-`, `(`, `)` and `.` allowed).
    #[schema(pattern = "^[0-9 +().-]{7,40}$")]
    phone_number: String,
}

/// The new account. `api_key` is shown only here: store it now.
#[derive(Serialize, ToSchema)]
pub struct SignedUp {
    tenant: Tenant,
    user: User,
    /// The owner's first API key, in clear, shown once.
    api_key: String,
}

/// A login email, trimmed and lower-cased (422 if it is not one).
pub(super) fn email(value: &str) -> Result<String, ApiError> {
    let value = value.trim().to_lowercase();
    let well_formed = value.len() <= 254
        && !value.contains(char::is_whitespace)
        && value
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if well_formed {
        Ok(value)
    } else {
        Err(invalid("email must look like name@example.com".to_owned()))
    }
}

/// Longest password accepted (hashing a longer one would only cost time).
const MAX_PASSWORD_CHARS: usize = 128;

/// A password of acceptable length (422 otherwise).
pub(super) fn password(value: &str) -> Result<String, ApiError> {
    match value.chars().count() {
        10..=MAX_PASSWORD_CHARS => Ok(value.to_owned()),
        _ => Err(invalid("password must be 10 to 128 characters".to_owned())),
    }
}

fn business_type(value: &str) -> Result<PluginKind, ApiError> {
    match value {
        "flow" => Err(invalid(
            "business_type is the kind of business (restaurant, retail, pharmacy); a flow bot is uploaded later with PUT /v1/flow"
                .to_owned(),
        )),
        other => other
            .parse()
            .map_err(|e: wabot_plugins::UnknownPluginKind| invalid(e.to_string())),
    }
}

/// A fresh API key: the clear key and what is stored of it.
fn fresh_api_key(name: String, role: Role) -> (String, NewApiKey) {
    let key = auth::new_secret(auth::API_KEY_PREFIX);
    let stored = NewApiKey {
        name,
        prefix: auth::shown_part(&key),
        key_hash: auth::digest(&key),
        role,
    };
    (key, stored)
}

/// Sign up: creates the tenant (trial, free tier), its owner and an API key.
#[utoipa::path(post, path = "/v1/signup", tag = "accounts", request_body = SignUp,
    responses(
        (status = 201, description = "created", body = SignedUp),
        (status = 409, description = "email or phone number already registered", body = ErrorBody),
        (status = 422, description = "invalid field", body = ErrorBody),
        (status = 429, description = "too many signups from this address", body = ErrorBody),
        (status = 503, description = "too many signups at once; retry after `Retry-After`", body = ErrorBody),
    ))]
async fn sign_up(
    State(app): State<AppState>,
    ClientAddress(client): ClientAddress,
    JsonBody(body): JsonBody<SignUp>,
) -> Result<(StatusCode, Json<SignedUp>), ApiError> {
    app.limits.signup(client).await?;
    let email = email(&body.email)?;
    let password = password(&body.password)?;
    let tenant = NewTenant {
        business_name: domain::text("business_name", &body.business_name, 120).map_err(invalid)?,
        phone_number: domain::phone_number(&body.phone_number).map_err(invalid)?,
        plugin: business_type(&body.business_type)?,
        session_name: format!("wabot-{}", Uuid::new_v4().simple()),
        webhook_secret: auth::new_secret(""),
        waha_instance_id: None,
        settings: BotSettings::default(),
    };
    let password_hash = app.passwords.hash(password).await?;
    let (api_key, stored_key) = fresh_api_key("first key".to_owned(), Role::Owner);
    let (tenant, user) = app
        .store
        .sign_up(&NewSignup {
            tenant,
            email,
            password_hash,
            api_key: stored_key,
        })
        .await?;
    tracing::info!(tenant = %tenant.id, "tenant signed up");
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            tenant,
            user,
            api_key,
        }),
    ))
}

/// Email and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogIn {
    email: String,
    password: String,
}

/// A login token: send it as `Authorization: Bearer <token>`.
#[derive(Serialize, ToSchema)]
pub struct LoggedIn {
    token: String,
    expires_at: DateTime<Utc>,
    user: User,
}

/// A valid PHC string checked when the email is unknown, so that answering
/// takes as long as for a wrong password.
async fn decoy_hash(passwords: &PasswordHashing) -> Result<String, ApiError> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash.clone());
    }
    let hash = passwords.hash(auth::new_secret("")).await?;
    Ok(DECOY.get_or_init(|| hash).clone())
}

/// Log in: a token valid for 12 hours.
#[utoipa::path(post, path = "/v1/login", tag = "accounts", request_body = LogIn,
    responses(
        (status = 200, description = "OK", body = LoggedIn),
        (status = 401, description = "wrong email or password", body = ErrorBody),
        (status = 429, description = "too many attempts from this address or for this account", body = ErrorBody),
        (status = 503, description = "too many logins at once; retry after `Retry-After`", body = ErrorBody),
    ))]
async fn log_in(
    State(app): State<AppState>,
    ClientAddress(client): ClientAddress,
    JsonBody(body): JsonBody<LogIn>,
) -> Result<Json<LoggedIn>, ApiError> {
    let wrong = || ApiError::Unauthorized("wrong email or password".to_owned());
    let email = body.email.trim().to_lowercase();
    if body.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(wrong());
    }
    app.limits.login_attempt(client, &email).await?;
    let found = app.store.credentials(&email).await?;
    let hash = match &found {
        Some(credentials) => credentials.password_hash.clone(),
        None => decoy_hash(&app.passwords).await?,
    };
    let matches = app.passwords.verify(body.password, hash).await?;
    let Some(credentials) = found.filter(|_| matches) else {
        tracing::warn!(%client, email, "failed login");
        return Err(wrong());
    };
    let token = auth::new_secret(auth::LOGIN_TOKEN_PREFIX);
    let expires_at = Utc::now() + Duration::hours(LOGIN_LIFETIME_HOURS);
    app.store
        .create_login_token(&credentials.user, &auth::digest(&token), expires_at)
        .await?;
    Ok(Json(LoggedIn {
        token,
        expires_at,
        user: credentials.user,
    }))
}

/// Log out: ends the login token sent with this request.
#[utoipa::path(post, path = "/v1/logout", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "logged out"),
        (status = 401, description = "missing, unknown or expired credential", body = ErrorBody),
    ))]
async fn log_out(_: Member, State(app): State<AppState>, headers: HeaderMap) -> StatusCode {
    // `Member` has checked that the header is there.
    let token = bearer(&headers).unwrap_or_default();
    // An API key is not a login: nothing to end, and nothing to report.
    if let Err(error) = app.store.delete_login_token(&auth::digest(token)).await {
        tracing::warn!(%error, "could not end a login");
    }
    StatusCode::NO_CONTENT
}

/// Who is calling, for which tenant.
#[derive(Serialize, ToSchema)]
pub struct Me {
    tenant: Tenant,
    role: Role,
    actor: String,
}

/// The caller's tenant and role.
#[utoipa::path(get, path = "/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Me), (status = 401, description = "missing, unknown or expired credential", body = ErrorBody)))]
async fn me(member: Member, State(app): State<AppState>) -> Result<Json<Me>, ApiError> {
    Ok(Json(Me {
        tenant: app.store.get_tenant(member.tenant_id).await?,
        role: member.role,
        actor: member.actor,
    }))
}

/// A new API key.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// What it is for (1 to 64 characters).
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// `owner` or `staff` (default `staff`).
    #[serde(default)]
    role: Option<Role>,
}

/// The new key, in clear, shown once.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// Send as `Authorization: Bearer <key>`.
    key: String,
    api_key: ApiKey,
}

/// Creates an API key (owner only).
#[utoipa::path(post, path = "/v1/api-keys", tag = "accounts", security(("bearer" = [])),
    request_body = CreateApiKey,
    responses((status = 201, description = "created", body = CreatedApiKey), (status = 403, description = "not allowed for this role or tier", body = ErrorBody)))]
async fn create_api_key(
    member: Member,
    State(app): State<AppState>,
    JsonBody(body): JsonBody<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    member.require_owner()?;
    let name = domain::text("name", &body.name, 64).map_err(invalid)?;
    let (key, stored) = fresh_api_key(name, body.role.unwrap_or(Role::Staff));
    let api_key = app.store.create_api_key(member.tenant_id, &stored).await?;
    app.store
        .record_audit(&member.audit(
            "api_key.create",
            api_key.id.to_string(),
            None,
            Some(json!(api_key)),
        ))
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { key, api_key })))
}

/// The tenant's API keys (owner only); keys themselves are never shown again.
#[utoipa::path(get, path = "/v1/api-keys", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Vec<ApiKey>), (status = 403, description = "not allowed for this role or tier", body = ErrorBody)))]
async fn list_api_keys(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<Vec<ApiKey>>, ApiError> {
    member.require_owner()?;
    Ok(Json(app.store.list_api_keys(member.tenant_id).await?))
}

/// Revokes an API key (owner only); it stops working at once.
#[utoipa::path(delete, path = "/v1/api-keys/{key_id}", tag = "accounts",
    security(("bearer" = [])),
    params(("key_id" = Uuid, Path, description = "the key's id")),
    responses((status = 200, description = "OK", body = ApiKey), (status = 404, description = "not found (for this caller)", body = ErrorBody)))]
async fn revoke_api_key(
    member: Member,
    State(app): State<AppState>,
    Path(key_id): Path<String>,
) -> Result<Json<ApiKey>, ApiError> {
    member.require_owner()?;
    let key_id = parse_id("key_id", &key_id)?;
    let api_key = app.store.revoke_api_key(member.tenant_id, key_id).await?;
    app.store
        .record_audit(&member.audit(
            "api_key.revoke",
            key_id.to_string(),
            None,
            Some(json!(api_key)),
        ))
        .await?;
    Ok(Json(api_key))
}
