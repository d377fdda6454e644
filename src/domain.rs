//! Input parsed at the boundary: each function turns raw API input into a
//! checked value or a message saying exactly what is wrong.

use rust_decimal::Decimal;
use wabot_plugins::MenuItem;
use wabot_plugins::text_rules::forbidden_character;

/// Largest price accepted (9999999.99): NUMERIC(10,2) with headroom for totals.
const MAX_PRICE: Decimal = Decimal::from_parts(999_999_999, 0, 0, false, 2);

/// Trimmed one-line text of 1..=`max` characters, with no control or
/// direction-changing characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let value = checked_text(field, value, max, false)?;
    if value.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    Ok(value)
}

/// Trimmed free text of at most `max` characters (may be empty): line
/// breaks and tabs are allowed, other control characters are not.
pub fn free_text(field: &str, value: &str, max: usize) -> Result<String, String> {
    checked_text(field, value, max, true)
}

/// `value` trimmed, refused if it holds a forbidden character (line
/// breaks and tabs allowed when `multiline`) or is longer than `max`.
fn checked_text(field: &str, value: &str, max: usize, multiline: bool) -> Result<String, String> {
    let value = value.trim();
    if let Some(found) = forbidden_character(value, multiline) {
        return Err(format!(
            "{field} must not contain control characters (found {found})"
        ));
    }
    if value.chars().count() > max {
        return Err(format!("{field} must be at most {max} characters"));
    }
    Ok(value.to_owned())
}

/// Where in `value` a string or a key holds a NUL character, as a path
/// (`items[2].name`), which neither PostgreSQL's `text` nor its `jsonb`
/// can store. `None` when there is none.
pub fn nul_character_at(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0').then(String::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            nul_character_at(item).map(|inner| format!("[{index}]{}", dotted(&inner)))
        }),
        Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            if key.contains('\0') {
                return Some(key.replace('\0', "\\0"));
            }
            nul_character_at(field).map(|inner| format!("{key}{}", dotted(&inner)))
        }),
        _ => None,
    }
}

/// `inner` as the rest of a path: `.name`, `[2]`, or nothing.
fn dotted(inner: &str) -> String {
    if inner.is_empty() || inner.starts_with('[') {
        inner.to_owned()
    } else {
        format!(".{inner}")
    }
}

/// An international phone number as digits only (`+1 (555) 123-4567` →
/// `15551234567`), 7 to 15 digits (E.164).
pub fn phone_number(value: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    if !value.chars().all(allowed) {
        return Err(
            "phone_number may contain only digits, spaces, '+', '-', '(', ')' and '.'".to_owned(),
        );
    }
    let digits: String = value
        .trim_start_matches(['+', ' '])
        .trim_start_matches("00")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if !(7..=15).contains(&digits.len()) {
        return Err("phone_number must have 7 to 15 digits in international format".to_owned());
    }
    Ok(digits)
}

/// A WAHA session name: 1..=64 of `A-Z a-z 0-9 _ -`.
pub fn session_name(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(value.to_owned())
    } else {
        Err("session_name must be 1 to 64 letters, digits, '_' or '-'".to_owned())
    }
}

/// A webhook HMAC key: at least 16 characters, so it cannot be guessed.
pub fn webhook_secret(value: &str) -> Result<String, String> {
    if value.chars().count() >= 16 && value.len() <= 256 {
        Ok(value.to_owned())
    } else {
        Err("webhook_secret must be 16 to 256 characters".to_owned())
    }
}

/// An `http://` or `https://` base URL without a trailing slash.
pub fn base_url(value: &str) -> Result<String, String> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or_else(|| "base_url must start with http:// or https://".to_owned())?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err("base_url must name a host, for example http://waha:3000".to_owned());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// Why one row of a menu (or an import) was refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based position of the item in the request (the line after the
    /// header, for CSV).
    pub row: usize,
    /// The item's code as sent.
    pub item_id: String,
    /// What is wrong with it.
    pub message: String,
}

/// One menu item, trimmed and checked.
pub fn menu_item(item: &MenuItem) -> Result<MenuItem, String> {
    let checked = MenuItem {
        item_id: text("item_id", &item.item_id, 64)?,
        name: text("name", &item.name, 120)?,
        description: free_text("description", &item.description, 500)?,
        price: item.price,
        category: text("category", &item.category, 60)?,
        available: item.available,
        image_url: item.image_url.clone(),
        variant: item
            .variant
            .as_deref()
            .map(|v| text("variant", v, 60))
            .transpose()?,
        stock: item.stock,
        prescription_required: item.prescription_required,
    };
    if checked.price.is_sign_negative() || checked.price > MAX_PRICE {
        return Err("price must be between 0 and 9999999.99".to_owned());
    }
    if checked.price.scale() > 2 && checked.price != checked.price.round_dp(2) {
        return Err("price must have at most two decimals".to_owned());
    }
    if checked.stock.is_some_and(|stock| stock > 1_000_000) {
        return Err("stock must be between 0 and 1000000".to_owned());
    }
    if let Some(url) = &checked.image_url {
        base_url(url).map_err(|_| "image_url must be an http(s) URL".to_owned())?;
    }
    Ok(checked)
}

/// Items with their row numbers: every one valid and `item_id`s unique,
/// or every refused row with its reason.
pub fn menu(
    rows: impl IntoIterator<Item = (usize, MenuItem)>,
) -> Result<Vec<MenuItem>, Vec<RowError>> {
    let mut seen = std::collections::HashSet::new();
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for (row, item) in rows {
        let refuse = |message: String| RowError {
            row,
            item_id: item.item_id.clone(),
            message,
        };
        match menu_item(&item) {
            Ok(valid) if !seen.insert(valid.item_id.clone()) => {
                errors.push(refuse("item_id is used twice".to_owned()));
            }
            Ok(valid) => checked.push(valid),
            Err(message) => errors.push(refuse(message)),
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalised_to_digits() {
        assert_eq!(phone_number("+1 (555) 123-4567").unwrap(), "15551234567");
        assert_eq!(phone_number("0044 20 7946 0958").unwrap(), "442079460958");
        assert!(phone_number("12345").is_err());
        assert!(phone_number("555-CALL-NOW").is_err());
    }

    #[test]
    fn menus_with_bad_items_name_the_item() {
        let item = |id: &str, cents: i64| MenuItem {
            item_id: id.into(),
            name: "Soup".into(),
            description: String::new(),
            price: Decimal::new(cents, 2),
            category: "Starters".into(),
            available: true,
            image_url: None,
            variant: None,
            stock: None,
            prescription_required: false,
        };
        assert!(menu((1..).zip([item("a", 100), item("b", 250)])).is_ok());
        assert_eq!(
            menu((1..).zip([item("a", 100), item("a", 1)])).unwrap_err(),
            vec![RowError {
                row: 2,
                item_id: "a".into(),
                message: "item_id is used twice".into()
            }]
        );
        let mut precise = item("p", 0);
        precise.price = Decimal::new(1005, 3);
        let errors = menu((1..).zip([item("a", -1), item("b", 1), precise])).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), [1, 3]);
        assert!(errors[0].message.contains("price"));
        assert!(errors[1].message.contains("two decimals"));
    }

    #[test]
    fn control_and_direction_characters_are_refused_in_names() {
        assert_eq!(text("name", "  Rosa's  ", 20).unwrap(), "Rosa's");
        for bad in [
            "a\u{1b}[31mred",
            "a\0b",
            "line\nbreak",
            "evil\u{202E}gpj.exe",
            "x\u{85}y",
        ] {
            let error = text("name", bad, 50).unwrap_err();
            assert!(
                error.contains("control characters (found U+"),
                "{bad:?}: {error}"
            );
        }
        assert_eq!(
            free_text("description", "two\nlines\tand a tab", 50).unwrap(),
            "two\nlines\tand a tab"
        );
        assert!(free_text("description", "bell\u{7}", 50).is_err());
        assert_eq!(
            free_text("description", &"x".repeat(501), 500).unwrap_err(),
            "description must be at most 500 characters"
        );
    }

    #[test]
    fn a_nul_character_is_found_with_its_path() {
        let value = serde_json::json!({"a": "ok", "items": [{"name": "x"}, {"name": "y\u{0000}"}]});
        assert_eq!(nul_character_at(&value).as_deref(), Some("items[1].name"));
        assert_eq!(
            nul_character_at(&serde_json::json!("\u{0000}")).as_deref(),
            Some("")
        );
        assert_eq!(
            nul_character_at(&serde_json::json!({"k": [1, "fine"]})),
            None
        );
    }

    #[test]
    fn session_names_and_urls_are_checked() {
        assert!(session_name("tenant-42").is_ok());
        assert!(session_name("bad name").is_err());
        assert_eq!(base_url("http://waha:3000/").unwrap(), "http://waha:3000");
        assert!(base_url("ftp://x").is_err());
        assert!(webhook_secret("short").is_err());
    }
}
