//! Builds every customer-facing text of the shop bot from the
//! catalogue of the conversation's language ([`Phrases`]), with prices in
//! that language's style and the tenant's branding (WhatsApp formatting:
//! `*bold*`, `_italic_`).

use std::fmt::Write;

use rust_decimal::Decimal;

use super::phrases::Phrases;
use crate::catalog::MenuItem;
use crate::i18n::{Language, fill};
use crate::order::{OrderLine, OrderStatus};
use crate::plugin::TenantContext;

/// Stock at or below this is shown next to an item ("3 left").
const LOW_STOCK: u32 = 5;

/// The tenant speaking in one language.
pub(crate) struct Voice<'a> {
    tenant: &'a TenantContext,
    language: Language,
    phrases: &'static Phrases,
}

impl<'a> Voice<'a> {
    pub(crate) fn new(tenant: &'a TenantContext, language: Language) -> Self {
        Self {
            tenant,
            language,
            phrases: Phrases::of(language),
        }
    }

    fn money(&self, amount: Decimal) -> String {
        self.language
            .money(&self.tenant.settings.currency_symbol, amount)
    }

    fn business(&self) -> &str {
        &self.tenant.business_name
    }

    /// The template with the business name filled in.
    fn about_business(&self, template: &str) -> String {
        fill(template, &[("business", self.business())])
    }

    /// The tenant's branding as a closing line, if it has one.
    fn signature(&self) -> String {
        self.tenant
            .settings
            .branding
            .as_deref()
            .map(|branding| format!("\n\n_{}_", branding.trim()))
            .unwrap_or_default()
    }

    pub(crate) fn greeting(&self) -> String {
        let welcome = match &self.tenant.settings.greeting {
            Some(greeting) => greeting.trim().to_owned(),
            None => self.about_business(self.phrases.welcome),
        };
        format!("{welcome}\n{}{}", self.phrases.type_menu, self.signature())
    }

    pub(crate) fn closed(&self) -> String {
        let hours = self.tenant.settings.hours_lines(self.phrases.closed_day);
        let lines: Vec<String> = self
            .phrases
            .days
            .iter()
            .zip(hours)
            .map(|(day, hours)| format!("{day} {hours}"))
            .collect();
        format!(
            "{}\n{}",
            self.about_business(self.phrases.closed),
            lines.join("\n")
        )
    }

    pub(crate) fn below_minimum(&self, subtotal: Decimal) -> String {
        fill(
            self.phrases.below_minimum,
            &[
                ("minimum", &self.money(self.tenant.settings.minimum_order)),
                ("subtotal", &self.money(subtotal)),
            ],
        )
    }

    pub(crate) fn help(&self) -> String {
        self.phrases.help.to_owned()
    }

    pub(crate) fn menu(&self) -> String {
        let menu = &self.tenant.menu;
        if menu.is_empty() {
            return self.about_business(self.phrases.empty_menu);
        }
        let mut text = self.about_business(self.phrases.menu_title);
        let mut category: Option<&str> = None;
        for (number, item) in menu.numbered() {
            if category != Some(item.category.as_str()) {
                category = Some(item.category.as_str());
                let _ = write!(text, "\n\n*{}*", item.category);
            }
            let _ = write!(text, "\n{}", self.item_line(number, item));
        }
        let _ = write!(text, "\n\n{}", self.phrases.hint);
        text
    }

    /// One item as a listing line: number, name, price and stock when low.
    fn item_line(&self, number: usize, item: &MenuItem) -> String {
        let stock = match item.stock {
            Some(0) => format!(" ({})", self.phrases.sold_out_tag),
            Some(left) if left <= LOW_STOCK => format!(
                " ({})",
                fill(self.phrases.left, &[("count", &left.to_string())])
            ),
            _ => String::new(),
        };
        let prescription = if item.prescription_required {
            format!(" [{}]", self.phrases.prescription_tag)
        } else {
            String::new()
        };
        format!(
            "{number}. {} – {}{prescription}{stock}",
            item.display_name(),
            self.money(item.price)
        )
    }

    pub(crate) fn categories(&self) -> String {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for (_, item) in self.tenant.menu.numbered() {
            match counts.iter_mut().find(|(c, _)| *c == item.category) {
                Some((_, count)) => *count += 1,
                None => counts.push((&item.category, 1)),
            }
        }
        if counts.is_empty() {
            return self.about_business(self.phrases.empty_menu);
        }
        let lines: Vec<String> = counts
            .iter()
            .map(|(category, count)| format!("• {category} ({count})"))
            .collect();
        format!(
            "{}\n{}\n\n{}",
            self.phrases.categories_title,
            lines.join("\n"),
            self.phrases.categories_hint
        )
    }

    /// A titled list of numbered items.
    pub(crate) fn listing(&self, title: &str, items: &[(usize, &MenuItem)]) -> String {
        let lines: Vec<String> = items
            .iter()
            .map(|(number, item)| self.item_line(*number, item))
            .collect();
        format!("{title}\n{}\n\n{}", lines.join("\n"), self.phrases.hint)
    }

    pub(crate) fn found(&self, query: &str, items: &[(usize, &MenuItem)]) -> String {
        let shown: String = query.chars().take(40).collect();
        self.listing(&fill(self.phrases.found, &[("query", &shown)]), items)
    }

    pub(crate) fn unavailable(&self, item: &MenuItem, alternatives: &[(usize, String)]) -> String {
        let mut text = fill(self.phrases.unavailable, &[("item", &item.display_name())]);
        self.append_alternatives(&mut text, alternatives);
        text
    }

    pub(crate) fn only_left(&self, item: &MenuItem, left: u32) -> String {
        fill(
            self.phrases.only_left,
            &[("count", &left.to_string()), ("item", &item.display_name())],
        )
    }

    fn append_alternatives(&self, text: &mut String, alternatives: &[(usize, String)]) {
        if !alternatives.is_empty() {
            let choices: Vec<String> = alternatives
                .iter()
                .map(|(number, name)| format!("*{number}* {name}"))
                .collect();
            let _ = write!(
                text,
                "\n{}",
                fill(self.phrases.alternatives, &[("items", &choices.join(", "))])
            );
        }
    }

    fn cart_lines(&self, cart: &[OrderLine]) -> String {
        cart.iter()
            .map(|line| {
                format!(
                    "• {} x {} – {}",
                    line.quantity,
                    line.name,
                    self.money(line.line_total())
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn total_line(&self, total: Decimal) -> String {
        fill(self.phrases.total, &[("amount", &self.money(total))])
    }

    pub(crate) fn cart(&self, cart: &[OrderLine]) -> String {
        if cart.is_empty() {
            return self.phrases.cart_empty.to_owned();
        }
        let total: Decimal = cart.iter().map(OrderLine::line_total).sum();
        format!(
            "{}\n{}\n{}\n\n{}",
            self.phrases.cart_title,
            self.cart_lines(cart),
            self.total_line(total),
            self.phrases.cart_footer
        )
    }

    pub(crate) fn added(&self, name: &str, quantity: u32, total: Decimal) -> String {
        fill(
            self.phrases.added,
            &[
                ("quantity", &quantity.to_string()),
                ("name", name),
                ("total", &self.money(total)),
            ],
        )
    }

    pub(crate) fn removed(&self, name: &str, cart_now: &[OrderLine]) -> String {
        format!(
            "{}\n\n{}",
            fill(self.phrases.removed, &[("name", name)]),
            self.cart(cart_now)
        )
    }

    pub(crate) fn not_in_cart(&self, name: &str) -> String {
        fill(self.phrases.not_in_cart, &[("name", name)])
    }

    pub(crate) fn unknown_item(&self, number: usize) -> String {
        let count = self.tenant.menu.numbered().count();
        if count == 0 {
            return self.menu();
        }
        fill(
            self.phrases.unknown_item,
            &[
                ("number", &number.to_string()),
                ("count", &count.to_string()),
            ],
        )
    }

    pub(crate) fn quantity_out_of_range(&self) -> String {
        fill(
            self.phrases.quantity_out_of_range,
            &[("max", &super::MAX_LINE_QUANTITY.to_string())],
        )
    }

    pub(crate) fn item_info(&self, number: usize, item: &MenuItem) -> String {
        let mut text = format!(
            "*{number}. {}* – {}",
            item.display_name(),
            self.money(item.price)
        );
        if !item.description.is_empty() {
            let _ = write!(text, "\n{}", item.description);
        }
        let _ = write!(
            text,
            "\n{}",
            fill(self.phrases.add_hint, &[("number", &number.to_string())])
        );
        text
    }

    pub(crate) fn cleared(&self) -> String {
        self.phrases.cleared.to_owned()
    }

    fn dropped_notice(&self, dropped: &[String]) -> String {
        if dropped.is_empty() {
            String::new()
        } else {
            let items = dropped.join(", ");
            format!("{}\n", fill(self.phrases.dropped, &[("items", &items)]))
        }
    }

    pub(crate) fn empty_cart_checkout(&self, dropped: &[String]) -> String {
        format!(
            "{}{}",
            self.dropped_notice(dropped),
            self.phrases.empty_cart_checkout
        )
    }

    pub(crate) fn ask_address(&self, dropped: &[String]) -> String {
        format!(
            "{}{}",
            self.dropped_notice(dropped),
            self.phrases.ask_address
        )
    }

    pub(crate) fn address_too_short(&self) -> String {
        self.phrases.address_too_short.to_owned()
    }

    pub(crate) fn prescription_needed(&self, dropped: &[String], items: &[String]) -> String {
        format!(
            "{}{}",
            self.dropped_notice(dropped),
            fill(
                self.phrases.prescription_needed,
                &[("items", &items.join(", "))]
            )
        )
    }

    pub(crate) fn prescription_received(&self) -> String {
        format!(
            "{} {}",
            self.phrases.prescription_received, self.phrases.prescription_then_checkout
        )
    }

    /// The prescription came in at checkout: on to the address.
    pub(crate) fn prescription_received_at_checkout(&self) -> String {
        format!(
            "{}\n{}",
            self.phrases.prescription_received, self.phrases.ask_address
        )
    }

    pub(crate) fn prescription_wrong_type(&self) -> String {
        self.phrases.prescription_wrong_type.to_owned()
    }

    pub(crate) fn prescription_unavailable(&self) -> String {
        self.phrases.prescription_unavailable.to_owned()
    }

    pub(crate) fn prescription_waiting(&self) -> String {
        self.phrases.prescription_waiting.to_owned()
    }

    /// The order summary; `reviewed` when a pharmacist checks its
    /// prescription before it is confirmed.
    pub(crate) fn summary(
        &self,
        cart: &[OrderLine],
        address: &str,
        total: Decimal,
        reviewed: bool,
    ) -> String {
        let fee = self.tenant.settings.delivery_fee;
        let fee_line = if fee.is_zero() {
            String::new()
        } else {
            format!(
                "{}\n",
                fill(self.phrases.delivery, &[("amount", &self.money(fee))])
            )
        };
        let prescription_line = if reviewed {
            format!("\n{}", self.phrases.prescription_attached)
        } else {
            String::new()
        };
        format!(
            "{}\n{}\n{fee_line}{}\n{}{prescription_line}\n\n{}",
            self.phrases.summary_title,
            self.cart_lines(cart),
            self.total_line(total),
            fill(self.phrases.deliver_to, &[("address", address)]),
            self.phrases.confirm_question
        )
    }

    pub(crate) fn menu_changed_during_checkout(
        &self,
        dropped: &[String],
        cart_now: &[OrderLine],
        address: &str,
        total: Decimal,
        reviewed: bool,
    ) -> String {
        if cart_now.is_empty() {
            return self.empty_cart_checkout(dropped);
        }
        format!(
            "{}{}",
            self.dropped_notice(dropped),
            self.summary(cart_now, address, total, reviewed)
        )
    }

    pub(crate) fn confirm_prompt(&self) -> String {
        self.phrases.confirm_prompt.to_owned()
    }

    pub(crate) fn nothing_to_confirm(&self) -> String {
        format!("{} {}", self.phrases.nothing_to_confirm, self.phrases.hint)
    }

    pub(crate) fn checkout_paused(&self) -> String {
        self.phrases.checkout_paused.to_owned()
    }

    pub(crate) fn cancelled(&self, had_something: bool) -> String {
        if had_something {
            self.phrases.cancelled.to_owned()
        } else {
            self.phrases.nothing_to_cancel.to_owned()
        }
    }

    /// The order is saved; `reviewed` when it waits for a pharmacist.
    pub(crate) fn order_placed(&self, order_number: i64, total: Decimal, reviewed: bool) -> String {
        let template = if reviewed {
            self.phrases.order_placed_review
        } else {
            self.phrases.order_placed
        };
        let text = fill(
            template,
            &[
                ("number", &order_number.to_string()),
                ("total", &self.money(total)),
            ],
        );
        format!("{text}{}", self.signature())
    }

    pub(crate) fn sold_out(
        &self,
        sold_out: &[String],
        alternatives: &[(usize, String)],
        cart_now: &[OrderLine],
    ) -> String {
        let mut text = fill(self.phrases.sold_out, &[("items", &sold_out.join(", "))]);
        self.append_alternatives(&mut text, alternatives);
        let _ = write!(text, "\n\n{}", self.cart(cart_now));
        text
    }

    pub(crate) fn order_failed(&self) -> String {
        self.phrases.order_failed.to_owned()
    }

    pub(crate) fn status_notice(
        &self,
        order_number: i64,
        status: OrderStatus,
        reason: Option<&str>,
    ) -> String {
        let phrases = self.phrases;
        let template = match status {
            OrderStatus::Pending => phrases.status_pending,
            OrderStatus::Confirmed => phrases.status_confirmed,
            OrderStatus::Preparing => phrases.status_preparing,
            OrderStatus::OutForDelivery => phrases.status_out_for_delivery,
            OrderStatus::Delivered => phrases.status_delivered,
            OrderStatus::Cancelled => phrases.status_cancelled,
        };
        let notice = fill(
            template,
            &[
                ("business", self.business()),
                ("number", &order_number.to_string()),
            ],
        );
        match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(reason) => format!(
                "{notice}\n{}",
                fill(self.phrases.reason, &[("reason", reason)])
            ),
            None => notice,
        }
    }

    pub(crate) fn did_not_understand(&self, text: &str) -> String {
        let shown: String = text.chars().take(40).collect();
        if shown.is_empty() {
            return format!("{} {}", self.phrases.not_text, self.phrases.hint);
        }
        format!(
            "{} {}",
            fill(self.phrases.not_understood, &[("text", &shown)]),
            self.phrases.hint
        )
    }

    pub(crate) fn unknown_language(&self) -> String {
        format!(
            "{}\n\n{}",
            self.phrases.unknown_language,
            crate::i18n::choices(self.language)
        )
    }

    pub(crate) fn handoff_started(&self) -> String {
        self.about_business(self.phrases.handoff_started)
    }
}
