//! The subscription tiers of the business plan and what each allows.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A subscription tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// $0: 1 number, 100 messages a month, 20 menu items.
    Free,
    /// $29: 1 number, 1,000 messages a month.
    Basic,
    /// $99: several numbers, 10,000 messages a month.
    Premium,
    /// Custom price, no limits.
    Enterprise,
}

impl Tier {
    /// Parses the stored name.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "free" => Some(Tier::Free),
            "basic" => Some(Tier::Basic),
            "premium" => Some(Tier::Premium),
            "enterprise" => Some(Tier::Enterprise),
            _ => None,
        }
    }

    /// Most menu items, if limited.
    pub fn max_menu_items(self) -> Option<i64> {
        match self {
            Tier::Free => Some(20),
            Tier::Basic | Tier::Premium | Tier::Enterprise => None,
        }
    }

    /// Messages included each month, if limited.
    pub fn monthly_messages(self) -> Option<u64> {
        match self {
            Tier::Free => Some(100),
            Tier::Basic => Some(1_000),
            Tier::Premium => Some(10_000),
            Tier::Enterprise => None,
        }
    }

    /// Price of each message over the quota, in dollars: 1 cent on the
    /// paid tiers with a quota, none on the free tier.
    pub fn overage_price(self) -> Decimal {
        match self {
            Tier::Basic | Tier::Premium => Decimal::new(1, 2),
            Tier::Free | Tier::Enterprise => Decimal::ZERO,
        }
    }

    /// Monthly price in dollars (enterprise is quoted per contract: 0 here).
    pub fn monthly_price(self) -> Decimal {
        match self {
            Tier::Free | Tier::Enterprise => Decimal::ZERO,
            Tier::Basic => Decimal::from(29),
            Tier::Premium => Decimal::from(99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_the_business_plan() {
        assert_eq!(Tier::parse("free"), Some(Tier::Free));
        assert_eq!(Tier::parse("gold"), None);
        assert_eq!(Tier::Free.max_menu_items(), Some(20));
        assert_eq!(Tier::Basic.max_menu_items(), None);
        assert_eq!(Tier::Free.monthly_messages(), Some(100));
        assert_eq!(Tier::Premium.monthly_messages(), Some(10_000));
        assert_eq!(Tier::Enterprise.monthly_messages(), None);
        assert_eq!(Tier::Premium.monthly_price(), Decimal::from(99));
    }
}
