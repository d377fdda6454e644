//! Customer conversations, as the business sees them: a conversation a
//! customer handed over to a person ("human", "persona", "موظف" … — the
//! tenant is told by a `handoff.requested` event) stays silent on the bot's
//! side until a member hands it back here; the bot then greets the customer.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{Member, invalid};
use crate::domain;

/// The conversation routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(hand_back))
}

/// A conversation handed back to the bot.
#[derive(Serialize, ToSchema)]
pub struct HandedBack {
    /// The customer's chat id.
    customer: String,
    /// Always false: the bot answers again.
    handed_over: bool,
}

/// The customer's chat id from a number (`15550100001`, `+1 555 010 0001`)
/// or a chat id (`15550100001@c.us`).
fn chat_id(raw: &str) -> Result<String, ApiError> {
    let number = raw.strip_suffix("@c.us").unwrap_or(raw);
    let digits = domain::phone_number(number).map_err(|_| {
        invalid(format!(
            "customer must be a phone number or a chat id like 15550100001@c.us, not {raw:?}"
        ))
    })?;
    Ok(format!("{digits}@c.us"))
}

/// Hands a conversation back to the bot after a person took over (any
/// member). 404 if the customer never wrote; 409 if the bot is already
/// answering them.
#[utoipa::path(post, path = "/v1/conversations/{customer}/hand-back", tag = "conversations",
    security(("bearer" = [])), params(("customer" = String, Path, description = "phone number or chat id")),
    responses((status = 200, description = "OK", body = HandedBack),
        (status = 404, description = "no conversation with this customer", body = ErrorBody),
        (status = 409, description = "not handed over", body = ErrorBody),
        (status = 422, description = "not a phone number", body = ErrorBody)))]
async fn hand_back(
    member: Member,
    State(app): State<AppState>,
    Path(customer): Path<String>,
) -> Result<Json<HandedBack>, ApiError> {
    let customer = chat_id(&customer)?;
    let conversation = app
        .store
        .load_conversation(member.tenant_id, &customer)
        .await?
        .ok_or_else(|| ApiError::NotFound("no conversation with this customer".to_owned()))?;
    if !conversation.handed_over() {
        return Err(ApiError::Conflict(
            "this conversation is not handed over; the bot is answering it".to_owned(),
        ));
    }
    app.runtime.hand_back(member.tenant_id, &customer)?;
    app.store
        .record_audit(&member.audit(
            "conversation.hand_back",
            &customer,
            Some(json!({"handed_over": true})),
            Some(json!({"handed_over": false})),
        ))
        .await?;
    Ok(Json(HandedBack {
        customer,
        handed_over: false,
    }))
}
