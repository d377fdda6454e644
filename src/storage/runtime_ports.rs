//! The actor ports that both backends implement with the same SQL, expanded
//! for each store by [`runtime_ports!`]: the tenant profile (with its quota
//! and this month's usage), conversation snapshots and steps (with the
//! step's usage charge), orders (taking counted stock atomically), and
//! tenant events.
//!
//! Besides what [`portable_stores!`](super::portable::portable_stores)
//! needs, a store that invokes the macro provides `read_tx(tenant_id)`: a
//! read-only transaction confined to one tenant.

/// Implements [`TenantDirectory`](wabot_actors::TenantDirectory),
/// [`ConversationStore`](wabot_actors::ConversationStore),
/// [`OrderStore`](wabot_actors::OrderStore) and
/// [`EventStore`](wabot_actors::EventStore) for `$store`.
macro_rules! runtime_ports {
    ($store:ty) => {
        #[async_trait]
        impl TenantDirectory for $store {
            async fn tenant_profile(&self, tenant_id: Uuid) -> Result<TenantProfile, StoreError> {
                let tenant = self.get_tenant(tenant_id).await?;
                let mut tx = self.read_tx(tenant_id).await?;
                let menu = menu_in(&mut tx, tenant_id).await?;
                let (month_start, _) = billing_month(Utc::now());
                let used: i64 = sqlx::query_scalar(
                    "SELECT CAST(COALESCE(SUM(message_count), 0) AS BIGINT) FROM usage_logs
                     WHERE tenant_id = $1 AND day >= $2",
                )
                .bind(tenant_id)
                .bind(month_start.date_naive())
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                let flow = flow_in(&mut tx, tenant_id).await?.map(Arc::new);
                tx.commit().await.map_err(backend)?;
                let tier = Tier::parse(&tenant.subscription_tier)
                    .ok_or_else(|| backend(format!("unknown tier {}", tenant.subscription_tier)))?;
                Ok(TenantProfile {
                    tenant_id,
                    plugin: tenant.plugin_type,
                    session_name: tenant.session_name,
                    context: TenantContext {
                        business_name: tenant.business_name,
                        settings: tenant.settings,
                        menu: Menu::new(menu),
                        flow,
                    },
                    tier: tier.as_str().to_owned(),
                    quota: tier.quota(tenant.overage_allowed),
                    used_this_month: used.max(0) as u64,
                    suspended: tenant.status == "suspended",
                })
            }
        }

        #[async_trait]
        impl ConversationStore for $store {
            async fn load_conversation(
                &self,
                tenant_id: Uuid,
                customer: &str,
            ) -> Result<Option<ConversationState>, StoreError> {
                let mut tx = self.read_tx(tenant_id).await?;
                let state: Option<Json<ConversationState>> = sqlx::query_scalar(
                    "SELECT state FROM conversations WHERE tenant_id = $1 AND customer_phone = $2",
                )
                .bind(tenant_id)
                .bind(customer)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                Ok(state.map(|json| json.0))
            }

            async fn record_step(&self, step: Step<'_>) -> Result<Vec<OutboxMessage>, StoreError> {
                let now = Utc::now();
                let mut tx = self.tenant_tx(step.tenant_id).await?;
                if let Some(state) = step.state {
                    sqlx::query(
                        "INSERT INTO conversations (tenant_id, customer_phone, bucket, state, updated_at)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (tenant_id, customer_phone)
                         DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                    )
                    .bind(step.tenant_id)
                    .bind(step.customer)
                    .bind(bucket_of(step.tenant_id, step.customer))
                    .bind(Json(state))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                let mut newly_processed = false;
                if let Some(inbox_id) = step.processed_inbox_id {
                    newly_processed = sqlx::query(
                        "UPDATE inbox SET processed_at = $3
                         WHERE id = $1 AND tenant_id = $2 AND processed_at IS NULL",
                    )
                    .bind(inbox_id)
                    .bind(step.tenant_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected()
                        > 0;
                }
                let mut stored = Vec::new();
                if !step.outbox.is_empty() {
                    let mut insert = QueryBuilder::new(
                        "INSERT INTO outbox (tenant_id, session, chat_id, content, idempotency_key, wa_message_id, bucket, created_at) ",
                    );
                    insert.push_values(step.outbox, |mut row, message| {
                        row.push_bind(step.tenant_id)
                            .push_bind(step.session.to_owned())
                            .push_bind(step.customer.to_owned())
                            .push_bind(Json(message.content.clone()))
                            .push_bind(message.idempotency_key.clone())
                            .push_bind(message.wa_message_id.clone())
                            .push_bind(bucket_of(step.tenant_id, step.customer))
                            .push_bind(now);
                    });
                    insert.push(
                        " ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
                         RETURNING id, tenant_id, session, chat_id, content, wa_message_id",
                    );
                    let rows = insert.build().fetch_all(&mut *tx).await.map_err(backend)?;
                    stored = rows
                        .iter()
                        .map(outbox_message_from)
                        .collect::<Result<_, _>>()?;
                    stored.sort_by_key(|m: &OutboxMessage| m.id);
                }
                let new_step = match step.processed_inbox_id {
                    Some(_) => newly_processed,
                    None => !stored.is_empty(),
                };
                if let Some(charge) = step.charge.filter(|_| new_step) {
                    sqlx::query(
                        "INSERT INTO usage_logs (tenant_id, day, message_count, cost_micros)
                         VALUES ($1, $2, 1, $3)
                         ON CONFLICT (tenant_id, day) DO UPDATE
                         SET message_count = usage_logs.message_count + 1,
                             cost_micros = usage_logs.cost_micros + excluded.cost_micros",
                    )
                    .bind(step.tenant_id)
                    .bind(charge.day)
                    .bind(charge.cost_micros)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)?;
                Ok(stored)
            }
        }

        #[async_trait]
        impl OrderStore for $store {
            async fn place_order(
                &self,
                tenant_id: Uuid,
                customer: &str,
                draft: &OrderDraft,
                checkout_key: &str,
            ) -> Result<PlacedOrder, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let existing = sqlx::query(
                    "SELECT id, order_number FROM orders WHERE tenant_id = $1 AND checkout_key = $2",
                )
                .bind(tenant_id)
                .bind(checkout_key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                if let Some(row) = existing {
                    return Ok(PlacedOrder {
                        order_id: row.try_get("id").map_err(backend)?,
                        order_number: row.try_get("order_number").map_err(backend)?,
                    });
                }
                // Counted stock is taken in this transaction, only where
                // enough is left; any line short of it rolls everything back.
                let mut sold_out = Vec::new();
                for line in &draft.lines {
                    let taken = sqlx::query(
                        "UPDATE menu_items SET stock = stock - $3
                         WHERE tenant_id = $1 AND item_id = $2 AND stock IS NOT NULL AND stock >= $3",
                    )
                    .bind(tenant_id)
                    .bind(&line.item_id)
                    .bind(i64::from(line.quantity))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                    if taken == 0 {
                        let counted: Option<Option<i64>> = sqlx::query_scalar(
                            "SELECT stock FROM menu_items WHERE tenant_id = $1 AND item_id = $2",
                        )
                        .bind(tenant_id)
                        .bind(&line.item_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                        if matches!(counted, Some(Some(_))) {
                            sold_out.push(line.item_id.clone());
                        }
                    }
                }
                if !sold_out.is_empty() {
                    return Err(StoreError::OutOfStock(sold_out));
                }
                let order_number: i64 = sqlx::query_scalar(
                    "UPDATE tenants SET next_order_number = next_order_number + 1
                     WHERE id = $1 RETURNING next_order_number - 1",
                )
                .bind(tenant_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "tenant"))?;
                let order_id = Uuid::now_v7();
                let now = Utc::now();
                let prescription = match &draft.prescription {
                    Some(media_id) => Some(Uuid::parse_str(media_id).map_err(|_| {
                        StoreError::Backend(format!("prescription '{media_id}' is not a media id"))
                    })?),
                    None => None,
                };
                sqlx::query(
                    "INSERT INTO orders (id, tenant_id, order_number, customer_phone, items, total,
                                         delivery_address, status, created_at, updated_at, checkout_key,
                                         prescription_media_id, prescription_review)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $9, $10, $11)",
                )
                .bind(order_id)
                .bind(tenant_id)
                .bind(order_number)
                .bind(customer)
                .bind(Json(&draft.lines))
                .bind(<$store>::money_param(draft.total.round_dp(2)))
                .bind(&draft.delivery_address)
                .bind(now)
                .bind(checkout_key)
                .bind(prescription)
                .bind(prescription.map(|_| Review::AWAITING))
                .execute(&mut *tx)
                .await
                .map_err(|e| store_error(e, "order"))?;
                if prescription.is_some() {
                    // The pharmacists' cue, on the tenant's event feed.
                    sqlx::query(
                        "INSERT INTO tenant_events (tenant_id, kind, dedupe_key, data, created_at)
                         VALUES ($1, 'prescription.submitted', $2, $3, $4)
                         ON CONFLICT (tenant_id, dedupe_key) DO NOTHING",
                    )
                    .bind(tenant_id)
                    .bind(format!("prescription:{order_id}"))
                    .bind(Json(serde_json::json!({
                        "order_id": order_id,
                        "order_number": order_number,
                        "customer": customer,
                    })))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)?;
                Ok(PlacedOrder {
                    order_id,
                    order_number,
                })
            }
        }

        #[async_trait]
        impl EventStore for $store {
            async fn record_event(&self, event: &NewTenantEvent) -> Result<(), StoreError> {
                let mut tx = self.tenant_tx(event.tenant_id).await?;
                sqlx::query(
                    "INSERT INTO tenant_events (tenant_id, kind, dedupe_key, data, created_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (tenant_id, dedupe_key) DO NOTHING",
                )
                .bind(event.tenant_id)
                .bind(event.kind)
                .bind(&event.dedupe_key)
                .bind(Json(&event.data))
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }
        }
    };
}

pub(crate) use runtime_ports;
