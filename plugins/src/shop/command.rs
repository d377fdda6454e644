//! Turns a customer's free text into a shop command.

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Greeting,
    Menu,
    /// List the catalog's categories.
    Categories,
    Cart,
    Help,
    Cancel,
    Clear,
    Checkout,
    Yes,
    No,
    /// Talk to a person: hand the conversation over to the business.
    Human,
    /// `3`, `2x 3`, `2 x 3`: `quantity` of menu item `number`.
    Add {
        number: usize,
        quantity: u32,
    },
    /// `remove 3`.
    Remove {
        number: usize,
    },
    /// `info 3`: details (and picture) of item 3.
    Info {
        number: usize,
    },
    /// Anything else, trimmed but otherwise as typed.
    Text(String),
}

/// Parses one message. Case, surrounding blanks and trailing `!.?` are ignored.
pub(crate) fn parse(text: &str) -> Command {
    let trimmed = text.trim();
    let normal = trimmed
        .trim_end_matches(['!', '.', '?'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    // The keywords of every language the bot speaks (see `phrases/`).
    match normal.as_str() {
        "hi"
        | "hello"
        | "hey"
        | "start"
        | "good morning"
        | "good evening"
        | "hola"
        | "buenas"
        | "buenos días"
        | "olá"
        | "ola"
        | "oi"
        | "bom dia"
        | "bonjour"
        | "salut"
        | "bonsoir"
        | "مرحبا"
        | "أهلا"
        | "اهلا"
        | "السلام عليكم" => {
            return Command::Greeting;
        }
        "menu" | "catalog" | "list" | "menú" | "carta" | "cardápio" | "cardapio" | "carte"
        | "قائمة" | "القائمة" => return Command::Menu,
        "cart" | "basket" | "my cart" | "carrito" | "carrinho" | "panier" | "السلة" | "سلة" =>
        {
            return Command::Cart;
        }
        "help" | "ayuda" | "ajuda" | "aide" | "مساعدة" => return Command::Help,
        "categories" | "categorías" | "categorias" | "catégories" | "categories?" | "الفئات"
        | "فئات" => return Command::Categories,
        "" if trimmed.starts_with('?') || trimmed.starts_with('؟') => return Command::Help,
        "cancel" | "cancelar" | "annuler" | "إلغاء" | "الغاء" => return Command::Cancel,
        "clear" | "empty" | "clear cart" | "vaciar" | "limpar" | "vider" | "إفراغ" | "افراغ" =>
        {
            return Command::Clear;
        }
        "checkout" | "check out" | "order" | "done" | "pay" | "pedir" | "finalizar"
        | "commander" | "اطلب" | "أطلب" => return Command::Checkout,
        "yes" | "y" | "confirm" | "ok" | "okay" | "sure" | "sí" | "si" | "sim" | "oui" | "نعم" =>
        {
            return Command::Yes;
        }
        "no" | "n" | "change" | "back" | "não" | "nao" | "non" | "لا" => return Command::No,
        "human" | "person" | "agent" | "talk to a person" | "persona" | "humano" | "atendente"
        | "pessoa" | "conseiller" | "humain" | "موظف" | "شخص" => {
            return Command::Human;
        }
        _ => {}
    }
    let remove = [
        "remove",
        "delete",
        "del",
        "quitar",
        "eliminar",
        "remover",
        "tirar",
        "retirer",
        "supprimer",
        "احذف",
        "حذف",
    ];
    if let Some(number) = keyword_number(&normal, &remove) {
        return Command::Remove { number };
    }
    let info = [
        "info",
        "show",
        "photo",
        "detalles",
        "detalhes",
        "détails",
        "معلومات",
    ];
    if let Some(number) = keyword_number(&normal, &info) {
        return Command::Info { number };
    }
    if let Some((quantity, number)) = quantity_times_item(&normal) {
        return Command::Add { number, quantity };
    }
    if let Ok(number) = normal.parse::<usize>() {
        return Command::Add {
            number,
            quantity: 1,
        };
    }
    Command::Text(trimmed.to_owned())
}

/// `remove 3` → `Some(3)` when the first word is one of `keywords`.
fn keyword_number(normal: &str, keywords: &[&str]) -> Option<usize> {
    let (word, rest) = normal.split_once(' ')?;
    if !keywords.contains(&word) {
        return None;
    }
    rest.trim().trim_start_matches('#').parse().ok()
}

/// `2x 3`, `2 x 3`, `2*3`, `2×3` → `(2, 3)`.
fn quantity_times_item(normal: &str) -> Option<(u32, usize)> {
    let (quantity, number) = normal.split_once(['x', '*', '×'])?;
    Some((quantity.trim().parse().ok()?, number.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_read_in_every_documented_form() {
        for text in ["2x 3", "2 x 3", "2X3", " 2 * 3 ", "2×3"] {
            assert_eq!(
                parse(text),
                Command::Add {
                    number: 3,
                    quantity: 2
                },
                "{text}"
            );
        }
        assert_eq!(
            parse("7"),
            Command::Add {
                number: 7,
                quantity: 1
            }
        );
    }

    #[test]
    fn keywords_ignore_case_and_punctuation() {
        assert_eq!(parse("MENU!"), Command::Menu);
        assert_eq!(parse("Remove #2"), Command::Remove { number: 2 });
        assert_eq!(parse("?"), Command::Help);
        assert_eq!(parse("Yes."), Command::Yes);
        assert_eq!(parse("Sí"), Command::Yes);
        assert_eq!(parse("نعم"), Command::Yes);
        assert_eq!(parse("Carrinho"), Command::Cart);
        assert_eq!(parse("retirer 2"), Command::Remove { number: 2 });
        assert_eq!(parse("talk to a person"), Command::Human);
        assert_eq!(
            parse("12 Baker Street"),
            Command::Text("12 Baker Street".into())
        );
    }
}
