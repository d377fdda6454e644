//! The shop bot, one engine for restaurants, retail shops and pharmacies
//! ([`ShopBot`]): greeting, numbered menu or catalog by category,
//! categories and typo-tolerant search, variants with stock, cart, delivery
//! address, order summary and confirmation, order status notices, handover,
//! languages. The kinds differ in the conversation state they are tagged
//! with and in their [`ShopRules`]: a pharmacy asks for a prescription at
//! checkout for prescription-only items (a photo or PDF, or one sent
//! earlier), and such an order waits for a pharmacist to approve or refuse
//! it through the API; the customer is told either way.
//!
//! `menu`, `cart`, `help` and `cancel` work at every step; any input the bot
//! does not understand gets a hint, never silence.

mod command;
mod phrases;
pub mod state;
#[cfg(test)]
mod tests;
mod texts;

use chrono::{DateTime, Utc};

use crate::catalog::{Menu, MenuItem};
use crate::i18n::{LanguageRequest, language_request};
use crate::order::{OrderDraft, OrderLine};
use crate::plugin::{
    Action, Attachment, ConversationState, Event, Plugin, PluginKind, TenantContext,
};
use crate::search;
use command::Command;
use state::ShopRules;
pub use state::{ShopState, Step};
use texts::Voice;

pub use crate::order::MAX_LINE_QUANTITY;

/// Shortest text accepted as a delivery address.
const MIN_ADDRESS_CHARS: usize = 5;

/// The shop bot: one engine, told apart by the kind of business it serves
/// and the rules that kind adds. Stateless: all state lives in
/// [`ShopState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShopBot {
    kind: PluginKind,
    rules: ShopRules,
}

impl ShopBot {
    /// Restaurants: a menu by category, delivery.
    pub const RESTAURANT: ShopBot = ShopBot {
        kind: PluginKind::Restaurant,
        rules: ShopRules {
            prescriptions: false,
        },
    };
    /// Shops with a catalog: categories and search, variants with stock.
    pub const RETAIL: ShopBot = ShopBot {
        kind: PluginKind::Retail,
        rules: ShopRules {
            prescriptions: false,
        },
    };
    /// Pharmacies: prescription-only items need a prescription (a photo or
    /// PDF the runtime fetches and keeps), and such orders wait for a
    /// pharmacist's review.
    pub const PHARMACY: ShopBot = ShopBot {
        kind: PluginKind::Pharmacy,
        rules: ShopRules {
            prescriptions: true,
        },
    };
}

impl Plugin for ShopBot {
    fn kind(&self) -> PluginKind {
        self.kind
    }

    fn initial_state(&self) -> ConversationState {
        let fresh = ShopState::default();
        match self.kind {
            PluginKind::Retail => ConversationState::Retail(fresh),
            PluginKind::Pharmacy => ConversationState::Pharmacy(fresh),
            PluginKind::Restaurant | PluginKind::Flow => ConversationState::Restaurant(fresh),
        }
    }

    fn wants_attachments(&self) -> bool {
        self.rules.prescriptions
    }

    /// A conversation another bot left starts afresh, then the shop engine
    /// advances it under this kind's rules.
    fn handle(
        &self,
        tenant: &TenantContext,
        state: &mut ConversationState,
        event: &Event<'_>,
    ) -> Vec<Action> {
        state.adopt_by(self);
        match state {
            ConversationState::Restaurant(shop)
            | ConversationState::Retail(shop)
            | ConversationState::Pharmacy(shop) => handle_shop(tenant, shop, event, self.rules),
            // adopt_by has just made it a shop state; should a future
            // state slip through, the customer still gets an answer.
            ConversationState::Flow(_) => {
                let voice = Voice::new(tenant, tenant.settings.language());
                reply(voice.greeting())
            }
        }
    }
}

/// Advances a shop conversation by one event.
fn handle_shop(
    tenant: &TenantContext,
    state: &mut ShopState,
    event: &Event<'_>,
    rules: ShopRules,
) -> Vec<Action> {
    let voice = Voice::new(tenant, state.language.unwrap_or(tenant.settings.language()));
    match event {
        Event::Message { .. } if state.handed_over => Vec::new(),
        Event::Message {
            attachment: Some(attachment),
            ..
        } if rules.prescriptions => on_prescription(&voice, state, attachment),
        Event::Message { text, at, .. } => on_message(tenant, &voice, state, rules, text, *at),
        Event::OrderPlaced { order_number } => {
            let total = state.order_total(&tenant.settings);
            let reviewed = state.prescription_for_order(rules, &tenant.menu).is_some();
            state.reset();
            reply(voice.order_placed(*order_number, total, reviewed))
        }
        Event::OrderFailed => reply(voice.order_failed()),
        Event::SoldOut { item_ids } => {
            let sold_out: Vec<String> = state
                .cart
                .iter()
                .filter(|line| item_ids.contains(&line.item_id))
                .map(|line| line.name.clone())
                .collect();
            let alternatives = alternatives_to(&tenant.menu, item_ids);
            state.cart.retain(|line| !item_ids.contains(&line.item_id));
            state.step = Step::Browsing;
            reply(voice.sold_out(&sold_out, &alternatives, &state.cart))
        }
        Event::HandedBack => {
            state.handed_over = false;
            reply(voice.greeting())
        }
        Event::OrderStatusChanged {
            order_number,
            status,
            reason,
        } => reply(voice.status_notice(*order_number, *status, *reason)),
    }
}

/// A file sent to a bot that checks prescriptions: a photo or PDF is kept
/// as the prescription of the order in progress.
fn on_prescription(
    voice: &Voice<'_>,
    state: &mut ShopState,
    attachment: &Attachment,
) -> Vec<Action> {
    let Attachment::Stored { media_id, mimetype } = attachment else {
        return reply(voice.prescription_unavailable());
    };
    if !(mimetype.starts_with("image/") || mimetype == "application/pdf") {
        return reply(voice.prescription_wrong_type());
    }
    state.prescription = Some(media_id.clone());
    if state.step == Step::AwaitingPrescription {
        state.step = Step::AwaitingAddress;
        return reply(voice.prescription_received_at_checkout());
    }
    reply(voice.prescription_received())
}

/// Up to three other available items of the same categories as `sold_out`,
/// with their menu numbers.
fn alternatives_to(menu: &Menu, sold_out: &[String]) -> Vec<(usize, String)> {
    let categories: Vec<&str> = menu
        .numbered()
        .filter(|(_, item)| sold_out.contains(&item.item_id))
        .map(|(_, item)| item.category.as_str())
        .collect();
    menu.numbered()
        .filter(|(_, item)| {
            categories.contains(&item.category.as_str())
                && !sold_out.contains(&item.item_id)
                && item.stock != Some(0)
        })
        .take(3)
        .map(|(number, item)| (number, item.display_name()))
        .collect()
}

fn reply(text: String) -> Vec<Action> {
    vec![Action::Reply(text)]
}

fn on_message(
    tenant: &TenantContext,
    voice: &Voice<'_>,
    state: &mut ShopState,
    rules: ShopRules,
    text: &str,
    at: DateTime<Utc>,
) -> Vec<Action> {
    match language_request(text) {
        Some(LanguageRequest::Switch(language)) => {
            state.language = Some(language);
            return reply(language.switched().to_owned());
        }
        Some(LanguageRequest::Choices) => {
            let current = state.language.unwrap_or(tenant.settings.language());
            return reply(crate::i18n::choices(current));
        }
        Some(LanguageRequest::Unknown) => return reply(voice.unknown_language()),
        None => {}
    }
    let command = command::parse(text);
    // Commands that mean the same at every step.
    match command {
        Command::Menu => return reply(voice.menu()),
        Command::Cart => return reply(voice.cart(&state.cart)),
        Command::Help => return reply(voice.help()),
        Command::Human => {
            state.handed_over = true;
            return vec![Action::Reply(voice.handoff_started()), Action::HandOver];
        }
        Command::Cancel => {
            let had_something = !state.cart.is_empty();
            state.reset();
            return reply(voice.cancelled(had_something));
        }
        _ => {}
    }
    match state.step {
        Step::Browsing => on_browsing(tenant, voice, state, rules, command, at),
        Step::AwaitingPrescription => on_awaiting_prescription(voice, state, command),
        Step::AwaitingAddress => on_address(tenant, voice, state, rules, command, text),
        Step::AwaitingConfirmation => on_confirmation(tenant, voice, state, rules, command, at),
    }
}

fn on_browsing(
    tenant: &TenantContext,
    voice: &Voice<'_>,
    state: &mut ShopState,
    rules: ShopRules,
    command: Command,
    at: DateTime<Utc>,
) -> Vec<Action> {
    match command {
        Command::Greeting => reply(voice.greeting()),
        Command::Categories => reply(voice.categories()),
        Command::Add { number, quantity } => add_to_cart(tenant, voice, state, number, quantity),
        Command::Remove { number } => remove_from_cart(tenant, voice, state, number),
        Command::Info { number } => item_info(tenant, voice, number),
        Command::Clear => {
            state.cart.clear();
            reply(voice.cleared())
        }
        Command::Checkout => {
            let dropped = state.refresh_cart(&tenant.menu);
            if state.cart.is_empty() {
                return reply(voice.empty_cart_checkout(&dropped));
            }
            if !tenant.settings.is_open(at) {
                return reply(voice.closed());
            }
            if state.cart_total() < tenant.settings.minimum_order {
                return reply(voice.below_minimum(state.cart_total()));
            }
            if let Some(needed) = missing_prescription(tenant, state, rules) {
                state.step = Step::AwaitingPrescription;
                return reply(voice.prescription_needed(&dropped, &needed));
            }
            state.step = Step::AwaitingAddress;
            reply(voice.ask_address(&dropped))
        }
        Command::Yes | Command::No => reply(voice.nothing_to_confirm()),
        Command::Text(text) => reply(browse(tenant, voice, &text)),
        Command::Menu | Command::Cart | Command::Help | Command::Human | Command::Cancel => {
            unreachable!("handled for every step in on_message")
        }
    }
}

/// The cart's prescription-only items, when the bot checks prescriptions
/// and the customer has not sent one yet.
fn missing_prescription(
    tenant: &TenantContext,
    state: &ShopState,
    rules: ShopRules,
) -> Option<Vec<String>> {
    let needed = state.prescription_items(&tenant.menu);
    (rules.prescriptions && !needed.is_empty() && state.prescription.is_none()).then_some(needed)
}

/// Checkout waits for the prescription (a file, handled by
/// [`on_prescription`]); `no` goes back to the cart.
fn on_awaiting_prescription(
    voice: &Voice<'_>,
    state: &mut ShopState,
    command: Command,
) -> Vec<Action> {
    if matches!(command, Command::No) {
        state.step = Step::Browsing;
        return reply(voice.checkout_paused());
    }
    reply(voice.prescription_waiting())
}

fn on_address(
    tenant: &TenantContext,
    voice: &Voice<'_>,
    state: &mut ShopState,
    rules: ShopRules,
    command: Command,
    raw: &str,
) -> Vec<Action> {
    if matches!(command, Command::No) {
        state.step = Step::Browsing;
        return reply(voice.checkout_paused());
    }
    let address = raw.trim();
    if address.chars().count() < MIN_ADDRESS_CHARS {
        return reply(voice.address_too_short());
    }
    state.delivery_address = Some(address.to_owned());
    state.step = Step::AwaitingConfirmation;
    let reviewed = state.prescription_for_order(rules, &tenant.menu).is_some();
    reply(voice.summary(
        &state.cart,
        address,
        state.order_total(&tenant.settings),
        reviewed,
    ))
}

fn on_confirmation(
    tenant: &TenantContext,
    voice: &Voice<'_>,
    state: &mut ShopState,
    rules: ShopRules,
    command: Command,
    at: DateTime<Utc>,
) -> Vec<Action> {
    match command {
        Command::Yes if !tenant.settings.is_open(at) => {
            state.step = Step::Browsing;
            reply(voice.closed())
        }
        Command::Yes => {
            let dropped = state.refresh_cart(&tenant.menu);
            let address = state.delivery_address.clone().unwrap_or_default();
            if !dropped.is_empty() || state.cart.is_empty() {
                state.step = if state.cart.is_empty() {
                    Step::Browsing
                } else {
                    Step::AwaitingConfirmation
                };
                let reviewed = state.prescription_for_order(rules, &tenant.menu).is_some();
                return reply(voice.menu_changed_during_checkout(
                    &dropped,
                    &state.cart,
                    &address,
                    state.order_total(&tenant.settings),
                    reviewed,
                ));
            }
            if let Some(needed) = missing_prescription(tenant, state, rules) {
                // An item became prescription-only during checkout.
                state.step = Step::AwaitingPrescription;
                return reply(voice.prescription_needed(&[], &needed));
            }
            vec![Action::PlaceOrder(OrderDraft {
                lines: state.cart.clone(),
                total: state.order_total(&tenant.settings),
                delivery_address: address,
                prescription: state.prescription_for_order(rules, &tenant.menu),
            })]
        }
        Command::No => {
            state.step = Step::Browsing;
            reply(voice.checkout_paused())
        }
        _ => reply(voice.confirm_prompt()),
    }
}

/// Free text while browsing: a category's items, the items the words find
/// (typos allowed), or a hint.
fn browse(tenant: &TenantContext, voice: &Voice<'_>, text: &str) -> String {
    if let Some(category) = search::category(&tenant.menu, text) {
        let items: Vec<(usize, &MenuItem)> = tenant
            .menu
            .numbered()
            .filter(|(_, item)| item.category == category)
            .collect();
        return voice.listing(&format!("*{category}*"), &items);
    }
    let found = search::search(&tenant.menu, text);
    if found.is_empty() {
        voice.did_not_understand(text)
    } else {
        voice.found(text, &found)
    }
}

fn add_to_cart(
    tenant: &TenantContext,
    voice: &Voice<'_>,
    state: &mut ShopState,
    number: usize,
    quantity: u32,
) -> Vec<Action> {
    let Some(item) = tenant.menu.by_number(number) else {
        return reply(voice.unknown_item(number));
    };
    if quantity == 0 {
        return reply(voice.quantity_out_of_range());
    }
    let line_quantity = state
        .cart
        .iter()
        .find(|l| l.item_id == item.item_id)
        .map_or(0, |l| l.quantity);
    // The line's new total obeys the same 1–99 rule as one addition, and
    // a huge quantity cannot wrap around to a small one.
    let Some(line_total) = line_quantity
        .checked_add(quantity)
        .filter(|total| *total <= MAX_LINE_QUANTITY)
    else {
        return reply(voice.quantity_out_of_range());
    };
    if item.sold_out() {
        let ids = [item.item_id.clone()];
        return reply(voice.unavailable(item, &alternatives_to(&tenant.menu, &ids)));
    }
    if let Some(left) = item.stock.filter(|left| line_total > *left) {
        return reply(voice.only_left(item, left));
    }
    let name = item.display_name();
    match state.cart.iter_mut().find(|l| l.item_id == item.item_id) {
        Some(line) => line.quantity = line_total,
        None => state.cart.push(OrderLine {
            item_id: item.item_id.clone(),
            name: name.clone(),
            unit_price: item.price,
            quantity,
        }),
    }
    reply(voice.added(&name, quantity, state.cart_total()))
}

fn remove_from_cart(
    tenant: &TenantContext,
    voice: &Voice<'_>,
    state: &mut ShopState,
    number: usize,
) -> Vec<Action> {
    let Some(item) = tenant.menu.by_number(number) else {
        return reply(voice.unknown_item(number));
    };
    let before = state.cart.len();
    state.cart.retain(|l| l.item_id != item.item_id);
    if state.cart.len() == before {
        return reply(voice.not_in_cart(&item.name));
    }
    reply(voice.removed(&item.name, &state.cart))
}

fn item_info(tenant: &TenantContext, voice: &Voice<'_>, number: usize) -> Vec<Action> {
    let Some(item) = tenant.menu.by_number(number) else {
        return reply(voice.unknown_item(number));
    };
    let caption = voice.item_info(number, item);
    match &item.image_url {
        Some(url) => vec![Action::ReplyImage {
            url: url.clone(),
            caption,
        }],
        None => reply(caption),
    }
}
