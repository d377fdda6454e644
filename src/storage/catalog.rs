//! The tenant's catalog as the admin API edits it (menu items, flow, bot
//! settings), and the tenant profile the actors load from it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::types::Json;
use uuid::Uuid;
use wabot_actors::{StoreError, TenantDirectory, TenantProfile};
use wabot_plugins::{BotSettings, Flow, Menu, MenuItem, TenantContext};

use super::accounts::AccountStore;
use super::database::Tx;
use super::sql::{Money, backend};
use super::sql_store::SqlStore;
use crate::tiers::{Tier, billing_month};

/// The tenant's menu, flow and bot settings.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// One menu item by the tenant's code.
    async fn get_menu_item(&self, tenant_id: Uuid, item_id: &str) -> Result<MenuItem, StoreError>;
    /// Inserts or replaces items by `item_id`, all or none; refuses with
    /// [`StoreError::Limit`] if the menu would exceed `max_items`.
    async fn save_menu_items(
        &self,
        tenant_id: Uuid,
        items: &[MenuItem],
        max_items: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Replaces the tenant's whole menu, in the given order.
    async fn replace_menu(&self, tenant_id: Uuid, items: &[MenuItem]) -> Result<(), StoreError>;
    /// The tenant's menu, in display order.
    async fn list_menu(&self, tenant_id: Uuid) -> Result<Vec<MenuItem>, StoreError>;
    /// Removes one item.
    async fn delete_menu_item(&self, tenant_id: Uuid, item_id: &str) -> Result<(), StoreError>;
    /// The tenant's flow, if it uploaded one.
    async fn get_flow(&self, tenant_id: Uuid) -> Result<Option<Flow>, StoreError>;
    /// Stores the tenant's flow and makes the flow bot its bot.
    async fn save_flow(&self, tenant_id: Uuid, flow: &Flow) -> Result<(), StoreError>;
    /// Replaces the tenant's bot settings; returns the previous ones.
    async fn replace_settings(
        &self,
        tenant_id: Uuid,
        settings: &BotSettings,
    ) -> Result<BotSettings, StoreError>;
}

#[derive(sqlx::FromRow)]
struct MenuItemRow {
    item_id: String,
    name: String,
    description: String,
    price: Money,
    category: String,
    available: bool,
    image_url: Option<String>,
    variant: Option<String>,
    stock: Option<i64>,
    prescription_required: bool,
}

impl From<MenuItemRow> for MenuItem {
    fn from(row: MenuItemRow) -> Self {
        MenuItem {
            item_id: row.item_id,
            name: row.name,
            description: row.description,
            price: row.price.0,
            category: row.category,
            available: row.available,
            image_url: row.image_url,
            variant: row.variant,
            stock: row.stock.map(|units| u32::try_from(units).unwrap_or(0)),
            prescription_required: row.prescription_required,
        }
    }
}

/// The tenant's menu in display order, read inside `tx`.
async fn menu_in(tx: &mut Tx, tenant_id: Uuid) -> Result<Vec<MenuItem>, StoreError> {
    let rows = tx
        .sql(
            "SELECT item_id, name, description, price, category, available, image_url, variant,
                 stock, prescription_required
             FROM menu_items WHERE tenant_id = $1 ORDER BY position",
        )
        .bind(tenant_id)
        .fetch_all_as::<MenuItemRow>(&mut *tx)
        .await?;
    Ok(rows.into_iter().map(MenuItem::from).collect())
}

/// The tenant's flow, read inside `tx`.
async fn flow_in(tx: &mut Tx, tenant_id: Uuid) -> Result<Option<Flow>, StoreError> {
    let stored: Option<Json<Flow>> = tx
        .sql("SELECT definition FROM flows WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_optional_scalar(&mut *tx)
        .await?;
    Ok(stored.map(|json| json.0))
}

/// Inserts `item` at the end of the menu, or replaces the item with the
/// same `item_id` in place.
async fn upsert_item(tx: &mut Tx, tenant_id: Uuid, item: &MenuItem) -> Result<(), StoreError> {
    tx.sql(
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
    .about("menu item")
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(&item.item_id)
    .bind(&item.name)
    .bind(&item.description)
    .bind(Money(item.price))
    .bind(&item.category)
    .bind(item.available)
    .bind(&item.image_url)
    .bind(item.stock.map(i64::from))
    .bind(&item.variant)
    .bind(item.prescription_required)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[async_trait]
impl CatalogStore for SqlStore {
    async fn get_menu_item(&self, tenant_id: Uuid, item_id: &str) -> Result<MenuItem, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let row = tx
            .sql(
                "SELECT item_id, name, description, price, category, available, image_url,
                     variant, stock, prescription_required
                 FROM menu_items WHERE tenant_id = $1 AND item_id = $2",
            )
            .about("menu item")
            .bind(tenant_id)
            .bind(item_id)
            .fetch_one_as::<MenuItemRow>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn save_menu_items(
        &self,
        tenant_id: Uuid,
        items: &[MenuItem],
        max_items: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.tenant_tx(tenant_id).await?;
        for item in items {
            upsert_item(&mut tx, tenant_id, item).await?;
        }
        if let Some(max) = max_items {
            let size: i64 = tx
                .sql("SELECT COUNT(*) FROM menu_items WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_scalar(&mut tx)
                .await?;
            if size > max {
                // Dropping `tx` rolls every row back.
                return Err(StoreError::Limit(format!(
                    "the menu would have {size} items; this tier allows {max}"
                )));
            }
        }
        tx.commit().await
    }

    async fn replace_menu(&self, tenant_id: Uuid, items: &[MenuItem]) -> Result<(), StoreError> {
        let mut tx = self.db.tenant_tx(tenant_id).await?;
        tx.sql("SELECT id FROM tenants WHERE id = $1")
            .about("tenant")
            .bind(tenant_id)
            .fetch_one(&mut tx)
            .await?;
        tx.sql("DELETE FROM menu_items WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut tx)
            .await?;
        for item in items {
            upsert_item(&mut tx, tenant_id, item).await?;
        }
        tx.commit().await
    }

    async fn list_menu(&self, tenant_id: Uuid) -> Result<Vec<MenuItem>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let menu = menu_in(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok(menu)
    }

    async fn delete_menu_item(&self, tenant_id: Uuid, item_id: &str) -> Result<(), StoreError> {
        let mut tx = self.db.tenant_tx(tenant_id).await?;
        let deleted = tx
            .sql("DELETE FROM menu_items WHERE tenant_id = $1 AND item_id = $2")
            .bind(tenant_id)
            .bind(item_id)
            .execute(&mut tx)
            .await?;
        if deleted == 0 {
            return Err(StoreError::NotFound("menu item"));
        }
        tx.commit().await
    }

    async fn get_flow(&self, tenant_id: Uuid) -> Result<Option<Flow>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let flow = flow_in(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok(flow)
    }

    async fn save_flow(&self, tenant_id: Uuid, flow: &Flow) -> Result<(), StoreError> {
        let mut tx = self.db.tenant_tx(tenant_id).await?;
        tx.sql(
            "INSERT INTO flows (tenant_id, definition, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id) DO UPDATE
             SET definition = excluded.definition, updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(Json(flow))
        .bind(Utc::now())
        .execute(&mut tx)
        .await?;
        tx.sql("UPDATE tenants SET plugin_type = 'flow' WHERE id = $1")
            .bind(tenant_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    async fn replace_settings(
        &self,
        tenant_id: Uuid,
        settings: &BotSettings,
    ) -> Result<BotSettings, StoreError> {
        let mut tx = self.db.tenant_tx(tenant_id).await?;
        let Json(before): Json<BotSettings> = tx
            .sql("SELECT settings FROM tenants WHERE id = $1")
            .about("tenant")
            .bind(tenant_id)
            .fetch_scalar(&mut tx)
            .await?;
        tx.sql("UPDATE tenants SET settings = $2 WHERE id = $1")
            .bind(tenant_id)
            .bind(Json(settings))
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(before)
    }
}

#[async_trait]
impl TenantDirectory for SqlStore {
    async fn tenant_profile(&self, tenant_id: Uuid) -> Result<TenantProfile, StoreError> {
        let tenant = self.get_tenant(tenant_id).await?;
        let mut tx = self.db.read_tx(tenant_id).await?;
        let menu = menu_in(&mut tx, tenant_id).await?;
        let (month_start, _) = billing_month(Utc::now());
        let used: i64 = tx
            .sql(
                "SELECT CAST(COALESCE(SUM(message_count), 0) AS BIGINT) FROM usage_logs
                 WHERE tenant_id = $1 AND day >= $2",
            )
            .bind(tenant_id)
            .bind(month_start.date_naive())
            .fetch_scalar(&mut tx)
            .await?;
        let flow = flow_in(&mut tx, tenant_id).await?.map(Arc::new);
        tx.commit().await?;
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
