//! Conversations: each customer's state snapshot, and the step that commits
//! a new state, marks the inbox message handled, queues the replies and
//! charges usage, all in one transaction.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::types::Json;
use uuid::Uuid;
use wabot_actors::{ConversationStore, OutboxMessage, Step, StoreError};
use wabot_plugins::ConversationState;

use super::outbox::OutboxRow;
use super::sql::values_list;
use super::sql_store::SqlStore;

/// The columns a step's outbox insert writes, in order.
const OUTBOX_COLUMNS: usize = 8;

/// The scale-out bucket (0..=255) of a conversation: FNV-1a of tenant and
/// customer, stable across versions and machines.
pub fn bucket_of(tenant_id: Uuid, customer: &str) -> i16 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in tenant_id.as_bytes().iter().chain(customer.as_bytes()) {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash % 256) as i16
}

#[async_trait]
impl ConversationStore for SqlStore {
    async fn load_conversation(
        &self,
        tenant_id: Uuid,
        customer: &str,
    ) -> Result<Option<ConversationState>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let state: Option<Json<ConversationState>> = tx
            .sql("SELECT state FROM conversations WHERE tenant_id = $1 AND customer_phone = $2")
            .bind(tenant_id)
            .bind(customer)
            .fetch_optional_scalar(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(state.map(|json| json.0))
    }

    async fn record_step(&self, step: Step<'_>) -> Result<Vec<OutboxMessage>, StoreError> {
        let now = Utc::now();
        let bucket = bucket_of(step.tenant_id, step.customer);
        let mut tx = self.db.tenant_tx(step.tenant_id).await?;
        if let Some(state) = step.state {
            tx.sql(
                "INSERT INTO conversations (tenant_id, customer_phone, bucket, state, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (tenant_id, customer_phone)
                 DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            )
            .bind(step.tenant_id)
            .bind(step.customer)
            .bind(bucket)
            .bind(Json(state))
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        let mut newly_processed = false;
        if let Some(inbox_id) = step.processed_inbox_id {
            newly_processed = tx
                .sql(
                    "UPDATE inbox SET processed_at = $3
                     WHERE id = $1 AND tenant_id = $2 AND processed_at IS NULL",
                )
                .bind(inbox_id)
                .bind(step.tenant_id)
                .bind(now)
                .execute(&mut tx)
                .await?
                > 0;
        }
        let mut stored = Vec::new();
        if !step.outbox.is_empty() {
            // The parameters are numbered by the code, so the text is safe
            // whatever the replies hold.
            let sql = format!(
                "INSERT INTO outbox (tenant_id, session, chat_id, content, idempotency_key,
                     wa_message_id, bucket, created_at)
                 VALUES {}
                 ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
                 RETURNING id, tenant_id, session, chat_id, content, wa_message_id",
                values_list(step.outbox.len(), OUTBOX_COLUMNS)
            );
            let mut insert = tx.sql(sqlx::AssertSqlSafe(sql));
            for message in step.outbox {
                insert = insert
                    .bind(step.tenant_id)
                    .bind(step.session)
                    .bind(step.customer)
                    .bind(Json(&message.content))
                    .bind(&message.idempotency_key)
                    .bind(&message.wa_message_id)
                    .bind(bucket)
                    .bind(now);
            }
            stored = insert
                .fetch_all_as::<OutboxRow>(&mut tx)
                .await?
                .into_iter()
                .map(OutboxMessage::from)
                .collect();
            stored.sort_by_key(|m: &OutboxMessage| m.id);
        }
        let new_step = match step.processed_inbox_id {
            Some(_) => newly_processed,
            None => !stored.is_empty(),
        };
        if let Some(charge) = step.charge.filter(|_| new_step) {
            tx.sql(
                "INSERT INTO usage_logs (tenant_id, day, message_count, cost_micros)
                 VALUES ($1, $2, 1, $3)
                 ON CONFLICT (tenant_id, day) DO UPDATE
                 SET message_count = usage_logs.message_count + 1,
                     cost_micros = usage_logs.cost_micros + excluded.cost_micros",
            )
            .bind(step.tenant_id)
            .bind(charge.day)
            .bind(charge.cost_micros)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_and_in_range() {
        let tenant = Uuid::from_u128(42);
        assert_eq!(
            bucket_of(tenant, "15551234567@c.us"),
            bucket_of(tenant, "15551234567@c.us")
        );
        let distinct: std::collections::HashSet<_> = (0..2000)
            .map(|n| bucket_of(tenant, &format!("{n}@c.us")))
            .collect();
        assert!(distinct.len() > 200, "customers spread over the buckets");
        assert!(distinct.iter().all(|b| (0..=255).contains(b)));
    }
}
