//! Quota metering, owned by the tenant actor: it counts the tenant's
//! billable messages of the calendar month (UTC) against its quota, decides
//! whether a new conversation may start, prices each message (overage beyond
//! the quota when the operator allows it), and says when the tenant is due a
//! warning (80 %) or an exhaustion notice (100 %).
//!
//! A billable message is each inbound customer message the bot handles plus
//! each proactive order-status notice.

use chrono::{Datelike, NaiveDate};

use crate::ports::{Charge, Quota};

/// How far through its quota a tenant is, in the order reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QuotaLevel {
    /// 80 % used.
    Warning,
    /// 100 % used.
    Exhausted,
}

impl QuotaLevel {
    /// Event kind on the tenant's feed.
    pub fn event_kind(self) -> &'static str {
        match self {
            QuotaLevel::Warning => "quota.warning",
            QuotaLevel::Exhausted => "quota.exhausted",
        }
    }

    /// Percent of the quota it stands for.
    pub fn percent(self) -> u64 {
        match self {
            QuotaLevel::Warning => 80,
            QuotaLevel::Exhausted => 100,
        }
    }
}

/// `YYYY-MM` of `day`: the billing period it belongs to.
pub fn period_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// The month's count for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaMeter {
    quota: Quota,
    period: String,
    used: u64,
    announced: Option<QuotaLevel>,
}

impl QuotaMeter {
    /// A meter for the month of `today`, `used` messages in.
    pub fn new(quota: Quota, used: u64, today: NaiveDate) -> Self {
        Self {
            quota,
            period: period_of(today),
            used,
            announced: None,
        }
    }

    /// The operator changed the tier or overage permission: applies the new
    /// quota. `stored` is the month's count in storage; the meter keeps the
    /// larger, since steps it counted may not be committed yet.
    pub fn reconfigure(&mut self, quota: Quota, stored: u64, today: NaiveDate) {
        self.roll_over(today);
        self.quota = quota;
        self.used = self.used.max(stored);
        if self.level() < self.announced {
            self.announced = self.level();
        }
    }

    /// Whether a customer without a live conversation may start one.
    pub fn admits_new_conversation(&mut self, today: NaiveDate) -> bool {
        self.roll_over(today);
        match self.quota.monthly_messages {
            Some(quota) => self.used < quota || self.quota.overage_allowed,
            None => true,
        }
    }

    /// Counts one billable message and prices it.
    pub fn charge(&mut self, today: NaiveDate) -> Charge {
        self.roll_over(today);
        self.used += 1;
        let over = self.quota.monthly_messages.is_some_and(|q| self.used > q);
        Charge {
            day: today,
            cost_micros: if over && self.quota.overage_allowed {
                self.quota.overage_price_micros
            } else {
                0
            },
        }
    }

    /// The level reached and not announced yet, if any.
    pub fn due_announcement(&self) -> Option<QuotaLevel> {
        self.level().filter(|level| Some(*level) > self.announced)
    }

    /// The tenant was told about `level`.
    pub fn announced(&mut self, level: QuotaLevel) {
        self.announced = self.announced.max(Some(level));
    }

    /// Messages counted this period.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// The quota in force.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    /// The current period, `YYYY-MM`.
    pub fn period(&self) -> &str {
        &self.period
    }

    fn level(&self) -> Option<QuotaLevel> {
        let quota = self.quota.monthly_messages?;
        if self.used >= quota {
            Some(QuotaLevel::Exhausted)
        } else if self.used * 100 >= quota * 80 {
            Some(QuotaLevel::Warning)
        } else {
            None
        }
    }

    fn roll_over(&mut self, today: NaiveDate) {
        let period = period_of(today);
        if period != self.period {
            self.period = period;
            self.used = 0;
            self.announced = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    fn quota(messages: Option<u64>, overage_allowed: bool) -> Quota {
        Quota {
            monthly_messages: messages,
            overage_allowed,
            overage_price_micros: 10_000,
        }
    }

    #[test]
    fn warns_at_80_percent_then_at_100_and_closes_new_conversations() {
        let today = day("2026-11-24");
        let mut meter = QuotaMeter::new(quota(Some(10), false), 7, today);
        assert_eq!(meter.due_announcement(), None);
        assert_eq!(meter.charge(today).cost_micros, 0);
        assert_eq!(meter.due_announcement(), Some(QuotaLevel::Warning));
        meter.announced(QuotaLevel::Warning);
        assert_eq!(meter.due_announcement(), None);
        meter.charge(today);
        assert!(meter.admits_new_conversation(today));
        meter.charge(today);
        assert_eq!(meter.used(), 10);
        assert_eq!(meter.due_announcement(), Some(QuotaLevel::Exhausted));
        assert!(!meter.admits_new_conversation(today));
        // Conversations already going still count, free of overage.
        assert_eq!(meter.charge(today).cost_micros, 0);
    }

    #[test]
    fn allowed_overage_keeps_the_bot_open_and_prices_each_extra_message() {
        let today = day("2026-11-24");
        let mut meter = QuotaMeter::new(quota(Some(2), true), 1, today);
        assert_eq!(meter.charge(today).cost_micros, 0);
        assert!(meter.admits_new_conversation(today));
        assert_eq!(meter.charge(today).cost_micros, 10_000);
        assert_eq!(meter.due_announcement(), Some(QuotaLevel::Exhausted));
    }

    #[test]
    fn a_new_month_starts_from_zero() {
        let mut meter = QuotaMeter::new(quota(Some(2), false), 5, day("2026-11-30"));
        meter.announced(QuotaLevel::Exhausted);
        assert!(!meter.admits_new_conversation(day("2026-11-30")));
        assert!(meter.admits_new_conversation(day("2026-12-01")));
        assert_eq!(meter.used(), 0);
        assert_eq!(meter.period(), "2026-12");
        assert_eq!(meter.charge(day("2026-12-01")).day, day("2026-12-01"));
        assert_eq!(meter.due_announcement(), None);
    }

    #[test]
    fn unlimited_tiers_never_warn_and_an_upgrade_reopens() {
        let today = day("2026-11-24");
        let mut meter = QuotaMeter::new(quota(None, false), 1_000_000, today);
        assert!(meter.admits_new_conversation(today));
        assert_eq!(meter.charge(today).cost_micros, 0);
        assert_eq!(meter.due_announcement(), None);

        let mut meter = QuotaMeter::new(quota(Some(100), false), 100, today);
        meter.announced(QuotaLevel::Exhausted);
        meter.reconfigure(quota(Some(1_000), false), 90, today);
        assert_eq!(meter.used(), 100);
        assert!(meter.admits_new_conversation(today));
        assert_eq!(meter.due_announcement(), None);
    }
}
