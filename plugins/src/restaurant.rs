//! The restaurant bot: greeting, numbered menu by category, cart, delivery
//! address, order summary and confirmation, and order status notices.
//!
//! `menu`, `cart`, `help` and `cancel` work at every step; any input the bot
//! does not understand gets a hint, never silence.

mod command;
#[cfg(test)]
mod tests;
mod texts;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::Menu;
use crate::order::{OrderDraft, OrderLine};
use crate::plugin::{Action, ConversationState, Event, Plugin, PluginKind, TenantContext};
use command::Command;

/// Most units of one item a cart line may hold.
pub const MAX_LINE_QUANTITY: u32 = 99;

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
}

/// A restaurant customer's conversation state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RestaurantState {
    /// Current step.
    pub step: Step,
    /// Items chosen so far.
    pub cart: Vec<OrderLine>,
    /// Address given at checkout.
    pub delivery_address: Option<String>,
}

impl RestaurantState {
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
        self.cart.retain_mut(|line| {
            match menu
                .number_of(&line.item_id)
                .and_then(|n| menu.by_number(n))
            {
                Some(item) => {
                    line.unit_price = item.price;
                    line.name = item.name.clone();
                    true
                }
                None => {
                    dropped.push(line.name.clone());
                    false
                }
            }
        });
        dropped
    }
}

/// The restaurant plugin. Stateless: all state lives in [`RestaurantState`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RestaurantBot;

impl Plugin for RestaurantBot {
    fn kind(&self) -> PluginKind {
        PluginKind::Restaurant
    }

    fn initial_state(&self) -> ConversationState {
        ConversationState::Restaurant(RestaurantState::default())
    }

    fn handle(
        &self,
        tenant: &TenantContext,
        state: &mut ConversationState,
        event: &Event<'_>,
    ) -> Vec<Action> {
        let ConversationState::Restaurant(state) = state;
        match event {
            Event::Message { text, at } => on_message(tenant, state, text, *at),
            Event::OrderPlaced { order_number } => {
                let total = state.order_total(tenant);
                *state = RestaurantState::default();
                vec![Action::Reply(texts::order_placed(
                    tenant,
                    *order_number,
                    total,
                ))]
            }
            Event::OrderFailed => vec![Action::Reply(texts::order_failed())],
            Event::OrderStatusChanged {
                order_number,
                status,
            } => vec![Action::Reply(texts::status_notice(
                tenant,
                *order_number,
                *status,
            ))],
        }
    }
}

fn reply(text: String) -> Vec<Action> {
    vec![Action::Reply(text)]
}

fn on_message(
    tenant: &TenantContext,
    state: &mut RestaurantState,
    text: &str,
    at: DateTime<Utc>,
) -> Vec<Action> {
    let command = command::parse(text);
    // Commands that mean the same at every step.
    match command {
        Command::Menu => return reply(texts::menu(tenant)),
        Command::Cart => return reply(texts::cart(tenant, &state.cart)),
        Command::Help => return reply(texts::help()),
        Command::Cancel => {
            let had_something = !state.cart.is_empty();
            *state = RestaurantState::default();
            return reply(texts::cancelled(had_something));
        }
        _ => {}
    }
    match state.step {
        Step::Browsing => on_browsing(tenant, state, command, at),
        Step::AwaitingAddress => on_address(tenant, state, command, text),
        Step::AwaitingConfirmation => on_confirmation(tenant, state, command, at),
    }
}

fn on_browsing(
    tenant: &TenantContext,
    state: &mut RestaurantState,
    command: Command,
    at: DateTime<Utc>,
) -> Vec<Action> {
    match command {
        Command::Greeting => reply(texts::greeting(tenant)),
        Command::Add { number, quantity } => add_to_cart(tenant, state, number, quantity),
        Command::Remove { number } => remove_from_cart(tenant, state, number),
        Command::Info { number } => item_info(tenant, number),
        Command::Clear => {
            state.cart.clear();
            reply(texts::cleared())
        }
        Command::Checkout => {
            let dropped = state.refresh_cart(&tenant.menu);
            if state.cart.is_empty() {
                return reply(texts::empty_cart_checkout(&dropped));
            }
            if !tenant.settings.is_open(at) {
                return reply(texts::closed(tenant));
            }
            if state.cart_total() < tenant.settings.minimum_order {
                return reply(texts::below_minimum(tenant, state.cart_total()));
            }
            state.step = Step::AwaitingAddress;
            reply(texts::ask_address(&dropped))
        }
        Command::Yes | Command::No => reply(texts::nothing_to_confirm()),
        Command::Text(text) => reply(texts::did_not_understand(&text)),
        Command::Menu | Command::Cart | Command::Help | Command::Cancel => {
            unreachable!("handled for every step in on_message")
        }
    }
}

fn on_address(
    tenant: &TenantContext,
    state: &mut RestaurantState,
    command: Command,
    raw: &str,
) -> Vec<Action> {
    if matches!(command, Command::No) {
        state.step = Step::Browsing;
        return reply(texts::checkout_paused());
    }
    let address = raw.trim();
    if address.chars().count() < MIN_ADDRESS_CHARS {
        return reply(texts::address_too_short());
    }
    state.delivery_address = Some(address.to_owned());
    state.step = Step::AwaitingConfirmation;
    reply(texts::summary(
        tenant,
        &state.cart,
        address,
        state.order_total(tenant),
    ))
}

fn on_confirmation(
    tenant: &TenantContext,
    state: &mut RestaurantState,
    command: Command,
    at: DateTime<Utc>,
) -> Vec<Action> {
    match command {
        Command::Yes if !tenant.settings.is_open(at) => {
            state.step = Step::Browsing;
            reply(texts::closed(tenant))
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
                return reply(texts::menu_changed_during_checkout(
                    tenant,
                    &dropped,
                    &state.cart,
                    &address,
                    state.order_total(tenant),
                ));
            }
            vec![Action::PlaceOrder(OrderDraft {
                lines: state.cart.clone(),
                total: state.order_total(tenant),
                delivery_address: address,
            })]
        }
        Command::No => {
            state.step = Step::Browsing;
            reply(texts::checkout_paused())
        }
        _ => reply(texts::confirm_prompt()),
    }
}

fn add_to_cart(
    tenant: &TenantContext,
    state: &mut RestaurantState,
    number: usize,
    quantity: u32,
) -> Vec<Action> {
    let Some(item) = tenant.menu.by_number(number) else {
        return reply(texts::unknown_item(tenant, number));
    };
    if quantity == 0 {
        return reply(texts::quantity_out_of_range());
    }
    let line_quantity = state
        .cart
        .iter()
        .find(|l| l.item_id == item.item_id)
        .map_or(0, |l| l.quantity);
    if line_quantity + quantity > MAX_LINE_QUANTITY {
        return reply(texts::quantity_out_of_range());
    }
    match state.cart.iter_mut().find(|l| l.item_id == item.item_id) {
        Some(line) => line.quantity += quantity,
        None => state.cart.push(OrderLine {
            item_id: item.item_id.clone(),
            name: item.name.clone(),
            unit_price: item.price,
            quantity,
        }),
    }
    reply(texts::added(
        tenant,
        &item.name,
        quantity,
        state.cart_total(),
    ))
}

fn remove_from_cart(
    tenant: &TenantContext,
    state: &mut RestaurantState,
    number: usize,
) -> Vec<Action> {
    let Some(item) = tenant.menu.by_number(number) else {
        return reply(texts::unknown_item(tenant, number));
    };
    let before = state.cart.len();
    state.cart.retain(|l| l.item_id != item.item_id);
    if state.cart.len() == before {
        return reply(texts::not_in_cart(&item.name));
    }
    reply(texts::removed(tenant, &item.name, &state.cart))
}

fn item_info(tenant: &TenantContext, number: usize) -> Vec<Action> {
    let Some(item) = tenant.menu.by_number(number) else {
        return reply(texts::unknown_item(tenant, number));
    };
    let caption = texts::item_info(tenant, number, item);
    match &item.image_url {
        Some(url) => vec![Action::ReplyImage {
            url: url.clone(),
            caption,
        }],
        None => reply(caption),
    }
}
