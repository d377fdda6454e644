//! Orders as the bots produce them, and the order status state machine.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most units of one item a cart line may hold, in every bot.
pub const MAX_LINE_QUANTITY: u32 = 99;

/// One line of an order or cart.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The tenant's item code.
    pub item_id: String,
    /// Item name at the time of ordering.
    pub name: String,
    /// Unit price at the time of ordering.
    pub unit_price: Decimal,
    /// How many.
    pub quantity: u32,
}

impl OrderLine {
    /// `unit_price × quantity`.
    pub fn line_total(&self) -> Decimal {
        self.unit_price * Decimal::from(self.quantity)
    }
}

/// An order the customer confirmed and that the runtime must now persist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDraft {
    /// What was ordered.
    pub lines: Vec<OrderLine>,
    /// Sum of the line totals.
    pub total: Decimal,
    /// Where to deliver it.
    pub delivery_address: String,
    /// The customer's prescription (a media id), when the order holds
    /// prescription-only items: the order then waits for a pharmacist.
    #[serde(default)]
    pub prescription: Option<String>,
}

/// Lifecycle of an order: `pending → confirmed → preparing → out_for_delivery
/// → delivered`, or `cancelled` from any state that is not final.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed by the customer, not yet seen by the business.
    Pending,
    /// Accepted by the business.
    Confirmed,
    /// Being prepared.
    Preparing,
    /// On its way.
    OutForDelivery,
    /// Handed over; final.
    Delivered,
    /// Called off; final.
    Cancelled,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Preparing,
        OrderStatus::OutForDelivery,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// The stored and wire name (`out_for_delivery`).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Preparing => "preparing",
            OrderStatus::OutForDelivery => "out_for_delivery",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the business may move an order from `self` to `next`.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Pending, Confirmed)
                | (Confirmed, Preparing)
                | (Preparing, OutForDelivery)
                | (OutForDelivery, Delivered)
                | (Pending | Confirmed | Preparing | OutForDelivery, Cancelled)
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of [`OrderStatus::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOrderStatus(pub String);

impl fmt::Display for UnknownOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown order status '{}'", self.0)
    }
}

impl std::error::Error for UnknownOrderStatus {}

impl FromStr for OrderStatus {
    type Err = UnknownOrderStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownOrderStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_is_allowed_step_by_step_only() {
        use OrderStatus::*;
        assert!(Pending.can_become(Confirmed));
        assert!(OutForDelivery.can_become(Delivered));
        assert!(!Pending.can_become(Delivered));
        assert!(!Delivered.can_become(Cancelled));
        assert!(!Cancelled.can_become(Pending));
    }

    #[test]
    fn names_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
        }
        assert!("shipped".parse::<OrderStatus>().is_err());
    }
}
