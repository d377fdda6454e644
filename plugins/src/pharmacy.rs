//! The pharmacy bot: the shop engine of [`restaurant`](crate::restaurant)
//! with prescriptions. Over-the-counter items are ordered like in any shop.
//! A cart with prescription-only items asks, at checkout, for a photo or PDF
//! of the prescription (a file sent earlier in the conversation counts too);
//! the runtime fetches it from WAHA and stores it for the tenant, and the
//! order waits for a pharmacist to approve or refuse it through the API. The
//! customer is told either way, with the reason for a refusal.

use crate::plugin::{Action, ConversationState, Event, Plugin, PluginKind, TenantContext};
use crate::restaurant::{ShopRules, ShopState, handle_as_shop};

/// The pharmacy plugin. Stateless: all state lives in [`ShopState`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PharmacyBot;

impl Plugin for PharmacyBot {
    fn kind(&self) -> PluginKind {
        PluginKind::Pharmacy
    }

    fn initial_state(&self) -> ConversationState {
        ConversationState::Pharmacy(ShopState::default())
    }

    fn wants_attachments(&self) -> bool {
        true
    }

    fn handle(
        &self,
        tenant: &TenantContext,
        state: &mut ConversationState,
        event: &Event<'_>,
    ) -> Vec<Action> {
        handle_as_shop(
            self,
            tenant,
            state,
            event,
            ShopRules {
                prescriptions: true,
            },
        )
    }
}
