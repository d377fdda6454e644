//! The inbox: customers' messages as WAHA delivered them, stored (and
//! deduplicated by session and message id) before the webhook is
//! acknowledged, and marked processed by the step that handled them.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use uuid::Uuid;
use wabot_actors::{Appended, InboxEvent, InboxStore, NewInboxEvent, StoreError};

use super::conversations::bucket_of;
use super::sql::backend;
use super::sql_store::SqlStore;

/// The columns an append writes, in order.
const APPEND_COLUMNS: usize = 8;

/// An `inbox` row as the replay reads it.
#[derive(sqlx::FromRow)]
struct InboxRow {
    id: i64,
    tenant_id: Uuid,
    session: String,
    message_id: String,
    customer: String,
    body: String,
    media: Option<String>,
}

impl InboxRow {
    fn into_event(self) -> Result<InboxEvent, StoreError> {
        Ok(InboxEvent {
            id: self.id,
            event: NewInboxEvent {
                tenant_id: self.tenant_id,
                session: self.session,
                message_id: self.message_id,
                customer: self.customer,
                text: self.body,
                media: self
                    .media
                    .map(|json| serde_json::from_str(&json).map_err(backend))
                    .transpose()?,
            },
        })
    }
}

/// A row an append stored.
#[derive(sqlx::FromRow)]
struct StoredKey {
    id: i64,
    session: String,
    message_id: String,
}

/// The inbox `media` column of `event`: its file as JSON, if it has one.
fn media_json(event: &NewInboxEvent) -> Option<String> {
    event
        .media
        .as_ref()
        .map(|media| serde_json::to_string(media).expect("media metadata serialises"))
}

/// Outcomes of an append, in event order, from the rows the insert
/// returned. An event whose key was not returned, or was claimed by an
/// earlier event of the same batch, is a duplicate.
fn append_outcomes(events: &[NewInboxEvent], stored: Vec<StoredKey>) -> Vec<Appended> {
    let mut stored: HashMap<(String, String), i64> = stored
        .into_iter()
        .map(|key| ((key.session, key.message_id), key.id))
        .collect();
    events
        .iter()
        .map(
            |e| match stored.remove(&(e.session.clone(), e.message_id.clone())) {
                Some(id) => Appended::Stored(id),
                None => Appended::Duplicate,
            },
        )
        .collect()
}

#[async_trait]
impl InboxStore for SqlStore {
    async fn append(&self, events: &[NewInboxEvent]) -> Result<Vec<Appended>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // One statement per batch: the parameters are numbered by the
        // code, so the text is safe whatever the events hold.
        let sql = format!(
            "INSERT INTO inbox (tenant_id, session, message_id, customer, body, bucket,
                 received_at, media)
             VALUES {}
             ON CONFLICT (session, message_id) DO NOTHING
             RETURNING id, session, message_id",
            self.db
                .backend()
                .placeholders()
                .rows(events.len(), APPEND_COLUMNS)
        );
        let now = Utc::now();
        let mut insert = self
            .db
            .sql(sqlx::AssertSqlSafe(sql))
            .once()
            .about("inbox event");
        for event in events {
            insert = insert
                .bind(event.tenant_id)
                .bind(&event.session)
                .bind(&event.message_id)
                .bind(&event.customer)
                .bind(&event.text)
                .bind(bucket_of(event.tenant_id, &event.customer))
                .bind(now)
                .bind(media_json(event));
        }
        let stored = insert.fetch_all_as::<StoredKey>(&self.db).await?;
        Ok(append_outcomes(events, stored))
    }

    async fn unprocessed(&self) -> Result<Vec<InboxEvent>, StoreError> {
        self.db
            .sql(
                "SELECT id, tenant_id, session, message_id, customer, body, media FROM inbox
                 WHERE processed_at IS NULL ORDER BY id",
            )
            .fetch_all_as::<InboxRow>(&self.db)
            .await?
            .into_iter()
            .map(InboxRow::into_event)
            .collect()
    }
}
