//! A tenant's bot settings (currency, language, greeting, branding, delivery
//! fee, minimum order, opening hours) and the rules they must follow. Every
//! bot reads them from its [`TenantContext`](crate::TenantContext); a bot
//! may add rules of its own through
//! [`Plugin::check_settings`](crate::Plugin::check_settings).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::i18n::Language;
use crate::text_rules::forbidden_character;

/// The day keys of [`BotSettings::opening_hours`], Monday first.
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Longest greeting, in characters.
const MAX_GREETING: usize = 500;
/// Longest branding text, in characters.
const MAX_BRANDING: usize = 200;

/// A tenant's bot settings. Absent fields take their defaults; unknown
/// fields are refused.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotSettings {
    /// Currency symbol in prices, 1 to 4 characters (default `$`).
    pub currency_symbol: String,
    /// Language of the bot's texts: `en` (default), `es`, `pt`, `fr` or `ar`;
    /// each customer may switch.
    pub language: String,
    /// Replaces the bot's welcome line (at most 500 characters).
    pub greeting: Option<String>,
    /// Signs greetings and order confirmations (at most 200 characters).
    pub branding: Option<String>,
    /// Added to every order, 0 to 1000 (default 0).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2.50"))]
    pub delivery_fee: Decimal,
    /// Smallest cart total accepted at checkout, 0 to 100000 (default 0).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "10.00"))]
    pub minimum_order: Decimal,
    /// The business's offset from UTC in minutes, -720 to 840 (default 0),
    /// for the opening hours.
    pub utc_offset_minutes: i32,
    /// Opening hours by day (`mon` … `sun`), each a list of `HH:MM-HH:MM`
    /// ranges in local time; a day not listed is closed. No entries at all:
    /// always open. Orders are only taken while open.
    pub opening_hours: BTreeMap<String, Vec<String>>,
}

impl Default for BotSettings {
    fn default() -> Self {
        Self {
            currency_symbol: "$".to_owned(),
            language: "en".to_owned(),
            greeting: None,
            branding: None,
            delivery_fee: Decimal::ZERO,
            minimum_order: Decimal::ZERO,
            utc_offset_minutes: 0,
            opening_hours: BTreeMap::new(),
        }
    }
}

/// One setting that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The setting, e.g. `opening_hours.mon`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// An opening range of one day, in minutes since local midnight.
type Range = (u32, u32);

fn minutes(hh_mm: &str) -> Option<u32> {
    if hh_mm == "24:00" {
        return Some(24 * 60);
    }
    let time = NaiveTime::parse_from_str(hh_mm, "%H:%M").ok()?;
    Some(time.signed_duration_since(NaiveTime::MIN).num_minutes() as u32)
}

fn parse_range(range: &str) -> Option<Range> {
    let (open, close) = range.split_once('-')?;
    let (open, close) = (minutes(open.trim())?, minutes(close.trim())?);
    (open < close).then_some((open, close))
}

impl BotSettings {
    /// Every rule these settings break (empty when they are valid).
    pub fn errors(&self) -> Vec<SettingError> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| {
            errors.push(SettingError {
                field: field.to_owned(),
                message,
            })
        };
        let symbol_chars = self.currency_symbol.trim().chars().count();
        if !(1..=4).contains(&symbol_chars) {
            fail("currency_symbol", "must be 1 to 4 characters".to_owned());
        }
        for (field, text, multiline) in [
            ("currency_symbol", Some(&self.currency_symbol), false),
            ("greeting", self.greeting.as_ref(), true),
            ("branding", self.branding.as_ref(), true),
        ] {
            if let Some(found) = text.and_then(|t| forbidden_character(t, multiline)) {
                fail(
                    field,
                    format!("must not contain control characters (found {found})"),
                );
            }
        }
        if self.language().code() != self.language {
            let codes: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
            fail("language", format!("must be one of {}", codes.join(", ")));
        }
        for (field, text, max) in [
            ("greeting", &self.greeting, MAX_GREETING),
            ("branding", &self.branding, MAX_BRANDING),
        ] {
            if let Some(text) = text {
                let chars = text.trim().chars().count();
                if chars == 0 || chars > max {
                    fail(field, format!("must be 1 to {max} characters"));
                }
            }
        }
        for (field, amount, max) in [
            ("delivery_fee", self.delivery_fee, 1_000),
            ("minimum_order", self.minimum_order, 100_000),
        ] {
            if amount < Decimal::ZERO || amount > Decimal::from(max) || amount.scale() > 2 {
                fail(
                    field,
                    format!("must be between 0 and {max} with at most 2 decimals"),
                );
            }
        }
        if !(-720..=840).contains(&self.utc_offset_minutes) {
            fail(
                "utc_offset_minutes",
                "must be between -720 and 840".to_owned(),
            );
        }
        for (day, ranges) in &self.opening_hours {
            if !DAYS.contains(&day.as_str()) {
                fail(
                    "opening_hours",
                    format!("unknown day {day:?}; use {}", DAYS.join(", ")),
                );
                continue;
            }
            for range in ranges {
                if parse_range(range).is_none() {
                    fail(
                        &format!("opening_hours.{day}"),
                        format!(
                            "{range:?} is not an HH:MM-HH:MM range that opens before it closes"
                        ),
                    );
                }
            }
        }
        errors
    }

    /// Whether the business is open at `at` (always, with no hours set).
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        if self.opening_hours.is_empty() {
            return true;
        }
        let local = at.naive_utc() + Duration::minutes(i64::from(self.utc_offset_minutes));
        let day = DAYS[local.weekday().num_days_from_monday() as usize];
        let now = local
            .time()
            .signed_duration_since(NaiveTime::MIN)
            .num_minutes() as u32;
        self.opening_hours.get(day).is_some_and(|ranges| {
            ranges
                .iter()
                .filter_map(|r| parse_range(r))
                .any(|(open, close)| open <= now && now < close)
        })
    }

    /// The tenant's default language (English if the stored code is unknown).
    pub fn language(&self) -> Language {
        Language::ALL
            .into_iter()
            .find(|l| l.code() == self.language)
            .unwrap_or_default()
    }

    /// Each day's opening hours, Monday first (`11:00-15:00, 18:00-23:00`,
    /// or `closed_word` for a day without hours).
    pub fn hours_lines(&self, closed_word: &str) -> Vec<String> {
        DAYS.iter()
            .map(|key| {
                self.opening_hours
                    .get(*key)
                    .filter(|ranges| !ranges.is_empty())
                    .map_or_else(|| closed_word.to_owned(), |ranges| ranges.join(", "))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hours(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(day, range)| (day.to_string(), vec![range.to_string()]))
            .collect()
    }

    #[test]
    fn defaults_are_valid_and_every_broken_rule_is_named() {
        assert!(BotSettings::default().errors().is_empty());
        let broken = BotSettings {
            currency_symbol: String::new(),
            language: "xx".into(),
            greeting: Some(" ".into()),
            delivery_fee: Decimal::new(-1, 0),
            minimum_order: Decimal::new(1001, 3),
            utc_offset_minutes: 900,
            opening_hours: hours(&[("mon", "22:00-11:00"), ("funday", "10:00-11:00")]),
            ..BotSettings::default()
        };
        let fields: Vec<String> = broken.errors().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "currency_symbol",
                "language",
                "greeting",
                "delivery_fee",
                "minimum_order",
                "utc_offset_minutes",
                "opening_hours",
                "opening_hours.mon",
            ]
        );
    }

    #[test]
    fn opening_hours_are_read_in_local_time() {
        let settings = BotSettings {
            utc_offset_minutes: 120,
            opening_hours: hours(&[("tue", "11:00-22:00")]),
            ..BotSettings::default()
        };
        // Tuesday 2026-11-24, 08:59 and 09:00 UTC = 10:59 and 11:00 local.
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).unwrap();
        assert!(!settings.is_open(at(8, 59)));
        assert!(settings.is_open(at(9, 0)));
        assert!(!settings.is_open(at(20, 0)), "22:00 local is closing time");
        assert!(
            BotSettings::default().is_open(at(3, 0)),
            "no hours: always open"
        );
        assert_eq!(settings.hours_lines("closed")[1], "11:00-22:00");
        assert_eq!(settings.hours_lines("closed")[0], "closed");
    }
}
