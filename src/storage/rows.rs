//! Row → record mapping shared by both backends: the columns decode to the
//! same Rust types on PostgreSQL and SQLite, except money, which each
//! backend decodes itself and passes in.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{ColumnIndex, Decode, Row, Type};
use uuid::Uuid;
use wabot_actors::{InboxEvent, NewInboxEvent, OutboundContent, OutboxMessage, StoreError};
use wabot_plugins::{BotSettings, OrderLine};

use super::backend;
use super::models::{Order, Prescription, Review, SessionRoute, Tenant, WahaInstance};
use crate::secret_box::{Purpose, SecretBox};

/// Decodes column `name` of `row` as `T`.
fn get<'r, R, T>(row: &'r R, name: &str) -> Result<T, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(name).map_err(backend)
}

/// `waha_instances` row, its API key opened with `secrets`.
pub(crate) fn instance_from<'r, R>(
    secrets: &SecretBox,
    row: &'r R,
) -> Result<WahaInstance, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(WahaInstance {
        id: get(row, "id")?,
        name: get(row, "name")?,
        base_url: get(row, "base_url")?,
        api_key: secrets.open(&get::<_, String>(row, "api_key")?, Purpose::WahaApiKey)?,
        capacity: get(row, "capacity")?,
        draining: get(row, "draining")?,
        created_at: get(row, "created_at")?,
    })
}

/// `tenants` row with the columns of `tenant_columns!()`.
pub(crate) fn tenant_from<'r, R>(row: &'r R) -> Result<Tenant, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    Option<Uuid>: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    Json<BotSettings>: Decode<'r, R::Database> + Type<R::Database>,
{
    let plugin: String = get(row, "plugin_type")?;
    Ok(Tenant {
        id: get(row, "id")?,
        business_name: get(row, "business_name")?,
        phone_number: get(row, "phone_number")?,
        session_name: get(row, "whatsapp_session_id")?,
        waha_instance_id: get(row, "waha_instance_id")?,
        session_status: get(row, "session_status")?,
        plugin_type: plugin.parse().map_err(backend)?,
        status: get(row, "status")?,
        subscription_tier: get(row, "subscription_tier")?,
        overage_allowed: get(row, "overage_allowed")?,
        settings: get::<_, Json<BotSettings>>(row, "settings")?.0,
        created_at: get(row, "created_at")?,
    })
}

/// `orders` row with the columns of `order_columns!()`; `total` is decoded
/// by the backend.
pub(crate) fn order_from<'r, R>(row: &'r R, total: Decimal) -> Result<Order, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    Json<Vec<OrderLine>>: Decode<'r, R::Database> + Type<R::Database>,
{
    let status: String = get(row, "status")?;
    Ok(Order {
        id: get(row, "id")?,
        order_number: get(row, "order_number")?,
        customer_phone: get(row, "customer_phone")?,
        items: get::<_, Json<Vec<OrderLine>>>(row, "items")?.0,
        total,
        delivery_address: get(row, "delivery_address")?,
        status: status.parse().map_err(backend)?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        prescription: match get::<_, Option<Uuid>>(row, "prescription_media_id")? {
            Some(media_id) => Some(Prescription {
                media_id,
                review: get::<_, Option<String>>(row, "prescription_review")?
                    .unwrap_or_else(|| Review::AWAITING.to_owned()),
                note: get(row, "review_note")?,
            }),
            None => None,
        },
    })
}

/// Row of the session-routes query: session, tenant id, secret (opened
/// with `secrets`), instance id.
pub(crate) fn route_from<'r, R>(secrets: &SecretBox, row: &'r R) -> Result<SessionRoute, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(SessionRoute {
        session: get(row, "whatsapp_session_id")?,
        tenant_id: get(row, "id")?,
        webhook_secret: secrets.open(
            &get::<_, String>(row, "webhook_secret")?,
            Purpose::WebhookSecret,
        )?,
        waha_instance_id: get(row, "waha_instance_id")?,
    })
}

/// `inbox` row: id, tenant_id, session, message_id, customer, body, media.
pub(crate) fn inbox_event_from<'r, R>(row: &'r R) -> Result<InboxEvent, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(InboxEvent {
        id: get(row, "id")?,
        event: NewInboxEvent {
            tenant_id: get(row, "tenant_id")?,
            session: get(row, "session")?,
            message_id: get(row, "message_id")?,
            customer: get(row, "customer")?,
            text: get(row, "body")?,
            media: get::<_, Option<String>>(row, "media")?
                .map(|json| serde_json::from_str(&json).map_err(backend))
                .transpose()?,
        },
    })
}

/// Rows returned by an inbox insert: `(session, message_id) → id`.
pub(crate) fn stored_keys<'r, R>(
    rows: &'r [R],
) -> Result<std::collections::HashMap<(String, String), i64>, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    rows.iter()
        .map(|row| {
            Ok((
                (get(row, "session")?, get(row, "message_id")?),
                get(row, "id")?,
            ))
        })
        .collect()
}

/// `outbox` row: id, tenant_id, session, chat_id, content, wa_message_id.
pub(crate) fn outbox_message_from<'r, R>(row: &'r R) -> Result<OutboxMessage, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Json<OutboundContent>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(OutboxMessage {
        id: get(row, "id")?,
        tenant_id: get(row, "tenant_id")?,
        session: get(row, "session")?,
        chat_id: get(row, "chat_id")?,
        content: get::<_, Json<OutboundContent>>(row, "content")?.0,
        wa_message_id: get(row, "wa_message_id")?,
    })
}
