//! Billing reads and the operator's management of tenants and instances,
//! written once in SQL both backends accept and expanded for each store by
//! [`billing_and_operator_stores!`] (same store contract as
//! [`portable_stores!`](super::portable::portable_stores)).

/// Implements [`BillingStore`](super::BillingStore) and
/// [`OperatorStore`](super::OperatorStore) for `$store`.
macro_rules! billing_and_operator_stores {
    ($store:ty) => {
        #[async_trait]
        impl BillingStore for $store {
            async fn usage_days(
                &self,
                tenant_id: Uuid,
                from: NaiveDate,
                to: NaiveDate,
            ) -> Result<Vec<UsageDay>, StoreError> {
                let mut tx = self.read_tx(tenant_id).await?;
                let rows = sqlx::query(
                    "SELECT day, message_count, cost_micros FROM usage_logs
                     WHERE tenant_id = $1 AND day >= $2 AND day < $3 ORDER BY day",
                )
                .bind(tenant_id)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                rows.iter()
                    .map(|row| {
                        Ok(UsageDay {
                            day: row.try_get("day").map_err(backend)?,
                            message_count: row.try_get("message_count").map_err(backend)?,
                            cost: dollars(row.try_get("cost_micros").map_err(backend)?),
                        })
                    })
                    .collect()
            }

            async fn list_events(
                &self,
                tenant_id: Uuid,
                before_id: Option<i64>,
                limit: i64,
            ) -> Result<Vec<TenantEvent>, StoreError> {
                let mut tx = self.read_tx(tenant_id).await?;
                let rows = sqlx::query(
                    "SELECT id, kind, data, created_at FROM tenant_events
                     WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                )
                .bind(tenant_id)
                .bind(before_id.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                rows.iter()
                    .map(|row| {
                        Ok(TenantEvent {
                            id: row.try_get("id").map_err(backend)?,
                            kind: row.try_get("kind").map_err(backend)?,
                            data: row
                                .try_get::<Json<serde_json::Value>, _>("data")
                                .map_err(backend)?
                                .0,
                            created_at: row.try_get("created_at").map_err(backend)?,
                        })
                    })
                    .collect()
            }

            async fn platform_usage(
                &self,
                from: NaiveDate,
                to: NaiveDate,
            ) -> Result<Vec<TenantUsage>, StoreError> {
                let rows = sqlx::query(
                    "SELECT t.id, t.business_name, t.subscription_tier,
                            CAST(COALESCE(SUM(u.message_count), 0) AS BIGINT) AS messages,
                            CAST(COALESCE(SUM(u.cost_micros), 0) AS BIGINT) AS cost_micros
                     FROM tenants t
                     LEFT JOIN usage_logs u ON u.tenant_id = t.id AND u.day >= $1 AND u.day < $2
                     GROUP BY t.id, t.business_name, t.subscription_tier
                     ORDER BY messages DESC, t.id",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter()
                    .map(|row| {
                        Ok(TenantUsage {
                            tenant_id: row.try_get("id").map_err(backend)?,
                            business_name: row.try_get("business_name").map_err(backend)?,
                            subscription_tier: row.try_get("subscription_tier").map_err(backend)?,
                            messages: row.try_get("messages").map_err(backend)?,
                            overage_cost: dollars(row.try_get("cost_micros").map_err(backend)?),
                        })
                    })
                    .collect()
            }
        }

        #[async_trait]
        impl OperatorStore for $store {
            async fn list_tenants(&self, filter: &TenantFilter) -> Result<Vec<Tenant>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    tenant_columns!(),
                    " FROM tenants
                     WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR subscription_tier = $2)
                       AND ($3 IS NULL OR id > $3)
                     ORDER BY id LIMIT $4"
                ))
                .bind(filter.status.as_deref())
                .bind(filter.tier.as_deref())
                .bind(filter.after)
                .bind(filter.limit)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter().map(tenant_from).collect()
            }

            async fn change_tenant_plan(
                &self,
                tenant_id: Uuid,
                change: &TenantPlanChange,
            ) -> Result<(Tenant, Tenant), StoreError> {
                let mut tx = self.platform_tx().await?;
                let select = concat!("SELECT ", tenant_columns!(), " FROM tenants WHERE id = $1");
                let before = sqlx::query(select)
                    .bind(tenant_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| store_error(e, "tenant"))
                    .and_then(|row| tenant_from(&row))?;
                sqlx::query(
                    "UPDATE tenants SET status = COALESCE($2, status),
                            subscription_tier = COALESCE($3, subscription_tier),
                            overage_allowed = COALESCE($4, overage_allowed)
                     WHERE id = $1",
                )
                .bind(tenant_id)
                .bind(change.status.as_deref())
                .bind(change.tier.as_deref())
                .bind(change.overage_allowed)
                .execute(&mut *tx)
                .await
                .map_err(|e| store_error(e, "tenant"))?;
                let after = sqlx::query(select)
                    .bind(tenant_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)
                    .and_then(|row| tenant_from(&row))?;
                tx.commit().await.map_err(backend)?;
                Ok((before, after))
            }

            async fn delete_tenant(&self, tenant_id: Uuid) -> Result<Tenant, StoreError> {
                let mut tx = self.platform_tx().await?;
                let row = sqlx::query(concat!(
                    "DELETE FROM tenants WHERE id = $1 RETURNING ",
                    tenant_columns!()
                ))
                .bind(tenant_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "tenant"))?;
                let deleted = tenant_from(&row)?;
                tx.commit().await.map_err(backend)?;
                Ok(deleted)
            }

            async fn change_waha_instance(
                &self,
                instance_id: Uuid,
                change: &InstanceChange,
            ) -> Result<WahaInstance, StoreError> {
                let mut tx = self.platform_tx().await?;
                let row = sqlx::query(concat!(
                    "UPDATE waha_instances SET capacity = COALESCE($2, capacity),
                            draining = COALESCE($3, draining)
                     WHERE id = $1 RETURNING ",
                    instance_columns!()
                ))
                .bind(instance_id)
                .bind(change.capacity)
                .bind(change.draining)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "WAHA instance"))?;
                let instance = instance_from(&self.secrets, &row)?;
                tx.commit().await.map_err(backend)?;
                Ok(instance)
            }

            async fn sessions_per_instance(&self) -> Result<HashMap<Uuid, i64>, StoreError> {
                let rows = sqlx::query(
                    "SELECT waha_instance_id, COUNT(*) AS sessions FROM tenants
                     WHERE waha_instance_id IS NOT NULL GROUP BY waha_instance_id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter()
                    .map(|row| {
                        Ok((
                            row.try_get("waha_instance_id").map_err(backend)?,
                            row.try_get("sessions").map_err(backend)?,
                        ))
                    })
                    .collect()
            }

            async fn reseal_secrets(&self) -> Result<u64, StoreError> {
                let mut tx = self.platform_tx().await?;
                let mut resealed = 0;
                for (table, column, purpose) in [
                    ("tenants", "webhook_secret", Purpose::WebhookSecret),
                    ("waha_instances", "api_key", Purpose::WahaApiKey),
                ] {
                    let select = format!("SELECT id, {column} AS secret FROM {table}");
                    let rows = sqlx::query(sqlx::AssertSqlSafe(select))
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(backend)?;
                    let update = format!("UPDATE {table} SET {column} = $2 WHERE id = $1");
                    for row in rows {
                        let stored: String = row.try_get("secret").map_err(backend)?;
                        if !self.secrets.needs_sealing(&stored) {
                            continue;
                        }
                        let clear = self.secrets.open(&stored, purpose)?;
                        let id: Uuid = row.try_get("id").map_err(backend)?;
                        sqlx::query(sqlx::AssertSqlSafe(update.as_str()))
                            .bind(id)
                            .bind(self.secrets.seal(&clear, purpose))
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                        resealed += 1;
                    }
                }
                tx.commit().await.map_err(backend)?;
                Ok(resealed)
            }

            async fn erase_handled_texts(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
                // The partial index inbox_text_kept holds exactly the rows
                // that still have something to erase.
                let erased = sqlx::query(
                    "UPDATE inbox SET body = '', media = NULL
                     WHERE processed_at IS NOT NULL AND processed_at < $1
                       AND (body <> '' OR media IS NOT NULL)",
                )
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
                Ok(erased.rows_affected())
            }

            async fn backlog(&self) -> Result<Backlog, StoreError> {
                // Both reads use the partial indexes of unhandled rows.
                let inbox_depth: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL",
                )
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
                let inbox_oldest: Option<DateTime<Utc>> = sqlx::query_scalar(
                    "SELECT received_at FROM inbox WHERE processed_at IS NULL ORDER BY id LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                let outbox_depth: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
                )
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
                let outbox_oldest: Option<DateTime<Utc>> = sqlx::query_scalar(
                    "SELECT created_at FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL
                     ORDER BY id LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                Ok(Backlog {
                    inbox_depth,
                    inbox_oldest,
                    outbox_depth,
                    outbox_oldest,
                })
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(backend)
            }

            fn pool_stats(&self) -> PoolStats {
                let size = self.pool.size();
                PoolStats {
                    in_use: size.saturating_sub(self.pool.num_idle() as u32),
                    idle: self.pool.num_idle() as u32,
                    max: self.pool.options().get_max_connections(),
                }
            }
        }
    };
}

pub(crate) use billing_and_operator_stores;
