//! The shop bots: the restaurant bot and the retail bot share this engine
//! (greeting, numbered menu or catalog by category, categories and
//! typo-tolerant search, variants with stock, cart, delivery address, order
//! summary and confirmation, order status notices, handover, languages).
//! They differ in the conversation state they are tagged with, and the
//! pharmacy bot also asks for a prescription ([`ShopRules`]).
//!
//! `menu`, `cart`, `help` and `cancel` work at every step; any input the bot
//! does not understand gets a hint, never silence.

mod command;
mod phrases;
#[cfg(test)]
mod tests;
mod texts;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Menu, MenuItem};
use crate::i18n::{Language, LanguageRequest, language_request};
use crate::order::{OrderDraft, OrderLine};
use crate::plugin::{
    Action, Attachment, ConversationState, Event, Plugin, PluginKind, TenantContext,
};
use crate::search;
use command::Command;
use texts::Voice;

pub use crate::order::MAX_LINE_QUANTITY;

/// Shortest text accepted as a delivery address.
const MIN_ADDRESS_CHARS: usize = 5;

/// Where the customer is in the ordering flow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Looking at the menu, filling the cart.
    #[default]
    Browsing,
    /// Checkout started: the next free text is the delivery address.
    AwaitingAddress,
    /// Summary shown: waiting for yes or no.
    AwaitingConfirmation,
    /// Checkout of prescription-only items: waiting for a photo or PDF of
    /// the prescription.
    AwaitingPrescription,
}

/// What a shop bot checks beyond the shared engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ShopRules {
    /// Prescription-only items need a prescription (photo or PDF) before
    /// checkout, and the order waits for a pharmacist.
    pub prescriptions: bool,
}

/// A shop customer's conversation state (restaurant or retail).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShopState {
    /// Current step.
    pub step: Step,
    /// Items chosen so far.
    pub cart: Vec<OrderLine>,
    /// Address given at checkout.
    pub delivery_address: Option<String>,
    /// The language the customer chose (absent: the tenant's).
    #[serde(default)]
    pub language: Option<Language>,
    /// Handed over to a person: the bot stays silent until handed back.
    #[serde(default)]
    pub handed_over: bool,
    /// The prescription the customer sent for this order (a media id).
    #[serde(default)]
    pub prescription: Option<String>,
}

impl ShopState {
    /// Names of the cart's prescription-only items.
    fn prescription_items(&self, menu: &Menu) -> Vec<String> {
        self.cart
            .iter()
            .filter(|line| {
                menu.by_id(&line.item_id)
                    .is_some_and(|item| item.prescription_required)
            })
            .map(|line| line.name.clone())
            .collect()
    }

    /// The prescription this order goes with, if it needs one.
    fn prescription_for_order(&self, rules: ShopRules, menu: &Menu) -> Option<String> {
        let needed = rules.prescriptions && !self.prescription_items(menu).is_empty();
        self.prescription.clone().filter(|_| needed)
    }

    /// Starts afresh after an order or a cancellation; the language stays.
    fn reset(&mut self) {
        *self = ShopState {
            language: self.language,
            ..ShopState::default()
        };
    }

    fn cart_total(&self) -> rust_decimal::Decimal {
        self.cart.iter().map(OrderLine::line_total).sum()
    }

    /// What the customer pays: the cart plus the delivery fee.
    fn order_total(&self, tenant: &TenantContext) -> rust_decimal::Decimal {
        self.cart_total() + tenant.settings.delivery_fee
    }

    /// Drops lines whose item left the menu and refreshes prices; returns
    /// the names of the dropped items.
    fn refresh_cart(&mut self, menu: &Menu) -> Vec<String> {
        let mut dropped = Vec::new();
        self.cart
            .retain_mut(|line| match menu.by_id(&line.item_id) {
                Some(item) => {
                    line.unit_price = item.price;
                    line.name = item.display_name();
                    true
                }
                None => {
                    dropped.push(line.name.clone());
                    false
                }
            });
        dropped
    }
}

/// The restaurant plugin. Stateless: all state lives in [`ShopState`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RestaurantBot;

impl Plugin for RestaurantBot {
    fn kind(&self) -> PluginKind {
        PluginKind::Restaurant
    }

    fn initial_state(&self) -> ConversationState {
        ConversationState::Restaurant(ShopState::default())
    }

    fn handle(
        &self,
        tenant: &TenantContext,
        state: &mut ConversationState,
        event: &Event<'_>,
    ) -> Vec<Action> {
        handle_as_shop(self, tenant, state, event, ShopRules::default())
    }
}

/// Runs `plugin`, a shop bot, on `event`: a conversation another bot left
/// starts afresh, then the shop engine advances it under `rules`.
pub(crate) fn handle_as_shop<P: Plugin>(
    plugin: &P,
    tenant: &TenantContext,
    state: &mut ConversationState,
    event: &Event<'_>,
    rules: ShopRules,
) -> Vec<Action> {
    state.adopt_by(plugin);
    match state {
        ConversationState::Restaurant(shop)
        | ConversationState::Retail(shop)
        | ConversationState::Pharmacy(shop) => handle_shop(tenant, shop, event, rules),
        ConversationState::Flow(_) => Vec::new(),
    }
}

/// Advances a shop conversation by one event.
pub(crate) fn handle_shop(
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
            let total = state.order_total(tenant);
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
    reply(voice.summary(&state.cart, address, state.order_total(tenant), reviewed))
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
                    state.order_total(tenant),
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
                total: state.order_total(tenant),
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
