//! The tenant's menu or catalog: items (create, read, update, delete, with
//! an availability toggle staff may use), categories, and bulk import from
//! JSON or CSV where every row is checked and nothing is half-imported. The
//! tier's item limit is enforced in the same transaction as the change.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wabot_plugins::MenuItem;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, Member, QueryParams, invalid};
use crate::domain::{self, RowError};
use crate::image_urls::ImageUrlPolicy;
use crate::storage::models::Role;
use crate::tiers::Tier;

/// The menu routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_items, create_item))
        .routes(routes!(get_item, update_item, delete_item))
        .routes(routes!(list_categories))
        .routes(routes!(import_menu))
}

/// The tenant's tier limit on menu items.
async fn item_limit(app: &AppState, tenant_id: Uuid) -> Result<Option<i64>, ApiError> {
    let tenant = app.store.get_tenant(tenant_id).await?;
    let tier = Tier::parse(&tenant.subscription_tier)
        .ok_or_else(|| ApiError::Internal(format!("unknown tier {}", tenant.subscription_tier)))?;
    Ok(tier.max_menu_items())
}

/// Saves items and tells the tenant's actors the menu changed.
async fn save(app: &AppState, tenant_id: Uuid, items: &[MenuItem]) -> Result<(), ApiError> {
    let limit = item_limit(app, tenant_id).await?;
    app.store.save_menu_items(tenant_id, items, limit).await?;
    app.runtime.reload_tenant(tenant_id);
    Ok(())
}

fn image_url_policy(app: &AppState) -> ImageUrlPolicy {
    ImageUrlPolicy {
        allow_private: app.settings.media.allow_private_image_urls,
    }
}

/// Refuses (422, each refused row listed) items whose `image_url` WAHA
/// must not be sent to fetch (see [`crate::image_urls`]).
pub(super) async fn checked_image_urls(app: &AppState, items: &[MenuItem]) -> Result<(), ApiError> {
    image_url_policy(app)
        .check_menu(items)
        .await
        .map_err(ApiError::InvalidRows)
}

/// One item, checked, its image URL included (422 with the reason).
async fn checked(app: &AppState, item: &MenuItem) -> Result<MenuItem, ApiError> {
    let item = domain::menu_item(item).map_err(invalid)?;
    if let Some(url) = &item.image_url {
        image_url_policy(app).check(url).await.map_err(invalid)?;
    }
    Ok(item)
}

/// Every item, in display order.
#[utoipa::path(get, path = "/v1/menu/items", tag = "menu", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Vec<MenuItem>), (status = 401, description = "missing, unknown or expired credential", body = ErrorBody)))]
async fn list_items(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<Vec<MenuItem>>, ApiError> {
    Ok(Json(app.store.list_menu(member.tenant_id).await?))
}

/// Adds an item at the end of the menu (owner only).
#[utoipa::path(post, path = "/v1/menu/items", tag = "menu", security(("bearer" = [])),
    request_body = MenuItem,
    responses(
        (status = 201, description = "created", body = MenuItem),
        (status = 403, description = "not the owner, or the tier's item limit is reached", body = ErrorBody),
        (status = 409, description = "item_id already used", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody),
    ))]
async fn create_item(
    member: Member,
    State(app): State<AppState>,
    JsonBody(item): JsonBody<MenuItem>,
) -> Result<(StatusCode, Json<MenuItem>), ApiError> {
    member.require_owner()?;
    let item = checked(&app, &item).await?;
    match app
        .store
        .get_menu_item(member.tenant_id, &item.item_id)
        .await
    {
        Ok(_) => {
            return Err(ApiError::Conflict(format!(
                "item_id '{}' is already on the menu; PATCH it instead",
                item.item_id
            )));
        }
        Err(wabot_actors::StoreError::NotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    save(&app, member.tenant_id, std::slice::from_ref(&item)).await?;
    app.store
        .record_audit(&member.audit("menu_item.create", &item.item_id, None, Some(json!(item))))
        .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// One item.
#[utoipa::path(get, path = "/v1/menu/items/{item_id}", tag = "menu",
    security(("bearer" = [])), params(("item_id" = String, Path)),
    responses((status = 200, description = "OK", body = MenuItem), (status = 404, description = "not found (for this caller)", body = ErrorBody)))]
async fn get_item(
    member: Member,
    State(app): State<AppState>,
    Path(item_id): Path<String>,
) -> Result<Json<MenuItem>, ApiError> {
    Ok(Json(
        app.store.get_menu_item(member.tenant_id, &item_id).await?,
    ))
}

/// Fields to change; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemChanges {
    name: Option<String>,
    description: Option<String>,
    price: Option<Decimal>,
    category: Option<String>,
    /// Staff may change this and `stock`.
    available: Option<bool>,
    /// The variant label (`Red / M`); `null` removes it.
    #[serde(default, with = "serde_with_null")]
    #[schema(value_type = Option<String>)]
    variant: Option<Option<String>>,
    /// Units left; `null` stops counting.
    #[serde(default, with = "serde_with_null")]
    #[schema(value_type = Option<u32>)]
    stock: Option<Option<u32>>,
    /// `null` removes the picture.
    #[serde(default, with = "serde_with_null")]
    #[schema(value_type = Option<String>)]
    image_url: Option<Option<String>>,
    /// Sold on prescription only (pharmacies).
    prescription_required: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
mod serde_with_null {
    use serde::{Deserialize, Deserializer};

    /// Deserialises a present field, `null` included.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

impl ItemChanges {
    /// Whether only `available` and `stock` change (what staff may do).
    fn only_inventory(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.price.is_none()
            && self.category.is_none()
            && self.image_url.is_none()
            && self.variant.is_none()
            && self.prescription_required.is_none()
    }

    fn apply(self, mut item: MenuItem) -> MenuItem {
        item.name = self.name.unwrap_or(item.name);
        item.description = self.description.unwrap_or(item.description);
        item.price = self.price.unwrap_or(item.price);
        item.category = self.category.unwrap_or(item.category);
        item.available = self.available.unwrap_or(item.available);
        item.image_url = self.image_url.unwrap_or(item.image_url);
        item.stock = self.stock.unwrap_or(item.stock);
        item.variant = self.variant.unwrap_or(item.variant);
        item.prescription_required = self
            .prescription_required
            .unwrap_or(item.prescription_required);
        item
    }
}

/// Changes an item. Staff may only change `available` and `stock`.
#[utoipa::path(patch, path = "/v1/menu/items/{item_id}", tag = "menu",
    security(("bearer" = [])), params(("item_id" = String, Path)),
    request_body = ItemChanges,
    responses(
        (status = 200, description = "OK", body = MenuItem),
        (status = 403, description = "not allowed for this role or tier", body = ErrorBody),
        (status = 404, description = "not found (for this caller)", body = ErrorBody),
        (status = 422, description = "invalid values", body = ErrorBody),
    ))]
async fn update_item(
    member: Member,
    State(app): State<AppState>,
    Path(item_id): Path<String>,
    JsonBody(changes): JsonBody<ItemChanges>,
) -> Result<Json<MenuItem>, ApiError> {
    if member.role == Role::Staff && !changes.only_inventory() {
        member.require_owner()?;
    }
    let before = app.store.get_menu_item(member.tenant_id, &item_id).await?;
    let after = checked(&app, &changes.apply(before.clone())).await?;
    save(&app, member.tenant_id, std::slice::from_ref(&after)).await?;
    app.store
        .record_audit(&member.audit(
            "menu_item.update",
            &item_id,
            Some(json!(before)),
            Some(json!(after)),
        ))
        .await?;
    Ok(Json(after))
}

/// Removes an item (owner only). Past orders keep their lines.
#[utoipa::path(delete, path = "/v1/menu/items/{item_id}", tag = "menu",
    security(("bearer" = [])), params(("item_id" = String, Path)),
    responses((status = 204, description = "removed"), (status = 404, description = "not found (for this caller)", body = ErrorBody)))]
async fn delete_item(
    member: Member,
    State(app): State<AppState>,
    Path(item_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    member.require_owner()?;
    let before = app.store.get_menu_item(member.tenant_id, &item_id).await?;
    app.store
        .delete_menu_item(member.tenant_id, &item_id)
        .await?;
    app.runtime.reload_tenant(member.tenant_id);
    app.store
        .record_audit(&member.audit("menu_item.delete", &item_id, Some(json!(before)), None))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A category and how many items it has.
#[derive(Serialize, ToSchema)]
pub struct Category {
    name: String,
    items: usize,
    available: usize,
}

/// The categories, in the order customers see them.
#[utoipa::path(get, path = "/v1/menu/categories", tag = "menu", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Vec<Category>)))]
async fn list_categories(
    member: Member,
    State(app): State<AppState>,
) -> Result<Json<Vec<Category>>, ApiError> {
    let mut categories: Vec<Category> = Vec::new();
    for item in app.store.list_menu(member.tenant_id).await? {
        let index = match categories.iter().position(|c| c.name == item.category) {
            Some(index) => index,
            None => {
                categories.push(Category {
                    name: item.category.clone(),
                    items: 0,
                    available: 0,
                });
                categories.len() - 1
            }
        };
        categories[index].items += 1;
        categories[index].available += usize::from(item.available);
    }
    Ok(Json(categories))
}

/// How an import treats the current menu.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `merge` (the default: add new items, update those with the same
    /// item_id) or `replace` (the menu becomes exactly the import).
    mode: Option<String>,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    imported: usize,
    mode: String,
}

/// Parses a JSON import (`{"items": [...]}`), item by item, so each bad
/// row is reported.
fn json_rows(body: &[u8]) -> Result<Vec<Result<MenuItem, RowError>>, ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Import {
        items: Vec<Value>,
    }
    let import: Import = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("expected {{\"items\": [...]}}: {e}")))?;
    Ok(import
        .items
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let item_id = value
                .get("item_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            serde_json::from_value::<MenuItem>(value).map_err(|e| RowError {
                row: index + 1,
                item_id,
                message: e.to_string(),
            })
        })
        .collect())
}

/// One CSV line: `item_id,name,description,price,category,available,image_url`
/// and, optionally, `stock`, `variant` and `prescription_required`.
#[derive(Deserialize)]
struct CsvItem {
    item_id: String,
    name: String,
    #[serde(default)]
    description: String,
    price: String,
    category: String,
    #[serde(default)]
    available: String,
    #[serde(default)]
    image_url: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    variant: String,
    #[serde(default)]
    prescription_required: String,
}

impl CsvItem {
    fn into_item(self) -> Result<MenuItem, String> {
        let price = self
            .price
            .trim()
            .parse::<Decimal>()
            .map_err(|_| format!("price '{}' is not a number", self.price))?;
        let available = csv_flag("available", &self.available, true)?;
        let prescription_required =
            csv_flag("prescription_required", &self.prescription_required, false)?;
        let image_url = Some(self.image_url.trim().to_owned()).filter(|url| !url.is_empty());
        let stock =
            match self.stock.trim() {
                "" => None,
                count => Some(count.parse::<u32>().map_err(|_| {
                    format!("stock must be a whole number of units, got '{count}'")
                })?),
            };
        Ok(MenuItem {
            item_id: self.item_id,
            name: self.name,
            description: self.description,
            price,
            category: self.category,
            available,
            image_url,
            variant: Some(self.variant.trim().to_owned()).filter(|v| !v.is_empty()),
            stock,
            prescription_required,
        })
    }
}

/// A yes/no CSV cell; empty means `default`.
fn csv_flag(column: &str, cell: &str, default: bool) -> Result<bool, String> {
    match cell.trim().to_lowercase().as_str() {
        "" => Ok(default),
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        other => Err(format!("{column} must be true or false, got '{other}'")),
    }
}

/// Parses a CSV import with a header line.
fn csv_rows(body: &[u8]) -> Vec<Result<MenuItem, RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    reader
        .deserialize::<CsvItem>()
        .enumerate()
        .map(|(index, record)| {
            let refuse = |item_id: String, message: String| RowError {
                row: index + 1,
                item_id,
                message,
            };
            let record = record.map_err(|e| refuse(String::new(), e.to_string()))?;
            let item_id = record.item_id.clone();
            record
                .into_item()
                .map_err(|message| refuse(item_id, message))
        })
        .collect()
}

/// Bulk import from JSON (`{"items": [...]}`) or CSV (`Content-Type:
/// text/csv`, header `item_id,name,description,price,category,available,image_url`)
/// (owner only). All rows are checked first; if any is invalid, every
/// refused row is listed and nothing changes.
#[utoipa::path(post, path = "/v1/menu/import", tag = "menu", security(("bearer" = [])),
    params(ImportQuery),
    request_body(content(
        (Value = "application/json"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "OK", body = ImportResult),
        (status = 403, description = "not the owner, or over the tier's item limit", body = ErrorBody),
        (status = 422, description = "invalid rows, listed in `details`", body = ErrorBody),
    ))]
async fn import_menu(
    member: Member,
    State(app): State<AppState>,
    QueryParams(query): QueryParams<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportResult>, ApiError> {
    member.require_owner()?;
    let mode = query.mode.unwrap_or_else(|| "merge".to_owned());
    if mode != "merge" && mode != "replace" {
        return Err(ApiError::BadRequest(format!(
            "mode must be 'merge' or 'replace', got '{mode}'"
        )));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let rows = if content_type.starts_with("text/csv") {
        csv_rows(&body)
    } else if content_type.starts_with("application/json") {
        json_rows(&body)?
    } else {
        return Err(ApiError::BadRequest(
            "send Content-Type: application/json or text/csv".to_owned(),
        ));
    };
    let mut parsed = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (row, result) in (1..).zip(rows) {
        match result {
            Ok(item) => parsed.push((row, item)),
            Err(error) => errors.push(error),
        }
    }
    let items = match domain::menu(parsed) {
        Ok(items) if errors.is_empty() => items,
        checked => {
            errors.extend(checked.err().unwrap_or_default());
            errors.sort_by_key(|e| e.row);
            return Err(ApiError::InvalidRows(errors));
        }
    };
    checked_image_urls(&app, &items).await?;
    if mode == "replace" {
        if let Some(max) = item_limit(&app, member.tenant_id).await?
            && items.len() as i64 > max
        {
            return Err(ApiError::Forbidden(format!(
                "the menu would have {} items; this tier allows {max}",
                items.len()
            )));
        }
        app.store.replace_menu(member.tenant_id, &items).await?;
        app.runtime.reload_tenant(member.tenant_id);
    } else {
        save(&app, member.tenant_id, &items).await?;
    }
    app.store
        .record_audit(&member.audit(
            &format!("menu.import_{mode}"),
            "menu",
            None,
            Some(json!({"items": items.len()})),
        ))
        .await?;
    Ok(Json(ImportResult {
        imported: items.len(),
        mode,
    }))
}
