//! Languages the bots speak: the language codes, how a customer switches
//! (`language`, `idioma`, `langue`, `língua`, `لغة`), how prices are written
//! in each, and the texts every bot shares for switching. Each bot keeps its
//! own message catalogue per language.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A language the bots' texts exist in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
    /// Portuguese.
    Pt,
    /// French.
    Fr,
    /// Arabic.
    Ar,
}

impl Language {
    /// Every language, in the order the switch menu lists them.
    pub const ALL: [Language; 5] = [
        Language::En,
        Language::Es,
        Language::Pt,
        Language::Fr,
        Language::Ar,
    ];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Es => "es",
            Language::Pt => "pt",
            Language::Fr => "fr",
            Language::Ar => "ar",
        }
    }

    /// The language's name in itself.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Es => "Español",
            Language::Pt => "Português",
            Language::Fr => "Français",
            Language::Ar => "العربية",
        }
    }

    /// The language of a code (`es`) or a name (`español`, `spanish`).
    pub fn parse(word: &str) -> Option<Language> {
        let word = word.trim().to_lowercase();
        Language::ALL.into_iter().find(|language| {
            word == language.code()
                || word == language.native_name().to_lowercase()
                || language.other_names().contains(&word.as_str())
        })
    }

    fn other_names(self) -> &'static [&'static str] {
        match self {
            Language::En => &["english", "inglés", "ingles", "inglês", "anglais"],
            Language::Es => &["spanish", "espanol", "espanhol", "espagnol"],
            Language::Pt => &["portuguese", "portugues", "portugués", "portugais"],
            Language::Fr => &["french", "francais", "francés", "frances", "francês"],
            Language::Ar => &["arabic", "árabe", "arabe", "عربي"],
        }
    }

    /// `amount` with two decimals, in this language's style: `$12.50`
    /// (English), `12,50 €` (Spanish, Portuguese, French), `12٫50 $` (Arabic).
    pub fn money(self, currency_symbol: &str, amount: Decimal) -> String {
        let plain = format!("{:.2}", amount.round_dp(2));
        match self {
            Language::En => format!("{currency_symbol}{plain}"),
            Language::Es | Language::Pt | Language::Fr => {
                format!("{} {currency_symbol}", plain.replace('.', ","))
            }
            Language::Ar => format!("{} {currency_symbol}", plain.replace('.', "٫")),
        }
    }

    /// Confirms a switch, in the new language.
    pub fn switched(self) -> &'static str {
        match self {
            Language::En => "✅ I will write in English from now on.",
            Language::Es => "✅ A partir de ahora te escribo en español.",
            Language::Pt => "✅ A partir de agora escrevo em português.",
            Language::Fr => "✅ Je vous écris en français désormais.",
            Language::Ar => "✅ سأكتب لك بالعربية من الآن.",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What the runtime itself tells customers, outside any bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The conversation crashed; the customer should repeat their message.
    CrashApology,
    /// The tenant's monthly quota is used up; no new conversations.
    OverQuota,
    /// The operator suspended the tenant.
    Suspended,
}

impl Language {
    /// `notice` in this language, naming the business.
    pub fn notice(self, notice: Notice, business: &str) -> String {
        use Language::{Ar, En, Es, Fr, Pt};
        let template = match (notice, self) {
            (Notice::CrashApology, En) => {
                "Sorry, something went wrong on our side. Please send your last message again."
            }
            (Notice::CrashApology, Es) => {
                "Lo sentimos, algo falló de nuestro lado. Envía de nuevo tu último mensaje."
            }
            (Notice::CrashApology, Pt) => {
                "Desculpe, algo correu mal do nosso lado. Envie de novo a sua última mensagem."
            }
            (Notice::CrashApology, Fr) => {
                "Désolé, un problème est survenu de notre côté. Renvoyez votre dernier message."
            }
            (Notice::CrashApology, Ar) => {
                "عذراً، حدث خطأ من جهتنا. يرجى إرسال رسالتك الأخيرة مرة أخرى."
            }
            (Notice::OverQuota, En) => {
                "Sorry, {business} cannot take new WhatsApp conversations right now. Please try again later or contact the business directly."
            }
            (Notice::OverQuota, Es) => {
                "Lo sentimos, {business} no puede atender nuevas conversaciones de WhatsApp ahora. Inténtalo más tarde o contacta directamente con el negocio."
            }
            (Notice::OverQuota, Pt) => {
                "Desculpe, {business} não pode atender novas conversas no WhatsApp agora. Tente mais tarde ou contacte diretamente o estabelecimento."
            }
            (Notice::OverQuota, Fr) => {
                "Désolé, {business} ne peut pas prendre de nouvelles conversations WhatsApp pour le moment. Réessayez plus tard ou contactez directement l'établissement."
            }
            (Notice::OverQuota, Ar) => {
                "عذراً، لا يستطيع {business} استقبال محادثات واتساب جديدة الآن. يرجى المحاولة لاحقاً أو التواصل مع المتجر مباشرة."
            }
            (Notice::Suspended, En) => {
                "Sorry, {business} is not taking orders on WhatsApp at the moment."
            }
            (Notice::Suspended, Es) => {
                "Lo sentimos, {business} no está aceptando pedidos por WhatsApp en este momento."
            }
            (Notice::Suspended, Pt) => {
                "Desculpe, {business} não está a aceitar pedidos pelo WhatsApp neste momento."
            }
            (Notice::Suspended, Fr) => {
                "Désolé, {business} ne prend pas de commandes sur WhatsApp pour le moment."
            }
            (Notice::Suspended, Ar) => {
                "عذراً، لا يستقبل {business} الطلبات عبر واتساب في الوقت الحالي."
            }
        };
        fill(template, &[("business", business)])
    }
}

/// Words that start a language switch, in every language.
const SWITCH_WORDS: &[&str] = &[
    "language",
    "lang",
    "idioma",
    "langue",
    "língua",
    "lingua",
    "لغة",
    "اللغة",
];

/// What a customer's message asks about languages, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageRequest {
    /// `language` alone: show the choices.
    Choices,
    /// `language es`, `idioma español`: switch.
    Switch(Language),
    /// `language klingon`: not one we speak.
    Unknown,
}

/// Reads `text` as a language request (`language`, `idioma pt`, `langue
/// français`), or `None` when it is something else.
pub fn language_request(text: &str) -> Option<LanguageRequest> {
    let normal = text.trim().trim_end_matches(['!', '.', '?']).to_lowercase();
    let mut words = normal.split_whitespace();
    let first = words.next()?;
    if !SWITCH_WORDS.contains(&first) {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    if rest.is_empty() {
        return Some(LanguageRequest::Choices);
    }
    Some(Language::parse(&rest.join(" ")).map_or(LanguageRequest::Unknown, LanguageRequest::Switch))
}

/// The language menu, in `current` with every language's own name.
pub fn choices(current: Language) -> String {
    let intro = match current {
        Language::En => "🌐 Choose your language: send *language* and a code.",
        Language::Es => "🌐 Elige tu idioma: envía *idioma* y un código.",
        Language::Pt => "🌐 Escolha o seu idioma: envie *idioma* e um código.",
        Language::Fr => "🌐 Choisissez votre langue : envoyez *langue* et un code.",
        Language::Ar => "🌐 اختر لغتك: أرسل *لغة* ثم الرمز.",
    };
    let lines: Vec<String> = Language::ALL
        .iter()
        .map(|l| format!("• *{}* – {}", l.code(), l.native_name()))
        .collect();
    format!("{intro}\n{}", lines.join("\n"))
}

/// Replaces each `{name}` in `template` by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// The `{name}` placeholders of `template`, sorted.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names: Vec<&str> = template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_switch_by_code_or_name_in_any_language() {
        assert_eq!(language_request("menu"), None);
        assert_eq!(language_request("Language"), Some(LanguageRequest::Choices));
        assert_eq!(
            language_request("idioma Español"),
            Some(LanguageRequest::Switch(Language::Es))
        );
        assert_eq!(
            language_request("langue fr"),
            Some(LanguageRequest::Switch(Language::Fr))
        );
        assert_eq!(
            language_request("لغة العربية"),
            Some(LanguageRequest::Switch(Language::Ar))
        );
        assert_eq!(
            language_request("língua portugues"),
            Some(LanguageRequest::Switch(Language::Pt))
        );
        assert_eq!(
            language_request("language klingon"),
            Some(LanguageRequest::Unknown)
        );
    }

    #[test]
    fn prices_follow_each_languages_conventions() {
        let amount = Decimal::new(1250, 2);
        assert_eq!(Language::En.money("$", amount), "$12.50");
        assert_eq!(Language::Es.money("€", amount), "12,50 €");
        assert_eq!(Language::Fr.money("€", Decimal::new(3, 0)), "3,00 €");
        assert_eq!(Language::Ar.money("$", amount), "12٫50 $");
    }

    #[test]
    fn runtime_notices_exist_in_every_language_and_name_the_business() {
        for language in Language::ALL {
            for notice in [Notice::CrashApology, Notice::OverQuota, Notice::Suspended] {
                let text = language.notice(notice, "Rosa");
                assert!(!text.contains('{'), "{language} {notice:?}: {text}");
                if notice != Notice::CrashApology {
                    assert!(text.contains("Rosa"), "{language} {notice:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn templates_are_filled_by_name() {
        assert_eq!(
            fill("{a} and {b} and {a}", &[("a", "1"), ("b", "2")]),
            "1 and 2 and 1"
        );
        assert_eq!(
            placeholders("*{business}*: {number} {business}"),
            ["business", "number"]
        );
    }
}
