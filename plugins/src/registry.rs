//! Which bot runs for which kind of business: the one place that knows
//! every bot, so the plugin interface itself imports none of them.

use std::sync::Arc;

use crate::flow::FlowBot;
use crate::plugin::{Plugin, PluginKind};
use crate::shop::ShopBot;

/// The bot implementation for a plugin kind.
pub fn plugin_for(kind: PluginKind) -> Arc<dyn Plugin> {
    match kind {
        PluginKind::Restaurant => Arc::new(ShopBot::RESTAURANT),
        PluginKind::Retail => Arc::new(ShopBot::RETAIL),
        PluginKind::Pharmacy => Arc::new(ShopBot::PHARMACY),
        PluginKind::Flow => Arc::new(FlowBot),
    }
}
