//! Orders: placed by the bots (taking counted stock atomically), found and
//! moved along their state machine by the business.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;
use wabot_actors::{OrderStore, PlacedOrder, StoreError};
use wabot_plugins::{OrderDraft, OrderLine, OrderStatus};

use super::models::{Order, OrderChange, OrderFilter, Prescription, Review};
use super::sql::{Money, backend};
use super::sql_store::SqlStore;

/// The business's view of its orders.
#[async_trait]
pub trait OrderBook: Send + Sync {
    /// The tenant's orders, newest first.
    async fn list_orders(&self, tenant_id: Uuid) -> Result<Vec<Order>, StoreError>;
    /// Orders matching `filter`, newest (highest number) first.
    async fn find_orders(
        &self,
        tenant_id: Uuid,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, StoreError>;
    /// One order.
    async fn get_order(&self, tenant_id: Uuid, order_id: Uuid) -> Result<Order, StoreError>;
    /// Applies `change` to an order (its state machine and prescription
    /// review); refuses a change its current state does not allow. A
    /// cancelled order gives its counted stock back, in the same transaction.
    async fn change_order(
        &self,
        tenant_id: Uuid,
        order_id: Uuid,
        change: &OrderChange,
    ) -> Result<Order, StoreError>;
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    order_number: i64,
    customer_phone: String,
    items: Json<Vec<OrderLine>>,
    total: Money,
    delivery_address: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    prescription_media_id: Option<Uuid>,
    prescription_review: Option<String>,
    review_note: Option<String>,
}

impl OrderRow {
    fn into_order(self) -> Result<Order, StoreError> {
        let review = self.prescription_review;
        let note = self.review_note;
        Ok(Order {
            id: self.id,
            order_number: self.order_number,
            customer_phone: self.customer_phone,
            items: self.items.0,
            total: self.total.0,
            delivery_address: self.delivery_address,
            status: self.status.parse().map_err(backend)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            prescription: self.prescription_media_id.map(|media_id| Prescription {
                media_id,
                review: review.unwrap_or_else(|| Review::AWAITING.to_owned()),
                note,
            }),
        })
    }
}

fn orders_of(rows: Vec<OrderRow>) -> Result<Vec<Order>, StoreError> {
    rows.into_iter().map(OrderRow::into_order).collect()
}

/// An order's status and prescription review, as read before a change.
#[derive(sqlx::FromRow)]
struct OrderState {
    status: String,
    prescription_review: Option<String>,
}

/// The next status after checking the order state machine.
fn checked_transition(current: &str, next: OrderStatus) -> Result<OrderStatus, StoreError> {
    let current: OrderStatus = current.parse().map_err(backend)?;
    if current.can_become(next) {
        Ok(next)
    } else {
        Err(StoreError::Conflict(format!(
            "an order cannot go from {current} to {next}"
        )))
    }
}

/// The status and review an order moves to under `change`, from its
/// current `status` and `review`: an order whose prescription awaits review
/// only moves through the review, or is cancelled.
fn checked_change(
    status: &str,
    review: Option<&str>,
    change: &OrderChange,
) -> Result<(OrderStatus, Option<&'static str>), StoreError> {
    let awaiting = review == Some(Review::AWAITING);
    match change.review {
        Some(decision) if awaiting => Ok((
            checked_transition(status, decision.status())?,
            Some(decision.as_str()),
        )),
        Some(_) => Err(StoreError::Conflict(
            "no prescription of this order awaits review".to_owned(),
        )),
        None if awaiting && change.status != OrderStatus::Cancelled => Err(StoreError::Conflict(
            "the order waits for a pharmacist to review its prescription \
             (POST /v1/orders/{order_id}/prescription)"
                .to_owned(),
        )),
        None => Ok((checked_transition(status, change.status)?, None)),
    }
}

#[async_trait]
impl OrderBook for SqlStore {
    async fn list_orders(&self, tenant_id: Uuid) -> Result<Vec<Order>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let rows = tx
            .sql(
                "SELECT id, order_number, customer_phone, items, total, delivery_address, status,
                     created_at, updated_at, prescription_media_id, prescription_review, review_note
                 FROM orders WHERE tenant_id = $1 ORDER BY created_at DESC, order_number DESC",
            )
            .bind(tenant_id)
            .fetch_all_as::<OrderRow>(&mut tx)
            .await?;
        tx.commit().await?;
        orders_of(rows)
    }

    async fn find_orders(
        &self,
        tenant_id: Uuid,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        // Absent filters bind NULL and match everything.
        let rows = tx
            .sql(
                "SELECT id, order_number, customer_phone, items, total, delivery_address, status,
                     created_at, updated_at, prescription_media_id, prescription_review, review_note
                 FROM orders WHERE tenant_id = $1
                   AND ($2 IS NULL OR status = $2)
                   AND ($3 IS NULL OR created_at >= $3)
                   AND ($4 IS NULL OR created_at < $4)
                   AND ($5 IS NULL OR customer_phone = $5)
                   AND order_number < $6
                 ORDER BY order_number DESC LIMIT $7",
            )
            .bind(tenant_id)
            .bind(filter.status.map(|s| s.as_str()))
            .bind(filter.from)
            .bind(filter.to)
            .bind(filter.customer.as_deref())
            .bind(filter.before_number.unwrap_or(i64::MAX))
            .bind(filter.limit)
            .fetch_all_as::<OrderRow>(&mut tx)
            .await?;
        tx.commit().await?;
        orders_of(rows)
    }

    async fn get_order(&self, tenant_id: Uuid, order_id: Uuid) -> Result<Order, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let row = tx
            .sql(
                "SELECT id, order_number, customer_phone, items, total, delivery_address, status,
                     created_at, updated_at, prescription_media_id, prescription_review, review_note
                 FROM orders WHERE tenant_id = $1 AND id = $2",
            )
            .about("order")
            .bind(tenant_id)
            .bind(order_id)
            .fetch_one_as::<OrderRow>(&mut tx)
            .await?;
        tx.commit().await?;
        row.into_order()
    }

    async fn change_order(
        &self,
        tenant_id: Uuid,
        order_id: Uuid,
        change: &OrderChange,
    ) -> Result<Order, StoreError> {
        let mut tx = self.db.tenant_tx(tenant_id).await?;
        let current = tx
            .sql("SELECT status, prescription_review FROM orders WHERE tenant_id = $1 AND id = $2")
            .about("order")
            .bind(tenant_id)
            .bind(order_id)
            .fetch_one_as::<OrderState>(&mut tx)
            .await?;
        let review = current.prescription_review.as_deref();
        let (next, next_review) = checked_change(&current.status, review, change)?;
        // Conditional on the state just read: a concurrent change makes it
        // miss rather than skip a step.
        let order = tx
            .sql(
                "UPDATE orders SET status = $3, updated_at = $4,
                     prescription_review = COALESCE($5, prescription_review),
                     review_note = COALESCE($6, review_note)
                 WHERE tenant_id = $1 AND id = $2 AND status = $7
                   AND prescription_review IS NOT DISTINCT FROM $8
                 RETURNING id, order_number, customer_phone, items, total, delivery_address,
                     status, created_at, updated_at, prescription_media_id, prescription_review,
                     review_note",
            )
            .bind(tenant_id)
            .bind(order_id)
            .bind(next.as_str())
            .bind(Utc::now())
            .bind(next_review)
            .bind(change.note.as_deref())
            .bind(&current.status)
            .bind(review)
            .fetch_optional_as::<OrderRow>(&mut tx)
            .await?
            .ok_or_else(|| {
                StoreError::Conflict("the order changed meanwhile; try again".to_owned())
            })?
            .into_order()?;
        if next == OrderStatus::Cancelled {
            // A cancelled order gives its counted stock back.
            for line in &order.items {
                tx.sql(
                    "UPDATE menu_items SET stock = stock + $3
                     WHERE tenant_id = $1 AND item_id = $2 AND stock IS NOT NULL",
                )
                .bind(tenant_id)
                .bind(&line.item_id)
                .bind(i64::from(line.quantity))
                .execute(&mut tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(order)
    }
}

#[async_trait]
impl OrderStore for SqlStore {
    async fn place_order(
        &self,
        tenant_id: Uuid,
        customer: &str,
        draft: &OrderDraft,
        checkout_key: &str,
    ) -> Result<PlacedOrder, StoreError> {
        let mut tx = self.db.tenant_tx(tenant_id).await?;
        let existing = tx
            .sql("SELECT id, order_number FROM orders WHERE tenant_id = $1 AND checkout_key = $2")
            .bind(tenant_id)
            .bind(checkout_key)
            .fetch_optional(&mut tx)
            .await?;
        if let Some(row) = existing {
            return Ok(PlacedOrder {
                order_id: row.get("id")?,
                order_number: row.get("order_number")?,
            });
        }
        // Counted stock is taken in this transaction, only where enough is
        // left; any line short of it rolls everything back.
        let mut sold_out = Vec::new();
        for line in &draft.lines {
            let taken = tx
                .sql(
                    "UPDATE menu_items SET stock = stock - $3
                     WHERE tenant_id = $1 AND item_id = $2 AND stock IS NOT NULL AND stock >= $3",
                )
                .bind(tenant_id)
                .bind(&line.item_id)
                .bind(i64::from(line.quantity))
                .execute(&mut tx)
                .await?;
            if taken == 0 {
                let counted: Option<Option<i64>> = tx
                    .sql("SELECT stock FROM menu_items WHERE tenant_id = $1 AND item_id = $2")
                    .bind(tenant_id)
                    .bind(&line.item_id)
                    .fetch_optional_scalar(&mut tx)
                    .await?;
                if matches!(counted, Some(Some(_))) {
                    sold_out.push(line.item_id.clone());
                }
            }
        }
        if !sold_out.is_empty() {
            return Err(StoreError::OutOfStock(sold_out));
        }
        let order_number: i64 = tx
            .sql(
                "UPDATE tenants SET next_order_number = next_order_number + 1
                 WHERE id = $1 RETURNING next_order_number - 1",
            )
            .about("tenant")
            .bind(tenant_id)
            .fetch_scalar(&mut tx)
            .await?;
        let order_id = Uuid::now_v7();
        let now = Utc::now();
        let prescription = match &draft.prescription {
            Some(media_id) => Some(Uuid::parse_str(media_id).map_err(|_| {
                StoreError::Backend(format!("prescription '{media_id}' is not a media id"))
            })?),
            None => None,
        };
        tx.sql(
            "INSERT INTO orders (id, tenant_id, order_number, customer_phone, items, total,
                                 delivery_address, status, created_at, updated_at, checkout_key,
                                 prescription_media_id, prescription_review)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $9, $10, $11)",
        )
        .about("order")
        .bind(order_id)
        .bind(tenant_id)
        .bind(order_number)
        .bind(customer)
        .bind(Json(&draft.lines))
        .bind(Money(draft.total.round_dp(2)))
        .bind(&draft.delivery_address)
        .bind(now)
        .bind(checkout_key)
        .bind(prescription)
        .bind(prescription.map(|_| Review::AWAITING))
        .execute(&mut tx)
        .await?;
        if prescription.is_some() {
            // The pharmacists' cue, on the tenant's event feed.
            tx.sql(
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
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(PlacedOrder {
            order_id,
            order_number,
        })
    }
}
