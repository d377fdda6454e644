//! The subscription tiers of the business plan, what each allows, and the
//! billing period (the calendar month, UTC).

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wabot_actors::Quota;

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

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Basic => "basic",
            Tier::Premium => "premium",
            Tier::Enterprise => "enterprise",
        }
    }

    /// Price of each message over the quota, in millionths of a dollar:
    /// 1 cent on the paid tiers with a quota, none on the free tier.
    pub fn overage_price_micros(self) -> i64 {
        match self {
            Tier::Basic | Tier::Premium => 10_000,
            Tier::Free | Tier::Enterprise => 0,
        }
    }

    /// Price of each message over the quota, in dollars.
    pub fn overage_price(self) -> Decimal {
        dollars(self.overage_price_micros())
    }

    /// Whether the operator may allow metered overage (paid tiers with a quota).
    pub fn allows_overage(self) -> bool {
        self.overage_price_micros() > 0
    }

    /// The monthly allowance, with overage if the operator allowed it.
    pub fn quota(self, overage_allowed: bool) -> Quota {
        Quota {
            monthly_messages: self.monthly_messages(),
            overage_allowed: overage_allowed && self.allows_overage(),
            overage_price_micros: self.overage_price_micros(),
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

/// Millionths of a dollar as dollars.
pub fn dollars(micros: i64) -> Decimal {
    Decimal::new(micros, 6).normalize()
}

/// The first instant of the month of `now`, and of the next month.
pub fn billing_month(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = first_day(now.date_naive());
    let end = first_day(start + chrono::Months::new(1));
    (
        Utc.from_utc_datetime(&start.and_time(chrono::NaiveTime::MIN)),
        Utc.from_utc_datetime(&end.and_time(chrono::NaiveTime::MIN)),
    )
}

/// The first day of the month of `day`.
fn first_day(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
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
        assert_eq!(Tier::Basic.overage_price(), Decimal::new(1, 2));
        assert!(
            !Tier::Free.quota(true).overage_allowed,
            "no overage on free"
        );
        assert!(Tier::Basic.quota(true).overage_allowed);
    }

    #[test]
    fn a_month_runs_from_its_first_instant_to_the_next_months() {
        let now = Utc.with_ymd_and_hms(2026, 12, 24, 13, 5, 0).unwrap();
        let (start, end) = billing_month(now);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }
}
