//! Conversations: each customer's state snapshot, and the step that commits
//! a new state, marks the inbox message handled, queues the replies and
//! charges usage, all in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use uuid::Uuid;
use wabot_actors::{ConversationStore, NewOutboxMessage, OutboxMessage, Step, StoreError};
use wabot_plugins::ConversationState;

use super::database::Tx;
use super::outbox::StoredReply;
use super::sql_store::SqlStore;

/// The columns a reply's insert writes, in order.
const OUTBOX_COLUMNS: usize = 8;

/// Replies per insert statement: 8 parameters each stays far below both
/// backends' limits (SQLite 32,766, PostgreSQL 65,535).
const MAX_REPLIES_PER_STATEMENT: usize = 1_000;

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

    /// One transaction for the whole batch, and a few statements whatever
    /// its size: one upsert of the snapshots, one update of the inbox, one
    /// insert of the replies, one upsert of the usage (per tenant and day,
    /// not per message). It runs as platform work with `tenant_id` explicit
    /// on every row, as the inbox writer does: a batch holds many tenants,
    /// and switching the role per tenant would cost a statement each.
    async fn record_steps(&self, steps: &[Step]) -> Result<Vec<Vec<OutboxMessage>>, StoreError> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let mut tx = self.db.platform_tx().await?;
        save_snapshots(&mut tx, steps, now).await?;
        let processed = mark_processed(&mut tx, steps, now).await?;
        let stored = insert_replies(&mut tx, steps, now).await?;
        let new_steps: Vec<bool> = steps
            .iter()
            .zip(&stored)
            .map(|(step, replies)| match step.processed_inbox_id {
                Some(id) => processed.contains(&id),
                None => !replies.is_empty(),
            })
            .collect();
        charge_usage(&mut tx, steps, &new_steps).await?;
        tx.commit().await?;
        Ok(stored)
    }
}

/// Upserts the changed snapshots; a conversation in the batch twice keeps
/// its later state.
async fn save_snapshots(tx: &mut Tx, steps: &[Step], now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut latest: HashMap<(Uuid, &str), &ConversationState> = HashMap::new();
    for step in steps {
        if let Some(state) = &step.state {
            latest.insert((step.tenant_id, step.customer.as_str()), state);
        }
    }
    if latest.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO conversations (tenant_id, customer_phone, bucket, state, updated_at)
         VALUES {}
         ON CONFLICT (tenant_id, customer_phone)
         DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        tx.backend().placeholders().rows(latest.len(), 5)
    );
    let mut upsert = tx.sql(sqlx::AssertSqlSafe(sql)).once();
    for ((tenant_id, customer), state) in latest {
        upsert = upsert
            .bind(tenant_id)
            .bind(customer)
            .bind(bucket_of(tenant_id, customer))
            .bind(Json(state))
            .bind(now);
    }
    upsert.execute(&mut *tx).await.map(drop)
}

/// Marks the steps' inbox events processed; returns those that were not yet.
async fn mark_processed(
    tx: &mut Tx,
    steps: &[Step],
    now: DateTime<Utc>,
) -> Result<HashSet<i64>, StoreError> {
    let events: Vec<(i64, Uuid)> = steps
        .iter()
        .filter_map(|step| step.processed_inbox_id.map(|id| (id, step.tenant_id)))
        .collect();
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let mut placeholders = tx.backend().placeholders();
    let sql = format!(
        "UPDATE inbox SET processed_at = {}
         WHERE processed_at IS NULL AND (id, tenant_id) IN (VALUES {})
         RETURNING id",
        placeholders.one(),
        placeholders.rows(events.len(), 2)
    );
    let mut update = tx.sql(sqlx::AssertSqlSafe(sql)).once().bind(now);
    for (id, tenant_id) in events {
        update = update.bind(id).bind(tenant_id);
    }
    update
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.first::<i64>())
        .collect()
}

/// Inserts every step's replies; returns, per step, those stored now, in
/// the step's order.
async fn insert_replies(
    tx: &mut Tx,
    steps: &[Step],
    now: DateTime<Utc>,
) -> Result<Vec<Vec<OutboxMessage>>, StoreError> {
    let mut stored: Vec<Vec<OutboxMessage>> = vec![Vec::new(); steps.len()];
    let replies: Vec<(usize, &Step, &NewOutboxMessage)> = steps
        .iter()
        .enumerate()
        .flat_map(|(n, step)| step.outbox.iter().map(move |message| (n, step, message)))
        .collect();
    for chunk in replies.chunks(MAX_REPLIES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO outbox (tenant_id, session, chat_id, content, idempotency_key,
                 wa_message_id, bucket, created_at)
             VALUES {}
             ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
             RETURNING id, tenant_id, session, chat_id, content, wa_message_id, idempotency_key",
            tx.backend()
                .placeholders()
                .rows(chunk.len(), OUTBOX_COLUMNS)
        );
        let mut insert = tx.sql(sqlx::AssertSqlSafe(sql)).once();
        for (_, step, message) in chunk {
            insert = insert
                .bind(step.tenant_id)
                .bind(&step.session)
                .bind(&step.customer)
                .bind(Json(&message.content))
                .bind(&message.idempotency_key)
                .bind(&message.wa_message_id)
                .bind(bucket_of(step.tenant_id, &step.customer))
                .bind(now);
        }
        let mut inserted: HashMap<(Uuid, String), OutboxMessage> = insert
            .fetch_all_as::<StoredReply>(&mut *tx)
            .await?
            .into_iter()
            .map(StoredReply::keyed)
            .collect();
        for (n, step, message) in chunk {
            if let Some(reply) = inserted.remove(&(step.tenant_id, message.idempotency_key.clone()))
            {
                stored[*n].push(reply);
            }
        }
    }
    Ok(stored)
}

/// Adds the new steps' charges to the usage rows: one row per tenant and
/// day, however many steps the batch holds.
async fn charge_usage(tx: &mut Tx, steps: &[Step], new_steps: &[bool]) -> Result<(), StoreError> {
    let mut usage: BTreeMap<(Uuid, NaiveDate), (i64, i64)> = BTreeMap::new();
    for (step, _) in steps.iter().zip(new_steps).filter(|(_, new)| **new) {
        if let Some(charge) = step.charge {
            let entry = usage.entry((step.tenant_id, charge.day)).or_default();
            entry.0 += 1;
            entry.1 += charge.cost_micros;
        }
    }
    if usage.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO usage_logs (tenant_id, day, message_count, cost_micros)
         VALUES {}
         ON CONFLICT (tenant_id, day) DO UPDATE
         SET message_count = usage_logs.message_count + excluded.message_count,
             cost_micros = usage_logs.cost_micros + excluded.cost_micros",
        tx.backend().placeholders().rows(usage.len(), 4)
    );
    let mut upsert = tx.sql(sqlx::AssertSqlSafe(sql)).once();
    for ((tenant_id, day), (messages, cost_micros)) in usage {
        upsert = upsert
            .bind(tenant_id)
            .bind(day)
            .bind(messages)
            .bind(cost_micros);
    }
    upsert.execute(&mut *tx).await.map(drop)
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
