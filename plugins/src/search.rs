//! Finding catalog items from what a customer typed, tolerant of typos:
//! each word of the query must match a word of the item's name, variant or
//! category closely (a letter or two off by length, swapped letters counting
//! as one), or be a prefix of one.

use strsim::osa_distance;

use crate::catalog::{Menu, MenuItem};

/// Typos allowed in a word of `len` characters.
fn tolerance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn word_matches(query: &str, word: &str) -> bool {
    word.starts_with(query) && query.chars().count() >= 3
        || osa_distance(query, word) <= tolerance(query.chars().count())
}

/// Whether every word of `query` matches a word of `text`.
fn matches(query: &[String], text: &str) -> bool {
    let haystack = words(text);
    !query.is_empty()
        && query
            .iter()
            .all(|q| haystack.iter().any(|word| word_matches(q, word)))
}

/// The numbered items matching `query`, in menu order.
pub fn search<'m>(menu: &'m Menu, query: &str) -> Vec<(usize, &'m MenuItem)> {
    let query = words(query);
    menu.numbered()
        .filter(|(_, item)| {
            let text = format!(
                "{} {} {}",
                item.name,
                item.variant.as_deref().unwrap_or_default(),
                item.category
            );
            matches(&query, &text)
        })
        .collect()
}

/// The menu's category `query` names (typos allowed), if any.
pub fn category<'m>(menu: &'m Menu, query: &str) -> Option<&'m str> {
    let query = words(query);
    menu.numbered()
        .map(|(_, item)| item.category.as_str())
        .find(|category| {
            let name = words(category);
            name.len() == query.len() && name.iter().zip(&query).all(|(w, q)| word_matches(q, w))
        })
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn item(id: &str, name: &str, variant: Option<&str>, category: &str) -> MenuItem {
        MenuItem {
            item_id: id.into(),
            name: name.into(),
            description: String::new(),
            price: Decimal::new(1000, 2),
            category: category.into(),
            available: true,
            image_url: None,
            variant: variant.map(Into::into),
            stock: None,
            prescription_required: false,
        }
    }

    #[test]
    fn typos_and_prefixes_still_find_items_and_categories() {
        let menu = Menu::new(vec![
            item("tee-red-m", "T-shirt", Some("Red / M"), "Shirts"),
            item("tee-blue-l", "T-shirt", Some("Blue / L"), "Shirts"),
            item("sneaker", "Running sneakers", None, "Shoes"),
        ]);
        let ids = |query| -> Vec<&str> {
            search(&menu, query)
                .into_iter()
                .map(|(_, i)| i.item_id.as_str())
                .collect()
        };
        assert_eq!(
            ids("tshirt red"),
            ["tee-red-m"],
            "tshirt is one letter off shirt"
        );
        assert_eq!(ids("shirt red"), ["tee-red-m"]);
        assert_eq!(ids("sneakres"), ["sneaker"], "one swap is a typo away");
        assert_eq!(ids("snea"), ["sneaker"], "a prefix");
        assert_eq!(ids("blue"), ["tee-blue-l"]);
        assert!(ids("pizza").is_empty());
        assert_eq!(category(&menu, "shoe"), Some("Shoes"), "the singular");
        assert_eq!(
            category(&menu, "shirts please"),
            None,
            "the whole name, nothing else"
        );
        assert_eq!(category(&menu, "Shose"), Some("Shoes"));
    }
}
