//! Every customer-facing text of the restaurant bot, in one place
//! (WhatsApp formatting: `*bold*`, `_italic_`).

use std::fmt::Write;

use rust_decimal::Decimal;

use crate::catalog::{MenuItem, format_money};
use crate::order::{OrderLine, OrderStatus};
use crate::plugin::TenantContext;

const HINT: &str = "Send an item number to add it (e.g. *3*, or *2x 3* for two), *cart* to see your order, *help* for all commands.";

/// The tenant's branding as a closing line, if it has one.
fn signature(tenant: &TenantContext) -> String {
    tenant
        .settings
        .branding
        .as_deref()
        .map(|branding| format!("\n\n_{}_", branding.trim()))
        .unwrap_or_default()
}

pub(crate) fn greeting(tenant: &TenantContext) -> String {
    let welcome = match &tenant.settings.greeting {
        Some(greeting) => greeting.trim().to_owned(),
        None => format!(
            "👋 Welcome to *{}*! I can take your order right here.",
            tenant.business_name
        ),
    };
    format!(
        "{welcome}\nType *menu* to see what we have today.{}",
        signature(tenant)
    )
}

pub(crate) fn closed(tenant: &TenantContext) -> String {
    format!(
        "🕒 Sorry, *{}* is closed right now, so we cannot take orders. Your cart is kept.\nOpening hours:\n{}",
        tenant.business_name,
        tenant.settings.hours_lines().join("\n")
    )
}

pub(crate) fn below_minimum(tenant: &TenantContext, subtotal: Decimal) -> String {
    let money = |amount| format_money(&tenant.settings.currency_symbol, amount);
    format!(
        "The minimum order is {}; your cart comes to {}. Add something more, then *checkout*.",
        money(tenant.settings.minimum_order),
        money(subtotal)
    )
}

pub(crate) fn help() -> String {
    [
        "Here is what I understand:",
        "• *menu* – see the menu",
        "• *3* or *2x 3* – add item 3 (two of them)",
        "• *info 3* – details of item 3",
        "• *remove 3* – take item 3 out of your cart",
        "• *cart* – see your cart",
        "• *clear* – empty your cart",
        "• *checkout* – place your order",
        "• *cancel* – start over",
    ]
    .join("\n")
}

pub(crate) fn menu(tenant: &TenantContext) -> String {
    if tenant.menu.is_empty() {
        return format!(
            "Sorry, *{}* has nothing on the menu right now. Please check back later.",
            tenant.business_name
        );
    }
    let mut text = format!("📋 *{} – Menu*", tenant.business_name);
    let mut category: Option<&str> = None;
    for (number, item) in tenant.menu.numbered() {
        if category != Some(item.category.as_str()) {
            category = Some(item.category.as_str());
            let _ = write!(text, "\n\n*{}*", item.category);
        }
        let _ = write!(
            text,
            "\n{number}. {} – {}",
            item.name,
            format_money(&tenant.settings.currency_symbol, item.price)
        );
    }
    let _ = write!(text, "\n\n{HINT}");
    text
}

fn cart_lines(tenant: &TenantContext, cart: &[OrderLine]) -> String {
    cart.iter()
        .map(|line| {
            format!(
                "• {} x {} – {}",
                line.quantity,
                line.name,
                format_money(&tenant.settings.currency_symbol, line.line_total())
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn total_line(tenant: &TenantContext, total: Decimal) -> String {
    format!(
        "*Total: {}*",
        format_money(&tenant.settings.currency_symbol, total)
    )
}

pub(crate) fn cart(tenant: &TenantContext, cart: &[OrderLine]) -> String {
    if cart.is_empty() {
        return "🛒 Your cart is empty. Type *menu* to see what we have.".to_owned();
    }
    let total: Decimal = cart.iter().map(OrderLine::line_total).sum();
    format!(
        "🛒 *Your cart*\n{}\n{}\n\nType *checkout* to order, or *remove N* to take an item out.",
        cart_lines(tenant, cart),
        total_line(tenant, total)
    )
}

pub(crate) fn added(tenant: &TenantContext, name: &str, quantity: u32, total: Decimal) -> String {
    format!(
        "✅ Added {quantity} x {name}. Cart total: {}.\nAdd more, or type *checkout* when you are ready.",
        format_money(&tenant.settings.currency_symbol, total)
    )
}

pub(crate) fn removed(tenant: &TenantContext, name: &str, cart_now: &[OrderLine]) -> String {
    format!("Removed {name}.\n\n{}", cart(tenant, cart_now))
}

pub(crate) fn not_in_cart(name: &str) -> String {
    format!("{name} is not in your cart. Type *cart* to see it.")
}

pub(crate) fn unknown_item(tenant: &TenantContext, number: usize) -> String {
    let count = tenant.menu.numbered().count();
    if count == 0 {
        return menu(tenant);
    }
    format!(
        "There is no item {number} on the menu; items go from 1 to {count}. Type *menu* to see them."
    )
}

pub(crate) fn quantity_out_of_range() -> String {
    format!(
        "Please choose a quantity from 1 to {} per item.",
        super::MAX_LINE_QUANTITY
    )
}

pub(crate) fn item_info(tenant: &TenantContext, number: usize, item: &MenuItem) -> String {
    let mut text = format!(
        "*{number}. {}* – {}",
        item.name,
        format_money(&tenant.settings.currency_symbol, item.price)
    );
    if !item.description.is_empty() {
        let _ = write!(text, "\n{}", item.description);
    }
    let _ = write!(text, "\nSend *{number}* to add it to your cart.");
    text
}

pub(crate) fn cleared() -> String {
    "🗑️ Your cart is now empty. Type *menu* to start again.".to_owned()
}

fn dropped_notice(dropped: &[String]) -> String {
    if dropped.is_empty() {
        String::new()
    } else {
        format!(
            "Sorry, no longer available and taken out of your cart: {}.\n",
            dropped.join(", ")
        )
    }
}

pub(crate) fn empty_cart_checkout(dropped: &[String]) -> String {
    format!(
        "{}Your cart is empty, so there is nothing to check out yet. Type *menu* to choose something.",
        dropped_notice(dropped)
    )
}

pub(crate) fn ask_address(dropped: &[String]) -> String {
    format!(
        "{}📍 Where should we deliver? Please send your full delivery address.",
        dropped_notice(dropped)
    )
}

pub(crate) fn address_too_short() -> String {
    "That address looks too short. Please send the full delivery address (street, number, city), or *cancel*.".to_owned()
}

pub(crate) fn summary(
    tenant: &TenantContext,
    cart: &[OrderLine],
    address: &str,
    total: Decimal,
) -> String {
    let fee = tenant.settings.delivery_fee;
    let fee_line = if fee.is_zero() {
        String::new()
    } else {
        format!(
            "Delivery: {}\n",
            format_money(&tenant.settings.currency_symbol, fee)
        )
    };
    format!(
        "🧾 *Order summary*\n{}\n{fee_line}{}\n📍 Deliver to: {address}\n\nReply *yes* to place the order or *no* to change it.",
        cart_lines(tenant, cart),
        total_line(tenant, total)
    )
}

pub(crate) fn menu_changed_during_checkout(
    tenant: &TenantContext,
    dropped: &[String],
    cart_now: &[OrderLine],
    address: &str,
    total: Decimal,
) -> String {
    if cart_now.is_empty() {
        return empty_cart_checkout(dropped);
    }
    format!(
        "{}{}",
        dropped_notice(dropped),
        summary(tenant, cart_now, address, total)
    )
}

pub(crate) fn confirm_prompt() -> String {
    "Please reply *yes* to place your order, or *no* to change it.".to_owned()
}

pub(crate) fn nothing_to_confirm() -> String {
    format!("There is nothing to confirm yet. {HINT}")
}

pub(crate) fn checkout_paused() -> String {
    "No problem, your cart is kept. Change it as you like and type *checkout* when ready."
        .to_owned()
}

pub(crate) fn cancelled(had_something: bool) -> String {
    if had_something {
        "Order cancelled and cart emptied. Type *menu* whenever you want to start again.".to_owned()
    } else {
        "Nothing to cancel. Type *menu* to see what we have.".to_owned()
    }
}

pub(crate) fn order_placed(tenant: &TenantContext, order_number: i64, total: Decimal) -> String {
    format!(
        "🎉 Thank you! Your order *#{order_number}* is placed ({}). We will let you know as it moves along.{}",
        format_money(&tenant.settings.currency_symbol, total),
        signature(tenant)
    )
}

pub(crate) fn order_failed() -> String {
    "Sorry, we could not place your order just now. Please reply *yes* to try again in a moment."
        .to_owned()
}

pub(crate) fn status_notice(
    tenant: &TenantContext,
    order_number: i64,
    status: OrderStatus,
) -> String {
    let what = match status {
        OrderStatus::Pending => "has been received",
        OrderStatus::Confirmed => "is confirmed ✅",
        OrderStatus::Preparing => "is being prepared 👩‍🍳",
        OrderStatus::OutForDelivery => "is on its way 🛵",
        OrderStatus::Delivered => "has been delivered. Enjoy! 😋",
        OrderStatus::Cancelled => "has been cancelled. Sorry for the trouble",
    };
    format!(
        "*{}*: your order *#{order_number}* {what}.",
        tenant.business_name
    )
}

pub(crate) fn did_not_understand(text: &str) -> String {
    let shown: String = text.chars().take(40).collect();
    if shown.is_empty() {
        return format!("I can only read text messages for now. {HINT}");
    }
    format!("Sorry, I did not understand \"{shown}\". {HINT}")
}
