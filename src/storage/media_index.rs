//! Customers' files as indexed in the database (the bytes live in the
//! media storage, under each record's `storage_key`).

use async_trait::async_trait;
use uuid::Uuid;
use wabot_actors::StoreError;

use super::models::MediaRecord;
use super::sql_store::SqlStore;

/// The index of customers' files.
#[async_trait]
pub trait MediaIndex: Send + Sync {
    /// Indexes a customer's file kept under `storage_key`; returns the id
    /// stored for its message (the first one, when it was indexed before).
    async fn record_media(&self, media: &MediaRecord) -> Result<Uuid, StoreError>;
    /// One of the tenant's files.
    async fn get_media(&self, tenant_id: Uuid, media_id: Uuid) -> Result<MediaRecord, StoreError>;
    /// Where the tenant's files are kept (to delete them with the tenant).
    async fn media_keys(&self, tenant_id: Uuid) -> Result<Vec<String>, StoreError>;
}

#[async_trait]
impl MediaIndex for SqlStore {
    async fn record_media(&self, media: &MediaRecord) -> Result<Uuid, StoreError> {
        let mut tx = self.db.tenant_tx(media.tenant_id).await?;
        tx.sql(
            "INSERT INTO media (tenant_id, id, customer_phone, message_id, mimetype,
                 filename, size_bytes, storage_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (tenant_id, message_id) DO NOTHING",
        )
        .about("media")
        .bind(media.tenant_id)
        .bind(media.id)
        .bind(&media.customer)
        .bind(&media.message_id)
        .bind(&media.mimetype)
        .bind(&media.filename)
        .bind(media.size_bytes)
        .bind(&media.storage_key)
        .bind(media.created_at)
        .execute(&mut tx)
        .await?;
        let id: Uuid = tx
            .sql("SELECT id FROM media WHERE tenant_id = $1 AND message_id = $2")
            .about("media")
            .bind(media.tenant_id)
            .bind(&media.message_id)
            .fetch_scalar(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn get_media(&self, tenant_id: Uuid, media_id: Uuid) -> Result<MediaRecord, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let record = tx
            .sql(
                "SELECT tenant_id, id, customer_phone AS customer, message_id, mimetype, filename,
                        size_bytes, storage_key, created_at
                 FROM media WHERE tenant_id = $1 AND id = $2",
            )
            .about("media")
            .bind(tenant_id)
            .bind(media_id)
            .fetch_one_as::<MediaRecord>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn media_keys(&self, tenant_id: Uuid) -> Result<Vec<String>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let keys = tx
            .sql("SELECT storage_key FROM media WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_all(&mut tx)
            .await?
            .iter()
            .map(|row| row.first())
            .collect::<Result<_, _>>()?;
        tx.commit().await?;
        Ok(keys)
    }
}
