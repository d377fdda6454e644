//! The tenant's catalog as a bot sees it: menu items, their customer-facing
//! numbering, and money formatting.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One sellable item of a tenant's menu or catalog.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MenuItem {
    /// The tenant's own stable code for the item (for example `margherita`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub item_id: String,
    /// Display name (no control characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub name: String,
    /// Short description, may be empty.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: String,
    /// Unit price in the tenant's currency, 0 to 9999999.99, two decimals.
    pub price: Decimal,
    /// Category used to group the menu (for example `Pizzas`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 60))]
    pub category: String,
    /// Unavailable items are hidden from customers.
    #[serde(default = "available_by_default")]
    pub available: bool,
    /// Optional picture of the item, sent when a customer asks about it:
    /// a public `https://` URL (WAHA fetches it).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^https://"))]
    pub image_url: Option<String>,
    /// The variant this item is of a product (`Red / M`); items sharing a
    /// name are the variants of one product.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 60))]
    pub variant: Option<String>,
    /// Units left, when the tenant counts them (absent: not counted).
    /// Placing an order takes them atomically; an order for more than is
    /// left is refused.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 1_000_000))]
    pub stock: Option<u32>,
    /// Sold on prescription only (pharmacies): the customer sends a photo
    /// or PDF of it and a pharmacist approves the order.
    #[serde(default)]
    pub prescription_required: bool,
}

impl MenuItem {
    /// The name customers see: with the variant, if any (`T-shirt (Red / M)`).
    pub fn display_name(&self) -> String {
        match &self.variant {
            Some(variant) => format!("{} ({variant})", self.name),
            None => self.name.clone(),
        }
    }

    /// Whether counted stock has run out.
    pub fn sold_out(&self) -> bool {
        self.stock == Some(0)
    }
}

fn available_by_default() -> bool {
    true
}

/// The menu as customers see it: available items grouped by category (in the
/// order categories first appear) and numbered 1..=N in that display order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Menu {
    numbered: Vec<MenuItem>,
}

impl Menu {
    /// Builds the customer view from the tenant's items, in the tenant's order.
    pub fn new(items: Vec<MenuItem>) -> Self {
        let mut categories: Vec<String> = Vec::new();
        for item in items.iter().filter(|i| i.available) {
            if !categories.contains(&item.category) {
                categories.push(item.category.clone());
            }
        }
        let numbered = categories
            .iter()
            .flat_map(|category| {
                items
                    .iter()
                    .filter(move |i| i.available && &i.category == category)
                    .cloned()
            })
            .collect();
        Self { numbered }
    }

    /// The item a customer means by `number` (1-based), if any.
    pub fn by_number(&self, number: usize) -> Option<&MenuItem> {
        number.checked_sub(1).and_then(|i| self.numbered.get(i))
    }

    /// The item with this `item_id`, if customers can see it.
    pub fn by_id(&self, item_id: &str) -> Option<&MenuItem> {
        self.numbered.iter().find(|i| i.item_id == item_id)
    }

    /// The customer-facing number of the item with this `item_id`.
    pub fn number_of(&self, item_id: &str) -> Option<usize> {
        self.numbered
            .iter()
            .position(|i| i.item_id == item_id)
            .map(|i| i + 1)
    }

    /// Items with their numbers, in display order.
    pub fn numbered(&self) -> impl Iterator<Item = (usize, &MenuItem)> {
        self.numbered
            .iter()
            .enumerate()
            .map(|(i, item)| (i + 1, item))
    }

    /// True when no item is available.
    pub fn is_empty(&self) -> bool {
        self.numbered.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, category: &str, available: bool) -> MenuItem {
        MenuItem {
            item_id: id.into(),
            name: id.into(),
            description: String::new(),
            price: Decimal::new(500, 2),
            category: category.into(),
            available,
            image_url: None,
            variant: None,
            stock: None,
            prescription_required: false,
        }
    }

    #[test]
    fn numbers_follow_category_grouping_and_skip_unavailable_items() {
        let menu = Menu::new(vec![
            item("a", "Pizza", true),
            item("b", "Drinks", true),
            item("c", "Pizza", false),
            item("d", "Pizza", true),
        ]);
        let order: Vec<_> = menu
            .numbered()
            .map(|(n, i)| (n, i.item_id.as_str()))
            .collect();
        assert_eq!(order, vec![(1, "a"), (2, "d"), (3, "b")]);
        assert_eq!(menu.by_number(0), None);
        assert_eq!(menu.number_of("b"), Some(3));
    }
}
