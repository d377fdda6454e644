//! The plugin interface every bot implements, and the values that cross it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::Menu;
use crate::flow::graph::Flow;
use crate::flow::state::FlowState;
use crate::order::{OrderDraft, OrderStatus};
use crate::settings::{BotSettings, SettingError};
use crate::shop::state::ShopState;

/// Which bot a tenant runs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginKind {
    /// Menu browsing, cart, delivery address, confirmation.
    Restaurant,
    /// Catalog by category and search, variants with stock, cart, checkout.
    Retail,
    /// Over-the-counter and prescription-only items; a prescription photo
    /// or PDF is checked by a pharmacist before the order is confirmed.
    Pharmacy,
    /// The tenant's own flow (enterprise tier), uploaded through the API.
    Flow,
}

impl PluginKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Restaurant => "restaurant",
            PluginKind::Retail => "retail",
            PluginKind::Pharmacy => "pharmacy",
            PluginKind::Flow => "flow",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plugin name no bot answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPluginKind(pub String);

impl fmt::Display for UnknownPluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown plugin type '{}' (known: restaurant, retail, pharmacy, flow)",
            self.0
        )
    }
}

impl std::error::Error for UnknownPluginKind {}

impl FromStr for PluginKind {
    type Err = UnknownPluginKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "restaurant" => Ok(PluginKind::Restaurant),
            "retail" => Ok(PluginKind::Retail),
            "pharmacy" => Ok(PluginKind::Pharmacy),
            "flow" => Ok(PluginKind::Flow),
            other => Err(UnknownPluginKind(other.to_owned())),
        }
    }
}

/// What a bot knows about the business it speaks for. Owned by the tenant
/// actor and shared read-only with its conversations.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantContext {
    /// Shown in greetings.
    pub business_name: String,
    /// Its settings: currency, greeting, branding, fees, opening hours.
    pub settings: BotSettings,
    /// The customer-facing menu.
    pub menu: Menu,
    /// The tenant's flow, if it uploaded one (run by the flow bot).
    pub flow: Option<Arc<Flow>>,
}

/// Per-customer conversation state, owned by one conversation actor and
/// persisted as JSON between messages. Tagged by plugin so a tenant that
/// switches bots starts its customers afresh instead of misreading state.
///
/// Snapshots outlive releases, so a bot's state only grows compatibly: a
/// field added later has a `#[serde(default)]` that means "as before", and
/// nothing is renamed or removed. Each bot keeps a test that loads a
/// snapshot of its first release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "plugin", rename_all = "snake_case")]
pub enum ConversationState {
    /// State of a shop bot (restaurant, retail or pharmacy).
    Restaurant(ShopState),
    /// State of the retail bot.
    Retail(ShopState),
    /// State of the pharmacy bot.
    Pharmacy(ShopState),
    /// State of a flow bot.
    Flow(FlowState),
}

impl ConversationState {
    /// The bot this state belongs to.
    pub fn kind(&self) -> PluginKind {
        match self {
            ConversationState::Restaurant(_) => PluginKind::Restaurant,
            ConversationState::Retail(_) => PluginKind::Retail,
            ConversationState::Pharmacy(_) => PluginKind::Pharmacy,
            ConversationState::Flow(_) => PluginKind::Flow,
        }
    }

    /// Starts afresh with `plugin`'s initial state when another bot left
    /// this one (the tenant switched bots).
    pub fn adopt_by<P: Plugin + ?Sized>(&mut self, plugin: &P) {
        if self.kind() != plugin.kind() {
            *self = plugin.initial_state();
        }
    }

    /// Whether the conversation is handed over to a person.
    pub fn handed_over(&self) -> bool {
        match self {
            ConversationState::Restaurant(state)
            | ConversationState::Retail(state)
            | ConversationState::Pharmacy(state) => state.handed_over,
            ConversationState::Flow(state) => state.handed_over,
        }
    }
}

/// Something that happened in a conversation, fed to [`Plugin::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// The customer sent a message.
    Message {
        /// The text (or media caption).
        text: &'a str,
        /// When it arrived (for opening hours).
        at: DateTime<Utc>,
        /// The file it carried, for bots that [want
        /// attachments](Plugin::wants_attachments) (always `None` for others).
        attachment: Option<&'a Attachment>,
    },
    /// The runtime saved the order the plugin asked for.
    OrderPlaced {
        /// The customer-facing order number.
        order_number: i64,
    },
    /// The runtime could not save the order the plugin asked for.
    OrderFailed,
    /// The order was refused: these items (by code) have too little stock
    /// left. Nothing was taken.
    SoldOut {
        /// The items short of stock.
        item_ids: &'a [String],
    },
    /// A person of the business finished a handover; the bot takes over again.
    HandedBack,
    /// The business moved one of the customer's orders to a new status.
    OrderStatusChanged {
        /// The customer-facing order number.
        order_number: i64,
        /// The new status.
        status: OrderStatus,
        /// Why, when the business gave a reason (a refused prescription).
        reason: Option<&'a str>,
    },
}

/// A file a customer sent (photo, PDF...), as the runtime fetched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// Downloaded and stored for the tenant.
    Stored {
        /// Where the tenant finds it (`GET /v1/media/{media_id}`).
        media_id: String,
        /// Its MIME type (`image/jpeg`, `application/pdf`).
        mimetype: String,
    },
    /// The customer sent a file the runtime could not fetch (expired,
    /// too large, WAHA skipped it): the bot should ask for it again.
    Unavailable,
}

/// What the runtime must do on the plugin's behalf, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send a text message to the customer.
    Reply(String),
    /// Send a picture with a caption to the customer.
    ReplyImage {
        /// Public URL of the picture.
        url: String,
        /// Caption under the picture.
        caption: String,
    },
    /// Persist this order; the runtime answers with [`Event::OrderPlaced`] or
    /// [`Event::OrderFailed`].
    PlaceOrder(OrderDraft),
    /// The customer asked for a person: tell the business. The bot stays
    /// silent in this conversation until [`Event::HandedBack`].
    HandOver,
}

/// A bot: a pure, synchronous state machine. Implementations must not panic
/// on any input and must answer every customer message with at least one
/// action, so a customer never meets silence, except while the conversation
/// is handed over to a person (then the person answers).
pub trait Plugin: Send + Sync + 'static {
    /// Which kind of bot this is.
    fn kind(&self) -> PluginKind;

    /// The state of a conversation that has never been seen before.
    fn initial_state(&self) -> ConversationState;

    /// Whether the runtime should fetch the files customers send and hand
    /// them over as [`Event::Message`]'s `attachment` (default: no, and files
    /// are never downloaded).
    fn wants_attachments(&self) -> bool {
        false
    }

    /// Every rule `settings` break for this bot (none: valid). The default
    /// checks the rules every bot shares.
    fn check_settings(&self, settings: &BotSettings) -> Vec<SettingError> {
        settings.errors()
    }

    /// Advances the conversation by one event and says what to do.
    fn handle(
        &self,
        tenant: &TenantContext,
        state: &mut ConversationState,
        event: &Event<'_>,
    ) -> Vec<Action>;
}
