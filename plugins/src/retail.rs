//! The retail bot: the shop engine of [`restaurant`](crate::restaurant) for
//! shops with a catalog rather than a menu. Customers browse by category
//! (`categories`, then a category's name), search with any words (typos
//! allowed), pick variants (size, colour) by number with their stock shown,
//! and check out; an item that runs out is refused with alternatives.

use crate::plugin::{Action, ConversationState, Event, Plugin, PluginKind, TenantContext};
use crate::restaurant::{ShopRules, ShopState, handle_as_shop};

/// The retail plugin. Stateless: all state lives in [`ShopState`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RetailBot;

impl Plugin for RetailBot {
    fn kind(&self) -> PluginKind {
        PluginKind::Retail
    }

    fn initial_state(&self) -> ConversationState {
        ConversationState::Retail(ShopState::default())
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
