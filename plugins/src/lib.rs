//! Pure conversation state machines ("bots") for wabot.
//!
//! A plugin turns `(tenant context, conversation state, event)` into a list of
//! [`Action`]s. Plugins never do I/O and never block: the actor runtime carries
//! the actions out (sending replies, saving orders). That keeps every bot
//! trivially testable and cheap to benchmark.

pub mod catalog;
pub mod flow;
pub mod i18n;
pub mod order;
pub mod plugin;
pub mod registry;
pub mod search;
pub mod settings;
pub mod shop;
pub mod text_rules;

pub use catalog::{Menu, MenuItem};
pub use flow::{Flow, FlowBot};
pub use i18n::Language;
pub use order::{OrderDraft, OrderLine, OrderStatus, UnknownOrderStatus};
pub use plugin::{
    Action, Attachment, ConversationState, Event, Plugin, PluginKind, TenantContext,
    UnknownPluginKind,
};
pub use registry::plugin_for;
pub use settings::{BotSettings, SettingError};
pub use shop::ShopBot;
