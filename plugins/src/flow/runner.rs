//! Runs a tenant's [`Flow`] for one customer: answers at the node waiting
//! for them, then walks the nodes that do not wait until one does, the flow
//! ends, or [`MAX_STEPS_PER_MESSAGE`] is reached (then the conversation
//! starts over). The few texts the runner itself says exist in every
//! language; everything else is the tenant's own wording.

use rust_decimal::Decimal;

use super::graph::{Comparison, Flow, InputKind, MAX_STEPS_PER_MESSAGE, Node};
use super::state::FlowState;
use crate::i18n::{Language, fill};
use crate::order::{MAX_LINE_QUANTITY, OrderDraft, OrderLine, OrderStatus};
use crate::plugin::{Action, ConversationState, Event, Plugin, PluginKind, TenantContext};

/// What the runner says in its own words.
#[derive(Debug, Clone, Copy)]
enum Says {
    NotConfigured,
    PickAnOption,
    WrongInput(InputKind),
    LostTheWay,
    Status(OrderStatus),
}

fn says(language: Language, what: Says) -> &'static str {
    use Language::{Ar, En, Es, Fr, Pt};
    match (what, language) {
        (Says::NotConfigured, En) => "Sorry, this bot is not ready yet.",
        (Says::NotConfigured, Es) => "Lo sentimos, este bot aún no está listo.",
        (Says::NotConfigured, Pt) => "Desculpe, este bot ainda não está pronto.",
        (Says::NotConfigured, Fr) => "Désolé, ce bot n'est pas encore prêt.",
        (Says::NotConfigured, Ar) => "عذراً، هذا البوت غير جاهز بعد.",
        (Says::PickAnOption, En) => "Please answer with one of the numbers above.",
        (Says::PickAnOption, Es) => "Responde con uno de los números de arriba.",
        (Says::PickAnOption, Pt) => "Responda com um dos números acima.",
        (Says::PickAnOption, Fr) => "Répondez avec l'un des numéros ci-dessus.",
        (Says::PickAnOption, Ar) => "يرجى الرد بأحد الأرقام أعلاه.",
        (Says::WrongInput(InputKind::Text), En) => "Please write a bit more (2 to 500 characters).",
        (Says::WrongInput(InputKind::Text), Es) => "Escribe un poco más (de 2 a 500 caracteres).",
        (Says::WrongInput(InputKind::Text), Pt) => "Escreva um pouco mais (de 2 a 500 caracteres).",
        (Says::WrongInput(InputKind::Text), Fr) => "Écrivez un peu plus (de 2 à 500 caractères).",
        (Says::WrongInput(InputKind::Text), Ar) => "يرجى كتابة المزيد (من 2 إلى 500 حرف).",
        (Says::WrongInput(InputKind::Number), En) => "Please send a number from 1 to 999.",
        (Says::WrongInput(InputKind::Number), Es) => "Envía un número del 1 al 999.",
        (Says::WrongInput(InputKind::Number), Pt) => "Envie um número de 1 a 999.",
        (Says::WrongInput(InputKind::Number), Fr) => "Envoyez un nombre de 1 à 999.",
        (Says::WrongInput(InputKind::Number), Ar) => "يرجى إرسال رقم من 1 إلى 999.",
        (Says::WrongInput(InputKind::Email), En) => {
            "Please send an email address like name@example.com."
        }
        (Says::WrongInput(InputKind::Email), Es) => "Envía un correo como nombre@ejemplo.com.",
        (Says::WrongInput(InputKind::Email), Pt) => "Envie um e-mail como nome@exemplo.com.",
        (Says::WrongInput(InputKind::Email), Fr) => {
            "Envoyez une adresse e-mail comme nom@exemple.com."
        }
        (Says::WrongInput(InputKind::Email), Ar) => {
            "يرجى إرسال بريد إلكتروني مثل name@example.com."
        }
        (Says::WrongInput(InputKind::Phone), En) => {
            "Please send a phone number with 7 to 15 digits."
        }
        (Says::WrongInput(InputKind::Phone), Es) => "Envía un teléfono de 7 a 15 dígitos.",
        (Says::WrongInput(InputKind::Phone), Pt) => "Envie um telefone de 7 a 15 dígitos.",
        (Says::WrongInput(InputKind::Phone), Fr) => "Envoyez un numéro de 7 à 15 chiffres.",
        (Says::WrongInput(InputKind::Phone), Ar) => "يرجى إرسال رقم هاتف من 7 إلى 15 خانة.",
        (Says::LostTheWay, En) => {
            "Sorry, something went wrong in this conversation; let's start again."
        }
        (Says::LostTheWay, Es) => {
            "Lo sentimos, algo falló en esta conversación; empecemos de nuevo."
        }
        (Says::LostTheWay, Pt) => "Desculpe, algo correu mal nesta conversa; vamos recomeçar.",
        (Says::LostTheWay, Fr) => "Désolé, un problème est survenu ; recommençons.",
        (Says::LostTheWay, Ar) => "عذراً، حدث خطأ في هذه المحادثة؛ لنبدأ من جديد.",
        (Says::Status(status), language) => status_text(status, language),
    }
}

fn status_text(status: OrderStatus, language: Language) -> &'static str {
    use Language::{Ar, En, Es, Fr, Pt};
    use OrderStatus::{Cancelled, Confirmed, Delivered, OutForDelivery, Pending, Preparing};
    match (status, language) {
        (Pending, En) => "Order *#{order_number}* received.",
        (Confirmed, En) => "Order *#{order_number}* confirmed ✅.",
        (Preparing, En) => "Order *#{order_number}* is being prepared.",
        (OutForDelivery, En) => "Order *#{order_number}* is on its way.",
        (Delivered, En) => "Order *#{order_number}* delivered.",
        (Cancelled, En) => "Order *#{order_number}* cancelled.",
        (Pending, Es) => "Pedido *#{order_number}* recibido.",
        (Confirmed, Es) => "Pedido *#{order_number}* confirmado ✅.",
        (Preparing, Es) => "Pedido *#{order_number}* en preparación.",
        (OutForDelivery, Es) => "Pedido *#{order_number}* en camino.",
        (Delivered, Es) => "Pedido *#{order_number}* entregado.",
        (Cancelled, Es) => "Pedido *#{order_number}* cancelado.",
        (Pending, Pt) => "Pedido *#{order_number}* recebido.",
        (Confirmed, Pt) => "Pedido *#{order_number}* confirmado ✅.",
        (Preparing, Pt) => "Pedido *#{order_number}* em preparação.",
        (OutForDelivery, Pt) => "Pedido *#{order_number}* a caminho.",
        (Delivered, Pt) => "Pedido *#{order_number}* entregue.",
        (Cancelled, Pt) => "Pedido *#{order_number}* cancelado.",
        (Pending, Fr) => "Commande *#{order_number}* reçue.",
        (Confirmed, Fr) => "Commande *#{order_number}* confirmée ✅.",
        (Preparing, Fr) => "Commande *#{order_number}* en préparation.",
        (OutForDelivery, Fr) => "Commande *#{order_number}* en route.",
        (Delivered, Fr) => "Commande *#{order_number}* livrée.",
        (Cancelled, Fr) => "Commande *#{order_number}* annulée.",
        (Pending, Ar) => "تم استلام الطلب *#{order_number}*.",
        (Confirmed, Ar) => "تم تأكيد الطلب *#{order_number}* ✅.",
        (Preparing, Ar) => "الطلب *#{order_number}* قيد التحضير.",
        (OutForDelivery, Ar) => "الطلب *#{order_number}* في الطريق.",
        (Delivered, Ar) => "تم توصيل الطلب *#{order_number}*.",
        (Cancelled, Ar) => "تم إلغاء الطلب *#{order_number}*.",
    }
}

/// The flow plugin: runs the flow in the tenant's context.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlowBot;

impl Plugin for FlowBot {
    fn kind(&self) -> PluginKind {
        PluginKind::Flow
    }

    fn initial_state(&self) -> ConversationState {
        ConversationState::Flow(FlowState::default())
    }

    fn handle(
        &self,
        tenant: &TenantContext,
        state: &mut ConversationState,
        event: &Event<'_>,
    ) -> Vec<Action> {
        state.adopt_by(self);
        let ConversationState::Flow(state) = state else {
            return Vec::new();
        };
        let language = tenant.settings.language();
        let Some(flow) = tenant.flow.as_deref() else {
            return vec![Action::Reply(
                says(language, Says::NotConfigured).to_owned(),
            )];
        };
        let mut walk = Walk {
            flow,
            tenant,
            language,
            state,
            out: Vec::new(),
        };
        match event {
            Event::Message { .. } if walk.state.handed_over => {}
            Event::Message { text, .. } => walk.answer(text),
            Event::OrderPlaced { order_number } => {
                walk.state.cart.clear();
                walk.state
                    .variables
                    .insert("order_number".to_owned(), order_number.to_string());
                walk.after_checkout(true);
            }
            Event::OrderFailed | Event::SoldOut { .. } => walk.after_checkout(false),
            Event::HandedBack => {
                walk.state.handed_over = false;
                walk.run(&flow.start);
            }
            Event::OrderStatusChanged {
                order_number,
                status,
                ..
            } => {
                let text = says(language, Says::Status(*status));
                let number = order_number.to_string();
                walk.say(fill(text, &[("order_number", &number)]));
            }
        }
        walk.out
    }
}

/// One event's pass through the flow.
struct Walk<'a> {
    flow: &'a Flow,
    tenant: &'a TenantContext,
    language: Language,
    state: &'a mut FlowState,
    out: Vec<Action>,
}

impl Walk<'_> {
    fn say(&mut self, text: String) {
        self.out.push(Action::Reply(text));
    }

    fn render(&self, template: &str) -> String {
        let total: Decimal = self.state.cart.iter().map(OrderLine::line_total).sum();
        let total = self
            .language
            .money(&self.tenant.settings.currency_symbol, total);
        let mut values: Vec<(&str, &str)> = vec![
            ("business", &self.tenant.business_name),
            ("cart_total", &total),
        ];
        values.extend(
            self.state
                .variables
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        fill(template, &values)
    }

    /// The customer wrote `text`: answer the waiting node, or start.
    fn answer(&mut self, text: &str) {
        let waiting = self
            .state
            .at
            .take()
            .and_then(|name| Some((name.clone(), self.flow.nodes.get(&name)?)));
        let Some((name, node)) = waiting else {
            self.run(&self.flow.start.clone());
            return;
        };
        match node {
            Node::Choice { options, .. } => {
                let picked = text
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| n.checked_sub(1).and_then(|i| options.get(i)));
                let picked = picked.or_else(|| {
                    options
                        .iter()
                        .find(|o| self.render(&o.label).eq_ignore_ascii_case(text.trim()))
                });
                match picked {
                    Some(option) => self.run(&option.next.clone()),
                    None => {
                        self.say(says(self.language, Says::PickAnOption).to_owned());
                        self.run(&name);
                    }
                }
            }
            Node::Input {
                variable,
                kind,
                next,
                ..
            } => match valid_input(*kind, text) {
                Some(value) => {
                    self.state.variables.insert(variable.clone(), value);
                    self.run(&next.clone());
                }
                None => {
                    self.say(says(self.language, Says::WrongInput(*kind)).to_owned());
                    self.run(&name);
                }
            },
            // Not waiting for the customer (an order in flight, or a node
            // changed by an upload since): start over.
            _ => self.run(&self.flow.start.clone()),
        }
    }

    /// The runtime placed (or could not place) the order of the checkout
    /// node the conversation waits at.
    fn after_checkout(&mut self, placed: bool) {
        let at = self.state.at.take();
        match at.as_deref().and_then(|name| self.flow.nodes.get(name)) {
            Some(Node::Checkout { next, failed, .. }) => {
                let to = if placed { next } else { failed };
                self.run(&to.clone());
            }
            _ => self.run(&self.flow.start.clone()),
        }
    }

    /// Walks from `from` until a node waits or the flow ends.
    fn run(&mut self, from: &str) {
        let mut current = Some(from.to_owned());
        let mut steps = 0;
        while let Some(name) = current.take() {
            steps += 1;
            let Some(node) = self
                .flow
                .nodes
                .get(&name)
                .filter(|_| steps <= MAX_STEPS_PER_MESSAGE)
            else {
                self.say(says(self.language, Says::LostTheWay).to_owned());
                *self.state = FlowState::default();
                return;
            };
            current = self.step(&name, node);
        }
        if self.state.at.is_none() {
            // The flow ended: the next message starts a fresh run.
            self.state.cart.clear();
        }
    }

    /// Runs one node; returns the next one, or none when it waits or ends.
    fn step(&mut self, name: &str, node: &Node) -> Option<String> {
        match node {
            Node::Message { text, next } => {
                self.say(self.render(text));
                next.clone()
            }
            Node::Choice { text, options } => {
                let lines: Vec<String> = options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| format!("*{}.* {}", i + 1, self.render(&o.label)))
                    .collect();
                self.say(format!("{}\n{}", self.render(text), lines.join("\n")));
                self.state.at = Some(name.to_owned());
                None
            }
            Node::Input { text, .. } => {
                self.say(self.render(text));
                self.state.at = Some(name.to_owned());
                None
            }
            Node::Condition {
                variable,
                comparison,
                value,
                then,
                otherwise,
            } => {
                let actual = self.state.variables.get(variable).map(String::as_str);
                let holds = compare(actual, *comparison, &self.render(value));
                Some(if holds { then } else { otherwise }.clone())
            }
            Node::Set {
                variable,
                value,
                next,
            } => {
                let value = self.render(value);
                self.state.variables.insert(variable.clone(), value);
                Some(next.clone())
            }
            Node::AddToCart {
                item_id,
                quantity,
                next,
            } => {
                let quantity = self
                    .render(quantity)
                    .trim()
                    .parse()
                    .unwrap_or(1)
                    .clamp(1, 99);
                self.add(item_id, quantity);
                Some(next.clone())
            }
            Node::Checkout {
                address, failed, ..
            } => {
                if self.state.cart.is_empty() {
                    return Some(failed.clone());
                }
                let lines = self.state.cart.clone();
                let total = lines.iter().map(OrderLine::line_total).sum::<Decimal>()
                    + self.tenant.settings.delivery_fee;
                self.out.push(Action::PlaceOrder(OrderDraft {
                    lines,
                    total,
                    delivery_address: self.render(address),
                    prescription: None,
                }));
                self.state.at = Some(name.to_owned());
                None
            }
            Node::Handoff { text } => {
                self.say(self.render(text));
                self.out.push(Action::HandOver);
                self.state.handed_over = true;
                self.state.at = None;
                None
            }
        }
    }

    fn add(&mut self, item_id: &str, quantity: u32) {
        let Some(item) = self.tenant.menu.by_id(item_id) else {
            return;
        };
        // Like the shop bots, a line holds at most 99 units, and adding
        // never wraps around.
        match self.state.cart.iter_mut().find(|l| l.item_id == item_id) {
            Some(line) => {
                line.quantity = line
                    .quantity
                    .saturating_add(quantity)
                    .min(MAX_LINE_QUANTITY)
            }
            None => self.state.cart.push(OrderLine {
                item_id: item.item_id.clone(),
                name: item.name.clone(),
                unit_price: item.price,
                quantity: quantity.min(MAX_LINE_QUANTITY),
            }),
        }
    }
}

/// `text` as a value of `kind`, trimmed, or none when it is not one.
fn valid_input(kind: InputKind, text: &str) -> Option<String> {
    let text = text.trim();
    let ok = match kind {
        InputKind::Text => (2..=500).contains(&text.chars().count()),
        InputKind::Number => text.parse::<u32>().is_ok_and(|n| (1..=999).contains(&n)),
        InputKind::Email => {
            !text.contains(char::is_whitespace)
                && text
                    .split_once('@')
                    .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        }
        InputKind::Phone => {
            let digits = text.chars().filter(char::is_ascii_digit).count();
            text.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                && (7..=15).contains(&digits)
        }
    };
    ok.then(|| text.to_owned())
}

fn compare(actual: Option<&str>, comparison: Comparison, expected: &str) -> bool {
    let number = |s: &str| s.trim().parse::<Decimal>().ok();
    match (comparison, actual) {
        (Comparison::IsSet, actual) => actual.is_some_and(|a| !a.is_empty()),
        (_, None) => false,
        (Comparison::Equals, Some(a)) => a.trim().eq_ignore_ascii_case(expected.trim()),
        (Comparison::NotEquals, Some(a)) => !a.trim().eq_ignore_ascii_case(expected.trim()),
        (Comparison::GreaterThan, Some(a)) => {
            matches!((number(a), number(expected)), (Some(a), Some(b)) if a > b)
        }
        (Comparison::LessThan, Some(a)) => {
            matches!((number(a), number(expected)), (Some(a), Some(b)) if a < b)
        }
    }
}
