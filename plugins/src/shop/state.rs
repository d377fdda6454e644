//! A shop conversation's state, persisted between messages, and the rules
//! a kind of shop adds. Plain data with no dependency on the plugin
//! interface, which refers to it.

use serde::{Deserialize, Serialize};

use crate::catalog::Menu;
use crate::i18n::Language;
use crate::order::OrderLine;
use crate::settings::BotSettings;

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
    pub(crate) prescriptions: bool,
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
    pub(crate) fn prescription_items(&self, menu: &Menu) -> Vec<String> {
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
    pub(crate) fn prescription_for_order(&self, rules: ShopRules, menu: &Menu) -> Option<String> {
        let needed = rules.prescriptions && !self.prescription_items(menu).is_empty();
        self.prescription.clone().filter(|_| needed)
    }

    /// Starts afresh after an order or a cancellation; the language stays.
    pub(crate) fn reset(&mut self) {
        *self = ShopState {
            language: self.language,
            ..ShopState::default()
        };
    }

    pub(crate) fn cart_total(&self) -> rust_decimal::Decimal {
        self.cart.iter().map(OrderLine::line_total).sum()
    }

    /// What the customer pays: the cart plus the delivery fee.
    pub(crate) fn order_total(&self, settings: &BotSettings) -> rust_decimal::Decimal {
        self.cart_total() + settings.delivery_fee
    }

    /// Drops lines whose item left the menu and refreshes prices; returns
    /// the names of the dropped items.
    pub(crate) fn refresh_cart(&mut self, menu: &Menu) -> Vec<String> {
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
