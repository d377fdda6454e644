//! The outbox: replies a step committed, waiting to be sent to WAHA, and
//! their fate once tried.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::types::Json;
use uuid::Uuid;
use wabot_actors::{OutboundContent, OutboxMessage, OutboxStore, SentMark, StoreError};

use super::sql_store::SqlStore;

/// An `outbox` row as the sender reads it.
#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    tenant_id: Uuid,
    session: String,
    chat_id: String,
    content: Json<OutboundContent>,
    wa_message_id: String,
}

/// A reply as its insert returns it: the message, and the key it was
/// stored under.
#[derive(sqlx::FromRow)]
pub(super) struct StoredReply {
    #[sqlx(flatten)]
    message: OutboxRow,
    idempotency_key: String,
}

impl StoredReply {
    /// The reply's tenant and key, and the reply.
    pub(super) fn keyed(self) -> ((Uuid, String), OutboxMessage) {
        let message = OutboxMessage::from(self.message);
        ((message.tenant_id, self.idempotency_key), message)
    }
}

impl From<OutboxRow> for OutboxMessage {
    fn from(row: OutboxRow) -> Self {
        OutboxMessage {
            id: row.id,
            tenant_id: row.tenant_id,
            session: row.session,
            chat_id: row.chat_id,
            content: row.content.0,
            wa_message_id: row.wa_message_id,
        }
    }
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn mark_sent(&self, sent: &[SentMark]) -> Result<(), StoreError> {
        if sent.is_empty() {
            return Ok(());
        }
        let mut placeholders = self.db.backend().placeholders();
        let sql = format!(
            "UPDATE outbox SET sent_at = {} WHERE (id, tenant_id) IN (VALUES {})",
            placeholders.one(),
            placeholders.rows(sent.len(), 2)
        );
        let mut update = self
            .db
            .sql(sqlx::AssertSqlSafe(sql))
            .once()
            .bind(Utc::now());
        for mark in sent {
            update = update.bind(mark.id).bind(mark.tenant_id);
        }
        update.execute(&self.db).await.map(drop)
    }

    async fn mark_failed(&self, tenant_id: Uuid, id: i64, error: &str) -> Result<(), StoreError> {
        self.db
            .sql(
                "UPDATE outbox SET failed_at = $4, last_error = $3
                 WHERE id = $1 AND tenant_id = $2",
            )
            .bind(id)
            .bind(tenant_id)
            .bind(error)
            .bind(Utc::now())
            .execute(&self.db)
            .await
            .map(drop)
    }

    async fn unsent(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = self
            .db
            .sql(
                "SELECT id, tenant_id, session, chat_id, content, wa_message_id FROM outbox
                 WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id",
            )
            .fetch_all_as::<OutboxRow>(&self.db)
            .await?;
        Ok(rows.into_iter().map(OutboxMessage::from).collect())
    }
}
