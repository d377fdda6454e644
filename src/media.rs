//! Customers' files (prescriptions, photos): the runtime downloads them
//! from WAHA for the bots that use them, and [`MediaLibrary`] keeps them in
//! the media storage (a folder by default, an S3-compatible bucket when
//! configured) under `<tenant id>/<media id>`, indexed per tenant in the
//! database. Only the tenant's own members can read them back. What the
//! customer said of a file is cleaned ([`file_metadata`]).

pub mod file_metadata;

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use axum::body::Bytes;
use chrono::Utc;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use uuid::Uuid;
use wabot_actors::{MediaStore, NewMedia, StoreError};

use crate::config::MediaSettings;
use crate::storage::Store;
use crate::storage::models::MediaRecord;

/// The media storage and its index.
pub struct MediaLibrary {
    files: Arc<dyn ObjectStore>,
    store: Arc<dyn Store>,
    max_bytes: usize,
}

impl MediaLibrary {
    /// Opens the storage `settings` name (creating the folder if needed).
    pub fn open(settings: &MediaSettings, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let files: Arc<dyn ObjectStore> = match &settings.s3 {
            Some(s3) => {
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(&s3.bucket)
                    .with_allow_http(s3.allow_http);
                if let Some(region) = &s3.region {
                    builder = builder.with_region(region);
                }
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(key_id) = &s3.access_key_id {
                    builder = builder.with_access_key_id(key_id);
                }
                if let Some(secret) = &s3.secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose());
                }
                Arc::new(
                    builder
                        .build()
                        .with_context(|| format!("the S3 bucket {}", s3.bucket))?,
                )
            }
            None => {
                std::fs::create_dir_all(&settings.dir).with_context(|| {
                    format!("creating the media folder {}", settings.dir.display())
                })?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(&settings.dir)
                        .with_context(|| format!("the media folder {}", settings.dir.display()))?,
                )
            }
        };
        Ok(Self {
            files,
            store,
            max_bytes: settings.max_bytes,
        })
    }

    /// One of the tenant's files and its content.
    pub async fn read(
        &self,
        tenant_id: Uuid,
        media_id: Uuid,
    ) -> Result<(MediaRecord, Bytes), StoreError> {
        let record = self.store.get_media(tenant_id, media_id).await?;
        let content = self
            .files
            .get(&Path::from(record.storage_key.as_str()))
            .await
            .map_err(storage_error)?
            .bytes()
            .await
            .map_err(storage_error)?;
        Ok((record, content))
    }

    /// Deletes every file of the tenant (before the tenant's rows go).
    pub async fn delete_tenant_files(&self, tenant_id: Uuid) -> Result<(), StoreError> {
        for key in self.store.media_keys(tenant_id).await? {
            match self.files.delete(&Path::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(storage_error(error)),
            }
        }
        Ok(())
    }
}

fn storage_error(error: object_store::Error) -> StoreError {
    StoreError::Backend(format!("media storage: {error}"))
}

#[async_trait]
impl MediaStore for MediaLibrary {
    fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    async fn save_media(&self, media: NewMedia<'_>) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        let storage_key = format!("{}/{id}", media.tenant_id);
        let size_bytes = media.bytes.len() as i64;
        // The file first, then its index row: an indexed file always exists.
        self.files
            .put(&Path::from(storage_key.as_str()), media.bytes.into())
            .await
            .map_err(storage_error)?;
        let record = MediaRecord {
            tenant_id: media.tenant_id,
            id,
            customer: media.customer.to_owned(),
            message_id: media.message_id.to_owned(),
            mimetype: file_metadata::clean_mimetype(media.mimetype),
            filename: media.filename.and_then(file_metadata::clean_filename),
            size_bytes,
            storage_key: storage_key.clone(),
            created_at: Utc::now(),
        };
        let kept = self.store.record_media(&record).await?;
        if kept != id {
            // The message was kept before (a replay): keep one copy.
            let _ = self.files.delete(&Path::from(storage_key.as_str())).await;
        }
        Ok(kept)
    }
}
