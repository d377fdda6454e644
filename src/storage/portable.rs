//! Storage operations whose SQL both backends accept, written once and
//! expanded for each store by [`portable_stores!`]: `$1`-style parameters
//! (SQLite takes them too), timestamps bound from Rust, ids as UUIDs.
//!
//! A store that invokes the macro provides, as inherent items:
//! - a `pool` field;
//! - `platform_tx()`: a write transaction outside any tenant (credential
//!   lookups, signup, placement);
//! - `tenant_tx(tenant_id)`: a write transaction confined to one tenant
//!   (row-level security on PostgreSQL);
//! - `money_param(Decimal)` and `money_of(&row, column)`: how the backend
//!   stores money.

/// Implements [`AccountStore`](super::AccountStore),
/// [`AuditStore`](super::AuditStore), [`CatalogStore`](super::CatalogStore)
/// and [`FleetStore`](super::FleetStore) for `$store`, whose rows are `$row`.
macro_rules! portable_stores {
    ($store:ty, $row:ty) => {
        fn catalog_item_from(row: &$row) -> Result<MenuItem, StoreError> {
            Ok(MenuItem {
                item_id: row.try_get("item_id").map_err(backend)?,
                name: row.try_get("name").map_err(backend)?,
                description: row.try_get("description").map_err(backend)?,
                price: <$store>::money_of(row, "price")?,
                category: row.try_get("category").map_err(backend)?,
                available: row.try_get("available").map_err(backend)?,
                image_url: row.try_get("image_url").map_err(backend)?,
                variant: row.try_get("variant").map_err(backend)?,
                stock: row
                    .try_get::<Option<i64>, _>("stock")
                    .map_err(backend)?
                    .map(|units| u32::try_from(units).unwrap_or(0)),
                prescription_required: row.try_get("prescription_required").map_err(backend)?,
            })
        }

        fn media_from(row: &$row) -> Result<MediaRecord, StoreError> {
            Ok(MediaRecord {
                tenant_id: row.try_get("tenant_id").map_err(backend)?,
                id: row.try_get("id").map_err(backend)?,
                customer: row.try_get("customer_phone").map_err(backend)?,
                message_id: row.try_get("message_id").map_err(backend)?,
                mimetype: row.try_get("mimetype").map_err(backend)?,
                filename: row.try_get("filename").map_err(backend)?,
                size_bytes: row.try_get("size_bytes").map_err(backend)?,
                storage_key: row.try_get("storage_key").map_err(backend)?,
                created_at: row.try_get("created_at").map_err(backend)?,
            })
        }

        fn user_from(row: &$row) -> Result<User, StoreError> {
            let role: String = row.try_get("role").map_err(backend)?;
            Ok(User {
                id: row.try_get("id").map_err(backend)?,
                tenant_id: row.try_get("tenant_id").map_err(backend)?,
                email: row.try_get("email").map_err(backend)?,
                role: Role::parse(&role).ok_or_else(|| backend(format!("unknown role {role}")))?,
            })
        }

        fn api_key_from(row: &$row) -> Result<ApiKey, StoreError> {
            let role: String = row.try_get("role").map_err(backend)?;
            Ok(ApiKey {
                id: row.try_get("id").map_err(backend)?,
                name: row.try_get("name").map_err(backend)?,
                prefix: row.try_get("prefix").map_err(backend)?,
                role: Role::parse(&role).ok_or_else(|| backend(format!("unknown role {role}")))?,
                created_at: row.try_get("created_at").map_err(backend)?,
                revoked_at: row.try_get("revoked_at").map_err(backend)?,
            })
        }

        async fn insert_api_key(
            tx: &mut sqlx::Transaction<'static, <$row as Row>::Database>,
            tenant_id: Uuid,
            key: &NewApiKey,
        ) -> Result<ApiKey, StoreError> {
            let row = sqlx::query(
                "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, role, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 RETURNING id, name, prefix, role, created_at, revoked_at",
            )
            .bind(Uuid::now_v7())
            .bind(tenant_id)
            .bind(&key.name)
            .bind(&key.prefix)
            .bind(&key.key_hash)
            .bind(key.role.as_str())
            .bind(Utc::now())
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| store_error(e, "API key"))?;
            api_key_from(&row)
        }

        /// The tenant's flow, read inside `tx`.
        async fn flow_in(
            tx: &mut sqlx::Transaction<'static, <$row as Row>::Database>,
            tenant_id: Uuid,
        ) -> Result<Option<Flow>, StoreError> {
            let stored: Option<Json<Flow>> =
                sqlx::query_scalar("SELECT definition FROM flows WHERE tenant_id = $1")
                    .bind(tenant_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(backend)?;
            Ok(stored.map(|json| json.0))
        }

        async fn insert_user(
            tx: &mut sqlx::Transaction<'static, <$row as Row>::Database>,
            tenant_id: Uuid,
            email: &str,
            password_hash: &str,
            role: Role,
        ) -> Result<User, StoreError> {
            let row = sqlx::query(
                "INSERT INTO users (id, tenant_id, email, password_hash, role, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 RETURNING id, tenant_id, email, role",
            )
            .bind(Uuid::now_v7())
            .bind(tenant_id)
            .bind(email)
            .bind(password_hash)
            .bind(role.as_str())
            .bind(Utc::now())
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| store_error(e, "user"))?;
            user_from(&row)
        }

        #[async_trait]
        impl AccountStore for $store {
            async fn sign_up(&self, new: &NewSignup) -> Result<(Tenant, User), StoreError> {
                let mut tx = self.platform_tx().await?;
                let tenant_id = Uuid::now_v7();
                let row = sqlx::query(concat!(
                    "INSERT INTO tenants (id, business_name, phone_number, whatsapp_session_id,
                         webhook_secret, plugin_type, status, settings, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'trial', $7, $8) RETURNING ",
                    tenant_columns!()
                ))
                .bind(tenant_id)
                .bind(&new.tenant.business_name)
                .bind(&new.tenant.phone_number)
                .bind(&new.tenant.session_name)
                .bind(self.secrets.seal(&new.tenant.webhook_secret, Purpose::WebhookSecret))
                .bind(new.tenant.plugin.as_str())
                .bind(Json(&new.tenant.settings))
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "tenant"))?;
                let tenant = tenant_from(&row)?;
                let user =
                    insert_user(&mut tx, tenant_id, &new.email, &new.password_hash, Role::Owner)
                        .await?;
                insert_api_key(&mut tx, tenant_id, &new.api_key).await?;
                // Audited in the same transaction: the owner's only copy of
                // the key is in this answer, so nothing may fail after commit.
                let audit = serde_json::json!({
                    "email": user.email, "business_name": tenant.business_name,
                });
                sqlx::query(
                    "INSERT INTO audit_log (tenant_id, actor, action, target, after, created_at)
                     VALUES ($1, $2, 'tenant.sign_up', $3, $4, $5)",
                )
                .bind(tenant_id)
                .bind(format!("user:{}", user.email))
                .bind(tenant_id.to_string())
                .bind(Json(audit))
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                Ok((tenant, user))
            }

            async fn credentials(&self, email: &str) -> Result<Option<UserCredentials>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, tenant_id, email, role, password_hash FROM users WHERE email = $1",
                )
                .bind(email)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                row.map(|row| {
                    Ok(UserCredentials {
                        user: user_from(&row)?,
                        password_hash: row.try_get("password_hash").map_err(backend)?,
                    })
                })
                .transpose()
            }

            async fn create_login_token(
                &self,
                user: &User,
                token_hash: &str,
                expires_at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let mut tx = self.platform_tx().await?;
                sqlx::query(
                    "INSERT INTO login_tokens (token_hash, user_id, tenant_id, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(user.id)
                .bind(user.tenant_id)
                .bind(Utc::now())
                .bind(expires_at)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                // Expired tokens of anyone are dropped on the way.
                sqlx::query("DELETE FROM login_tokens WHERE expires_at <= $1")
                    .bind(Utc::now())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }

            async fn delete_login_token(&self, token_hash: &str) -> Result<bool, StoreError> {
                let mut tx = self.platform_tx().await?;
                let deleted = sqlx::query("DELETE FROM login_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                tx.commit().await.map_err(backend)?;
                Ok(deleted > 0)
            }

            async fn authenticate(&self, token_hash: &str) -> Result<Option<Principal>, StoreError> {
                let key = sqlx::query(
                    "SELECT id, tenant_id, role, prefix FROM api_keys
                     WHERE key_hash = $1 AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                let (row, actor, credential) = match key {
                    Some(row) => {
                        let prefix: String = row.try_get("prefix").map_err(backend)?;
                        let id: Uuid = row.try_get("id").map_err(backend)?;
                        (row, format!("api_key:{prefix}"), format!("api_key:{id}"))
                    }
                    None => {
                        let login = sqlx::query(
                            "SELECT t.tenant_id, u.id, u.role, u.email FROM login_tokens t
                             JOIN users u ON u.id = t.user_id
                             WHERE t.token_hash = $1 AND t.expires_at > $2",
                        )
                        .bind(token_hash)
                        .bind(Utc::now())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                        let Some(row) = login else { return Ok(None) };
                        let email: String = row.try_get("email").map_err(backend)?;
                        let id: Uuid = row.try_get("id").map_err(backend)?;
                        (row, format!("user:{email}"), format!("user:{id}"))
                    }
                };
                let role: String = row.try_get("role").map_err(backend)?;
                Ok(Some(Principal {
                    tenant_id: row.try_get("tenant_id").map_err(backend)?,
                    role: Role::parse(&role).ok_or_else(|| backend(format!("unknown role {role}")))?,
                    actor,
                    credential,
                }))
            }

            async fn create_api_key(
                &self,
                tenant_id: Uuid,
                key: &NewApiKey,
            ) -> Result<ApiKey, StoreError> {
                let mut tx = self.platform_tx().await?;
                let key = insert_api_key(&mut tx, tenant_id, key).await?;
                tx.commit().await.map_err(backend)?;
                Ok(key)
            }

            async fn list_api_keys(&self, tenant_id: Uuid) -> Result<Vec<ApiKey>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, name, prefix, role, created_at, revoked_at FROM api_keys
                     WHERE tenant_id = $1 ORDER BY created_at, id",
                )
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter().map(api_key_from).collect()
            }

            async fn create_user(
                &self,
                tenant_id: Uuid,
                email: &str,
                password_hash: &str,
                role: Role,
            ) -> Result<User, StoreError> {
                let mut tx = self.platform_tx().await?;
                let user = insert_user(&mut tx, tenant_id, email, password_hash, role).await?;
                tx.commit().await.map_err(backend)?;
                Ok(user)
            }

            async fn list_users(&self, tenant_id: Uuid) -> Result<Vec<User>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, tenant_id, email, role FROM users
                     WHERE tenant_id = $1 ORDER BY created_at, id",
                )
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter().map(user_from).collect()
            }

            async fn delete_user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<User, StoreError> {
                let mut tx = self.platform_tx().await?;
                let row = sqlx::query(
                    "DELETE FROM users WHERE tenant_id = $1 AND id = $2
                     RETURNING id, tenant_id, email, role",
                )
                .bind(tenant_id)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "user"))?;
                let owners: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'owner'",
                )
                .bind(tenant_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                if owners == 0 {
                    return Err(StoreError::Conflict(
                        "a tenant keeps at least one owner".to_owned(),
                    ));
                }
                tx.commit().await.map_err(backend)?;
                user_from(&row)
            }

            async fn revoke_api_key(&self, tenant_id: Uuid, key_id: Uuid) -> Result<ApiKey, StoreError> {
                let mut tx = self.platform_tx().await?;
                let row = sqlx::query(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3)
                     WHERE tenant_id = $1 AND id = $2
                     RETURNING id, name, prefix, role, created_at, revoked_at",
                )
                .bind(tenant_id)
                .bind(key_id)
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "API key"))?;
                tx.commit().await.map_err(backend)?;
                api_key_from(&row)
            }
        }

        #[async_trait]
        impl AuditStore for $store {
            async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
                let mut tx = self.tenant_tx(entry.tenant_id).await?;
                sqlx::query(
                    "INSERT INTO audit_log (tenant_id, actor, action, target, before, after, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(entry.tenant_id)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.target)
                .bind(entry.before.as_ref().map(Json))
                .bind(entry.after.as_ref().map(Json))
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }

            async fn list_audit(
                &self,
                tenant_id: Uuid,
                before_id: Option<i64>,
                limit: i64,
            ) -> Result<Vec<AuditRecord>, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let rows = sqlx::query(
                    "SELECT id, actor, action, target, before, after, created_at FROM audit_log
                     WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                )
                .bind(tenant_id)
                .bind(before_id.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
                rows.iter()
                    .map(|row| {
                        Ok(AuditRecord {
                            id: row.try_get("id").map_err(backend)?,
                            actor: row.try_get("actor").map_err(backend)?,
                            action: row.try_get("action").map_err(backend)?,
                            target: row.try_get("target").map_err(backend)?,
                            before: row
                                .try_get::<Option<Json<serde_json::Value>>, _>("before")
                                .map_err(backend)?
                                .map(|j| j.0),
                            after: row
                                .try_get::<Option<Json<serde_json::Value>>, _>("after")
                                .map_err(backend)?
                                .map(|j| j.0),
                            created_at: row.try_get("created_at").map_err(backend)?,
                        })
                    })
                    .collect()
            }
        }

        impl $store {
            /// The number of the tenant's menu items, inside `tx`.
            async fn menu_size(
                tx: &mut sqlx::Transaction<'static, <$row as Row>::Database>,
                tenant_id: Uuid,
            ) -> Result<i64, StoreError> {
                sqlx::query_scalar("SELECT COUNT(*) FROM menu_items WHERE tenant_id = $1")
                    .bind(tenant_id)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(backend)
            }

            /// Inserts `item` at the end of the menu, or replaces the item
            /// with the same `item_id` in place.
            async fn upsert_item(
                tx: &mut sqlx::Transaction<'static, <$row as Row>::Database>,
                tenant_id: Uuid,
                item: &MenuItem,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO menu_items (id, tenant_id, item_id, name, description, price,
                         category, available, image_url, stock, variant, prescription_required, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                         (SELECT COALESCE(MAX(position), 0) + 1 FROM menu_items WHERE tenant_id = $2))
                     ON CONFLICT (tenant_id, item_id) DO UPDATE SET
                         name = excluded.name, description = excluded.description,
                         price = excluded.price, category = excluded.category,
                         available = excluded.available, image_url = excluded.image_url,
                         stock = excluded.stock, variant = excluded.variant,
                         prescription_required = excluded.prescription_required",
                )
                .bind(Uuid::now_v7())
                .bind(tenant_id)
                .bind(&item.item_id)
                .bind(&item.name)
                .bind(&item.description)
                .bind(<$store>::money_param(item.price))
                .bind(&item.category)
                .bind(item.available)
                .bind(&item.image_url)
                .bind(item.stock.map(i64::from))
                .bind(&item.variant)
                .bind(item.prescription_required)
                .execute(&mut **tx)
                .await
                .map_err(|e| store_error(e, "menu item"))?;
                Ok(())
            }
        }

        /// The tenant's menu in display order, read inside `tx`.
        async fn menu_in(
            tx: &mut sqlx::Transaction<'static, <$row as Row>::Database>,
            tenant_id: Uuid,
        ) -> Result<Vec<MenuItem>, StoreError> {
            sqlx::query(concat!(
                "SELECT ",
                menu_item_columns!(),
                " FROM menu_items WHERE tenant_id = $1 ORDER BY position"
            ))
            .bind(tenant_id)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?
            .iter()
            .map(catalog_item_from)
            .collect()
        }

        #[async_trait]
        impl CatalogStore for $store {
            async fn replace_menu(&self, tenant_id: Uuid, items: &[MenuItem]) -> Result<(), StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                sqlx::query("SELECT id FROM tenants WHERE id = $1")
                    .bind(tenant_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| store_error(e, "tenant"))?;
                sqlx::query("DELETE FROM menu_items WHERE tenant_id = $1")
                    .bind(tenant_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                for item in items {
                    Self::upsert_item(&mut tx, tenant_id, item).await?;
                }
                tx.commit().await.map_err(backend)
            }

            async fn list_menu(&self, tenant_id: Uuid) -> Result<Vec<MenuItem>, StoreError> {
                let mut tx = self.read_tx(tenant_id).await?;
                let menu = menu_in(&mut tx, tenant_id).await?;
                tx.commit().await.map_err(backend)?;
                Ok(menu)
            }

            async fn get_menu_item(
                &self,
                tenant_id: Uuid,
                item_id: &str,
            ) -> Result<MenuItem, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let row = sqlx::query(concat!(
                    "SELECT ",
                    menu_item_columns!(),
                    " FROM menu_items WHERE tenant_id = $1 AND item_id = $2"
                ))
                .bind(tenant_id)
                .bind(item_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "menu item"))?;
                catalog_item_from(&row)
            }

            async fn save_menu_items(
                &self,
                tenant_id: Uuid,
                items: &[MenuItem],
                max_items: Option<i64>,
            ) -> Result<(), StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                for item in items {
                    Self::upsert_item(&mut tx, tenant_id, item).await?;
                }
                if let Some(max) = max_items {
                    let size = Self::menu_size(&mut tx, tenant_id).await?;
                    if size > max {
                        // Dropping `tx` rolls every row back.
                        return Err(StoreError::Limit(format!(
                            "the menu would have {size} items; this tier allows {max}"
                        )));
                    }
                }
                tx.commit().await.map_err(backend)
            }

            async fn delete_menu_item(&self, tenant_id: Uuid, item_id: &str) -> Result<(), StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let deleted = sqlx::query("DELETE FROM menu_items WHERE tenant_id = $1 AND item_id = $2")
                    .bind(tenant_id)
                    .bind(item_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                if deleted == 0 {
                    return Err(StoreError::NotFound("menu item"));
                }
                tx.commit().await.map_err(backend)
            }

            async fn get_flow(&self, tenant_id: Uuid) -> Result<Option<Flow>, StoreError> {
                let mut tx = self.read_tx(tenant_id).await?;
                let flow = flow_in(&mut tx, tenant_id).await?;
                tx.commit().await.map_err(backend)?;
                Ok(flow)
            }

            async fn save_flow(&self, tenant_id: Uuid, flow: &Flow) -> Result<(), StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                sqlx::query(
                    "INSERT INTO flows (tenant_id, definition, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (tenant_id) DO UPDATE
                     SET definition = excluded.definition, updated_at = excluded.updated_at",
                )
                .bind(tenant_id)
                .bind(Json(flow))
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                sqlx::query("UPDATE tenants SET plugin_type = 'flow' WHERE id = $1")
                    .bind(tenant_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }

            async fn replace_settings(
                &self,
                tenant_id: Uuid,
                settings: &BotSettings,
            ) -> Result<BotSettings, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let Json(before): Json<BotSettings> =
                    sqlx::query_scalar("SELECT settings FROM tenants WHERE id = $1")
                        .bind(tenant_id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| store_error(e, "tenant"))?;
                sqlx::query("UPDATE tenants SET settings = $2 WHERE id = $1")
                    .bind(tenant_id)
                    .bind(Json(settings))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                Ok(before)
            }

            async fn change_order(
                &self,
                tenant_id: Uuid,
                order_id: Uuid,
                change: &OrderChange,
            ) -> Result<Order, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let current = sqlx::query(
                    "SELECT status, prescription_review FROM orders WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant_id)
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "order"))?;
                let status: String = current.try_get("status").map_err(backend)?;
                let review: Option<String> =
                    current.try_get("prescription_review").map_err(backend)?;
                let (next, next_review) = checked_change(&status, review.as_deref(), change)?;
                // Conditional on the state just read: a concurrent change
                // makes it miss rather than skip a step.
                let row = sqlx::query(concat!(
                    "UPDATE orders SET status = $3, updated_at = $4,
                         prescription_review = COALESCE($5, prescription_review),
                         review_note = COALESCE($6, review_note)
                     WHERE tenant_id = $1 AND id = $2 AND status = $7
                       AND prescription_review IS NOT DISTINCT FROM $8
                     RETURNING ", order_columns!()
                ))
                .bind(tenant_id)
                .bind(order_id)
                .bind(next.as_str())
                .bind(Utc::now())
                .bind(next_review)
                .bind(change.note.as_deref())
                .bind(&status)
                .bind(review.as_deref())
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| {
                    StoreError::Conflict("the order changed meanwhile; try again".to_owned())
                })?;
                let order = order_from(&row, <$store>::money_of(&row, "total")?)?;
                if next == OrderStatus::Cancelled {
                    // A cancelled order gives its counted stock back.
                    for line in &order.items {
                        sqlx::query(
                            "UPDATE menu_items SET stock = stock + $3
                             WHERE tenant_id = $1 AND item_id = $2 AND stock IS NOT NULL",
                        )
                        .bind(tenant_id)
                        .bind(&line.item_id)
                        .bind(i64::from(line.quantity))
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    }
                }
                tx.commit().await.map_err(backend)?;
                Ok(order)
            }

            async fn record_media(&self, media: &MediaRecord) -> Result<Uuid, StoreError> {
                let mut tx = self.tenant_tx(media.tenant_id).await?;
                sqlx::query(
                    "INSERT INTO media (tenant_id, id, customer_phone, message_id, mimetype,
                         filename, size_bytes, storage_key, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (tenant_id, message_id) DO NOTHING",
                )
                .bind(media.tenant_id)
                .bind(media.id)
                .bind(&media.customer)
                .bind(&media.message_id)
                .bind(&media.mimetype)
                .bind(&media.filename)
                .bind(media.size_bytes)
                .bind(&media.storage_key)
                .bind(media.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| store_error(e, "media"))?;
                let id: Uuid = sqlx::query_scalar(
                    "SELECT id FROM media WHERE tenant_id = $1 AND message_id = $2",
                )
                .bind(media.tenant_id)
                .bind(&media.message_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                Ok(id)
            }

            async fn get_media(
                &self,
                tenant_id: Uuid,
                media_id: Uuid,
            ) -> Result<MediaRecord, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let row = sqlx::query(
                    "SELECT tenant_id, id, customer_phone, message_id, mimetype, filename,
                            size_bytes, storage_key, created_at
                     FROM media WHERE tenant_id = $1 AND id = $2",
                )
                    .bind(tenant_id)
                    .bind(media_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| store_error(e, "media"))?;
                media_from(&row)
            }

            async fn media_keys(&self, tenant_id: Uuid) -> Result<Vec<String>, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                sqlx::query_scalar("SELECT storage_key FROM media WHERE tenant_id = $1")
                    .bind(tenant_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)
            }

            async fn get_order(&self, tenant_id: Uuid, order_id: Uuid) -> Result<Order, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let row = sqlx::query(concat!(
                    "SELECT ", order_columns!(), " FROM orders WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant_id)
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "order"))?;
                order_from(&row, <$store>::money_of(&row, "total")?)
            }

            async fn find_orders(
                &self,
                tenant_id: Uuid,
                filter: &OrderFilter,
            ) -> Result<Vec<Order>, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                // Absent filters bind NULL and match everything.
                let rows = sqlx::query(concat!(
                    "SELECT ", order_columns!(), " FROM orders WHERE tenant_id = $1
                       AND ($2 IS NULL OR status = $2)
                       AND ($3 IS NULL OR created_at >= $3)
                       AND ($4 IS NULL OR created_at < $4)
                       AND ($5 IS NULL OR customer_phone = $5)
                       AND order_number < $6
                     ORDER BY order_number DESC LIMIT $7"
                ))
                .bind(tenant_id)
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.from)
                .bind(filter.to)
                .bind(filter.customer.as_deref())
                .bind(filter.before_number.unwrap_or(i64::MAX))
                .bind(filter.limit)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
                rows.iter()
                    .map(|row| order_from(row, <$store>::money_of(row, "total")?))
                    .collect()
            }

            async fn activity(
                &self,
                tenant_id: Uuid,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Activity, StoreError> {
                let mut tx = self.tenant_tx(tenant_id).await?;
                let inbound = sqlx::query(
                    "SELECT COUNT(*) AS messages, COUNT(DISTINCT customer) AS customers FROM inbox
                     WHERE tenant_id = $1 AND received_at >= $2 AND received_at < $3",
                )
                .bind(tenant_id)
                .bind(from)
                .bind(to)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                let outbound = sqlx::query(
                    "SELECT COUNT(*) AS messages,
                            COUNT(CASE WHEN idempotency_key LIKE 'order-%' THEN 1 END) AS notices
                     FROM outbox
                     WHERE tenant_id = $1 AND sent_at IS NOT NULL AND created_at >= $2 AND created_at < $3",
                )
                .bind(tenant_id)
                .bind(from)
                .bind(to)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                Ok(Activity {
                    messages_in: inbound.try_get("messages").map_err(backend)?,
                    customers: inbound.try_get("customers").map_err(backend)?,
                    messages_out: outbound.try_get("messages").map_err(backend)?,
                    notifications: outbound.try_get("notices").map_err(backend)?,
                })
            }

        }

        #[async_trait]
        impl FleetStore for $store {
            async fn create_waha_instance(
                &self,
                new: &NewWahaInstance,
            ) -> Result<WahaInstance, StoreError> {
                let row = sqlx::query(concat!(
                    "INSERT INTO waha_instances (id, name, base_url, api_key, capacity, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
                    instance_columns!()
                ))
                .bind(Uuid::now_v7())
                .bind(&new.name)
                .bind(&new.base_url)
                .bind(self.secrets.seal(&new.api_key, Purpose::WahaApiKey))
                .bind(new.capacity)
                .bind(Utc::now())
                .fetch_one(&self.pool)
                .await
                .map_err(|e| store_error(e, "WAHA instance"))?;
                instance_from(&self.secrets, &row)
            }

            async fn list_waha_instances(&self) -> Result<Vec<WahaInstance>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ", instance_columns!(), " FROM waha_instances ORDER BY created_at"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter().map(|row| instance_from(&self.secrets, row)).collect()
            }

            async fn get_waha_instance(&self, instance_id: Uuid) -> Result<WahaInstance, StoreError> {
                let row = sqlx::query(concat!(
                    "SELECT ", instance_columns!(), " FROM waha_instances WHERE id = $1"
                ))
                .bind(instance_id)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| store_error(e, "WAHA instance"))?;
                instance_from(&self.secrets, &row)
            }

            async fn place_session(&self, tenant_id: Uuid) -> Result<WahaInstance, StoreError> {
                let mut tx = self.platform_tx().await?;
                let placed: Option<Uuid> =
                    sqlx::query_scalar("SELECT waha_instance_id FROM tenants WHERE id = $1")
                        .bind(tenant_id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| store_error(e, "tenant"))?;
                let chosen = match placed {
                    Some(instance_id) => instance_id,
                    None => {
                        let free = sqlx::query_scalar(
                            "SELECT i.id FROM waha_instances i
                             WHERE NOT i.draining
                               AND i.capacity > (SELECT COUNT(*) FROM tenants t WHERE t.waha_instance_id = i.id)
                             ORDER BY i.capacity - (SELECT COUNT(*) FROM tenants t WHERE t.waha_instance_id = i.id) DESC, i.name
                             LIMIT 1",
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                        let Some(instance_id) = free else {
                            return Err(StoreError::Limit(
                                "no WAHA instance has free capacity; ask the platform operator".to_owned(),
                            ));
                        };
                        sqlx::query("UPDATE tenants SET waha_instance_id = $2 WHERE id = $1")
                            .bind(tenant_id)
                            .bind(instance_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                        instance_id
                    }
                };
                let row = sqlx::query(concat!(
                    "SELECT ", instance_columns!(), " FROM waha_instances WHERE id = $1"
                ))
                .bind(chosen)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| store_error(e, "WAHA instance"))?;
                tx.commit().await.map_err(backend)?;
                instance_from(&self.secrets, &row)
            }

            async fn session_route(&self, tenant_id: Uuid) -> Result<SessionRoute, StoreError> {
                let row = sqlx::query(
                    "SELECT whatsapp_session_id, id, webhook_secret, waha_instance_id FROM tenants
                     WHERE id = $1 AND waha_instance_id IS NOT NULL",
                )
                .bind(tenant_id)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| store_error(e, "placed session"))?;
                route_from(&self.secrets, &row)
            }

            async fn set_session_status(
                &self,
                session: &str,
                status: &str,
                reported_at_ms: i64,
            ) -> Result<bool, StoreError> {
                let mut tx = self.platform_tx().await?;
                let updated = sqlx::query(
                    "UPDATE tenants SET session_status = $2, session_status_order = $3
                     WHERE whatsapp_session_id = $1 AND session_status_order <= $3",
                )
                .bind(session)
                .bind(status)
                .bind(session_status_order(reported_at_ms, status))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
                tx.commit().await.map_err(backend)?;
                Ok(updated > 0)
            }
        }
    };
}

pub(crate) use portable_stores;
