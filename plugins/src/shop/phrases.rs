//! The shop bot's message catalogue: one [`Phrases`] per language,
//! each a complete set of templates (the compiler refuses a language that
//! lacks one). Templates name their values in braces (`{business}`); the
//! keywords they show in `*bold*` are ones [`command`](super::command)
//! understands in that language.

mod ar;
mod en;
mod es;
mod fr;
mod pt;

use crate::i18n::Language;

/// Every customer-facing template of the shop bot, in one language.
pub(crate) struct Phrases {
    pub welcome: &'static str,
    pub type_menu: &'static str,
    pub help: &'static str,
    pub hint: &'static str,
    pub empty_menu: &'static str,
    pub menu_title: &'static str,
    pub total: &'static str,
    pub cart_empty: &'static str,
    pub cart_title: &'static str,
    pub cart_footer: &'static str,
    pub added: &'static str,
    pub removed: &'static str,
    pub not_in_cart: &'static str,
    pub unknown_item: &'static str,
    pub quantity_out_of_range: &'static str,
    pub add_hint: &'static str,
    pub cleared: &'static str,
    pub dropped: &'static str,
    pub empty_cart_checkout: &'static str,
    pub ask_address: &'static str,
    pub address_too_short: &'static str,
    pub summary_title: &'static str,
    pub delivery: &'static str,
    pub deliver_to: &'static str,
    pub confirm_question: &'static str,
    pub confirm_prompt: &'static str,
    pub nothing_to_confirm: &'static str,
    pub checkout_paused: &'static str,
    pub cancelled: &'static str,
    pub nothing_to_cancel: &'static str,
    pub order_placed: &'static str,
    pub order_failed: &'static str,
    pub sold_out: &'static str,
    pub alternatives: &'static str,
    pub status_pending: &'static str,
    pub status_confirmed: &'static str,
    pub status_preparing: &'static str,
    pub status_out_for_delivery: &'static str,
    pub status_delivered: &'static str,
    pub status_cancelled: &'static str,
    pub not_text: &'static str,
    pub not_understood: &'static str,
    pub closed: &'static str,
    pub closed_day: &'static str,
    pub below_minimum: &'static str,
    pub unknown_language: &'static str,
    pub categories_title: &'static str,
    pub categories_hint: &'static str,
    pub found: &'static str,
    pub left: &'static str,
    pub sold_out_tag: &'static str,
    pub unavailable: &'static str,
    pub only_left: &'static str,
    pub handoff_started: &'static str,
    pub prescription_tag: &'static str,
    pub prescription_needed: &'static str,
    pub prescription_received: &'static str,
    pub prescription_then_checkout: &'static str,
    pub prescription_wrong_type: &'static str,
    pub prescription_unavailable: &'static str,
    pub prescription_waiting: &'static str,
    pub prescription_attached: &'static str,
    pub order_placed_review: &'static str,
    pub reason: &'static str,
    /// Monday first.
    pub days: [&'static str; 7],
}

impl Phrases {
    /// The catalogue of `language`.
    pub(crate) fn of(language: Language) -> &'static Phrases {
        match language {
            Language::En => &en::PHRASES,
            Language::Es => &es::PHRASES,
            Language::Pt => &pt::PHRASES,
            Language::Fr => &fr::PHRASES,
            Language::Ar => &ar::PHRASES,
        }
    }

    /// Every template with its name, for checking catalogues against each other.
    #[cfg(test)]
    fn entries(&self) -> Vec<(&'static str, &'static str)> {
        let mut entries = vec![
            ("welcome", self.welcome),
            ("type_menu", self.type_menu),
            ("help", self.help),
            ("hint", self.hint),
            ("empty_menu", self.empty_menu),
            ("menu_title", self.menu_title),
            ("total", self.total),
            ("cart_empty", self.cart_empty),
            ("cart_title", self.cart_title),
            ("cart_footer", self.cart_footer),
            ("added", self.added),
            ("removed", self.removed),
            ("not_in_cart", self.not_in_cart),
            ("unknown_item", self.unknown_item),
            ("quantity_out_of_range", self.quantity_out_of_range),
            ("add_hint", self.add_hint),
            ("cleared", self.cleared),
            ("dropped", self.dropped),
            ("empty_cart_checkout", self.empty_cart_checkout),
            ("ask_address", self.ask_address),
            ("address_too_short", self.address_too_short),
            ("summary_title", self.summary_title),
            ("delivery", self.delivery),
            ("deliver_to", self.deliver_to),
            ("confirm_question", self.confirm_question),
            ("confirm_prompt", self.confirm_prompt),
            ("nothing_to_confirm", self.nothing_to_confirm),
            ("checkout_paused", self.checkout_paused),
            ("cancelled", self.cancelled),
            ("nothing_to_cancel", self.nothing_to_cancel),
            ("order_placed", self.order_placed),
            ("order_failed", self.order_failed),
            ("sold_out", self.sold_out),
            ("alternatives", self.alternatives),
            ("status_pending", self.status_pending),
            ("status_confirmed", self.status_confirmed),
            ("status_preparing", self.status_preparing),
            ("status_out_for_delivery", self.status_out_for_delivery),
            ("status_delivered", self.status_delivered),
            ("status_cancelled", self.status_cancelled),
            ("not_text", self.not_text),
            ("not_understood", self.not_understood),
            ("closed", self.closed),
            ("closed_day", self.closed_day),
            ("below_minimum", self.below_minimum),
            ("unknown_language", self.unknown_language),
            ("categories_title", self.categories_title),
            ("categories_hint", self.categories_hint),
            ("found", self.found),
            ("left", self.left),
            ("sold_out_tag", self.sold_out_tag),
            ("unavailable", self.unavailable),
            ("only_left", self.only_left),
            ("handoff_started", self.handoff_started),
            ("prescription_tag", self.prescription_tag),
            ("prescription_needed", self.prescription_needed),
            ("prescription_received", self.prescription_received),
            (
                "prescription_then_checkout",
                self.prescription_then_checkout,
            ),
            ("prescription_wrong_type", self.prescription_wrong_type),
            ("prescription_unavailable", self.prescription_unavailable),
            ("prescription_waiting", self.prescription_waiting),
            ("prescription_attached", self.prescription_attached),
            ("order_placed_review", self.order_placed_review),
            ("reason", self.reason),
        ];
        entries.extend(self.days.iter().map(|day| ("day", *day)));
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::placeholders;

    #[test]
    fn every_language_has_every_text_with_the_same_placeholders() {
        let english = Phrases::of(Language::En).entries();
        for language in Language::ALL {
            let entries = Phrases::of(language).entries();
            assert_eq!(entries.len(), english.len(), "{language}");
            for ((name, text), (_, reference)) in entries.iter().zip(&english) {
                assert!(!text.trim().is_empty(), "{language}: {name} is empty");
                assert_eq!(
                    placeholders(text),
                    placeholders(reference),
                    "{language}: {name} names other values than English"
                );
            }
        }
    }
}
