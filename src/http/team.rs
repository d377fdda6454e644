//! The tenant's team (`/v1/users`, owner only): add owners and staff who
//! sign in with email and password, list them, remove them. Staff may read
//! everything, move orders along and toggle item availability; owners also
//! manage keys, users, settings and the menu. A tenant keeps one owner.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::accounts::{email, password};
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, Member, parse_id};
use crate::storage::models::{Role, User};

/// The team routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_user, list_users))
        .routes(routes!(remove_user))
}

/// A person to add to the team.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeamMember {
    /// Login email (unique on the platform).
    #[schema(max_length = 254, pattern = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$")]
    email: String,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    password: String,
    /// `owner` or `staff` (default `staff`).
    #[serde(default)]
    role: Option<Role>,
}

/// Adds a user who signs in with `POST /v1/login` (owner only).
#[utoipa::path(post, path = "/v1/users", tag = "accounts", security(("bearer" = [])),
    request_body = NewTeamMember,
    responses((status = 201, description = "created", body = User),
        (status = 403, description = "not allowed for this role", body = ErrorBody),
        (status = 409, description = "email already registered", body = ErrorBody),
        (status = 422, description = "invalid field", body = ErrorBody)))]
async fn add_user(
    member: Member,
    State(app): State<AppState>,
    JsonBody(body): JsonBody<NewTeamMember>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    member.require_owner()?;
    let email = email(&body.email)?;
    let password_hash = app.passwords.hash(password(&body.password)?).await?;
    let role = body.role.unwrap_or(Role::Staff);
    let user = app
        .store
        .create_user(member.tenant_id, &email, &password_hash, role)
        .await?;
    app.store
        .record_audit(&member.audit("user.create", user.id.to_string(), None, Some(json!(user))))
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// The tenant's users (owner only).
#[utoipa::path(get, path = "/v1/users", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Vec<User>),
        (status = 403, description = "not allowed for this role", body = ErrorBody)))]
async fn list_users(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<Vec<User>>, ApiError> {
    member.require_owner()?;
    Ok(Json(app.store.list_users(member.tenant_id).await?))
}

/// Removes a user and signs them out everywhere (owner only; 409 for the
/// last owner).
#[utoipa::path(delete, path = "/v1/users/{user_id}", tag = "accounts",
    security(("bearer" = [])), params(("user_id" = Uuid, Path)),
    responses((status = 204, description = "removed"),
        (status = 404, description = "not found (for this caller)", body = ErrorBody),
        (status = 409, description = "the last owner", body = ErrorBody)))]
async fn remove_user(
    member: Member,
    State(app): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    member.require_owner()?;
    let user_id = parse_id("user_id", &user_id)?;
    let user = app.store.delete_user(member.tenant_id, user_id).await?;
    app.store
        .record_audit(&member.audit("user.delete", user.id.to_string(), Some(json!(user)), None))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
