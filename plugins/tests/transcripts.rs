//! Replays the transcript files under `plugins/transcripts/<bot>/` against
//! the bot, the way the actor runtime drives it, and fails on the first
//! reply that does not match.
//!
//! A transcript is plain text, one instruction per line:
//! - `> text`: the customer sends `text`;
//! - `>file image/jpeg caption`: the customer sends a file of that type
//!   (stored by the runtime as `media-1`, `media-2`...), the caption is
//!   optional; `>file unavailable`: a file the runtime could not fetch;
//! - `< text`: the bot's reply to the last event contains `text` (several
//!   `<` lines: all of them, in any order);
//! - `<> `: the bot stays silent;
//! - `@handover`: the bot handed the conversation to a person;
//! - `@order media-1`: the bot placed an order with that prescription
//!   (`@order none`: without one);
//! - `! status 1001 confirmed`: the business moves order 1001 along
//!   (`! status 1001 cancelled: reason` gives a reason);
//! - `! hand back`: a person hands the conversation back to the bot;
//! - `! time 2026-11-24T12:00:00Z`: the clock for the messages that follow;
//! - `! settings {json}`: the tenant's settings (before the first message);
//! - `! flow name.json`: the tenant's flow, from the transcript's folder
//!   (checked first: it must have no problems);
//! - `! sold out margherita cola`: the next order is refused for lack of
//!   stock of these items;
//! - `#` starts a comment; blank lines are ignored.
//!
//! Like the runtime, the harness places every order the bot asks for and
//! answers with the next order number, starting at 1001.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use wabot_plugins::{
    Action, Attachment, BotSettings, ConversationState, Event, Flow, Menu, MenuItem, OrderStatus,
    Plugin, PluginKind, TenantContext, plugin_for,
};

fn item(id: &str, name: &str, cents: i64, category: &str) -> MenuItem {
    MenuItem {
        item_id: id.into(),
        name: name.into(),
        description: format!("Our {name}"),
        price: Decimal::new(cents, 2),
        category: category.into(),
        available: true,
        image_url: None,
        variant: None,
        stock: None,
        prescription_required: false,
    }
}

/// An item sold on prescription only.
fn prescription_only(id: &str, name: &str, cents: i64, category: &str) -> MenuItem {
    MenuItem {
        prescription_required: true,
        ..item(id, name, cents, category)
    }
}

/// The pharmacy the pharmacy transcripts talk to.
fn farmacia(settings: BotSettings, flow: Option<Arc<Flow>>) -> TenantContext {
    TenantContext {
        business_name: "Farmacia Sol".into(),
        settings,
        menu: Menu::new(vec![
            item("paracetamol", "Paracetamol 500mg", 450, "Pain relief"),
            item("ibuprofen", "Ibuprofen 400mg", 600, "Pain relief"),
            prescription_only("amoxicillin", "Amoxicillin 500mg", 1200, "Antibiotics"),
            prescription_only("azithromycin", "Azithromycin 250mg", 1850, "Antibiotics"),
            item("sunscreen", "Sunscreen SPF50", 1500, "Skin care"),
        ]),
        flow,
    }
}

/// The restaurant the restaurant and flow transcripts talk to.
fn luigis(settings: BotSettings, flow: Option<Arc<Flow>>) -> TenantContext {
    TenantContext {
        business_name: "Luigi's".into(),
        settings,
        menu: Menu::new(vec![
            item("margherita", "Margherita", 1050, "Pizzas"),
            item("diavola", "Diavola", 1200, "Pizzas"),
            item("cola", "Cola", 250, "Drinks"),
        ]),
        flow,
    }
}

/// A catalog item that is one variant of a product, with counted stock.
fn variant(id: &str, name: &str, label: &str, cents: i64, category: &str, stock: u32) -> MenuItem {
    MenuItem {
        variant: Some(label.into()),
        stock: Some(stock),
        ..item(id, name, cents, category)
    }
}

/// The clothes shop the retail transcripts talk to.
fn moda(settings: BotSettings, flow: Option<Arc<Flow>>) -> TenantContext {
    TenantContext {
        business_name: "Moda".into(),
        settings,
        menu: Menu::new(vec![
            variant("tee-white-m", "T-shirt", "White / M", 1500, "Shirts", 10),
            variant("tee-white-l", "T-shirt", "White / L", 1500, "Shirts", 2),
            variant("tee-black-m", "T-shirt", "Black / M", 1500, "Shirts", 0),
            item("linen", "Linen shirt", 3900, "Shirts"),
            variant("run-42", "Running sneakers", "42", 8000, "Shoes", 3),
            variant("run-43", "Running sneakers", "43", 8000, "Shoes", 1),
            item("belt", "Leather belt", 2500, "Accessories"),
        ]),
        flow,
    }
}

/// Who a transcript's customer talks to.
type Business = fn(BotSettings, Option<Arc<Flow>>) -> TenantContext;

/// What the bot did in answer to one event.
#[derive(Default)]
struct Outcome {
    replies: Vec<String>,
    handed_over: bool,
    /// The prescription of the order placed, if one was.
    placed: Option<Option<String>>,
}

struct Replay {
    plugin: std::sync::Arc<dyn Plugin>,
    tenant: TenantContext,
    state: ConversationState,
    now: DateTime<Utc>,
    next_order: i64,
    /// Items the next order is refused for.
    sold_out: Vec<String>,
    /// The transcript's folder, for the files it names.
    folder: PathBuf,
    business: Business,
    /// Files the customer sent so far.
    files: usize,
}

impl Replay {
    fn new(kind: PluginKind, flow: Option<Arc<Flow>>, folder: PathBuf) -> Self {
        let plugin = plugin_for(kind);
        let state = plugin.initial_state();
        let business: Business = match kind {
            PluginKind::Retail => moda,
            PluginKind::Pharmacy => farmacia,
            _ => luigis,
        };
        Self {
            plugin,
            business,
            tenant: business(BotSettings::default(), flow),
            state,
            now: "2026-11-24T12:00:00Z".parse().expect("a valid instant"),
            next_order: 1001,
            sold_out: Vec::new(),
            folder,
            files: 0,
        }
    }

    /// Feeds `event`, carrying out the actions as the runtime would.
    fn feed(&mut self, event: &Event<'_>) -> Outcome {
        let mut outcome = Outcome::default();
        let mut pending = self.plugin.handle(&self.tenant, &mut self.state, event);
        while !pending.is_empty() {
            let mut next = Vec::new();
            for action in pending {
                match action {
                    Action::Reply(text) => outcome.replies.push(text),
                    Action::ReplyImage { caption, .. } => outcome.replies.push(caption),
                    Action::HandOver => outcome.handed_over = true,
                    Action::PlaceOrder(_) if !self.sold_out.is_empty() => {
                        let item_ids = std::mem::take(&mut self.sold_out);
                        let refused = Event::SoldOut {
                            item_ids: &item_ids,
                        };
                        next.extend(self.plugin.handle(&self.tenant, &mut self.state, &refused));
                    }
                    Action::PlaceOrder(draft) => {
                        outcome.placed = Some(draft.prescription);
                        let placed = Event::OrderPlaced {
                            order_number: self.next_order,
                        };
                        self.next_order += 1;
                        next.extend(self.plugin.handle(&self.tenant, &mut self.state, &placed));
                    }
                }
            }
            pending = next;
        }
        outcome
    }

    fn directive(&mut self, directive: &str, at: &str) -> Outcome {
        let (verb, rest) = directive.split_once(' ').unwrap_or((directive, ""));
        match verb {
            "time" => {
                self.now = rest.trim().parse().unwrap_or_else(|e| panic!("{at}: {e}"));
                Outcome::default()
            }
            "settings" => {
                let settings: BotSettings =
                    serde_json::from_str(rest).unwrap_or_else(|e| panic!("{at}: {e}"));
                assert!(settings.errors().is_empty(), "{at}: invalid settings");
                self.tenant = (self.business)(settings, self.tenant.flow.clone());
                Outcome::default()
            }
            "status" => {
                let (change, reason) = match rest.split_once(':') {
                    Some((change, reason)) => (change, Some(reason.trim())),
                    None => (rest, None),
                };
                let (number, status) = change.trim().split_once(' ').expect("number and status");
                let status: OrderStatus = status.parse().unwrap_or_else(|e| panic!("{at}: {e}"));
                self.feed(&Event::OrderStatusChanged {
                    order_number: number.parse().expect("an order number"),
                    status,
                    reason,
                })
            }
            "hand" if rest.trim() == "back" => self.feed(&Event::HandedBack),
            "flow" => {
                let flow = load_flow(&self.folder.join(rest.trim()));
                self.tenant.flow = Some(Arc::new(flow));
                Outcome::default()
            }
            "sold" => {
                let items = rest
                    .trim()
                    .strip_prefix("out")
                    .unwrap_or_else(|| panic!("{at}: sold out <items>"));
                self.sold_out = items.split_whitespace().map(str::to_owned).collect();
                Outcome::default()
            }
            other => panic!("{at}: unknown directive {other:?}"),
        }
    }

    /// The customer sends a file: `mimetype [caption]`, or `unavailable`.
    fn send_file(&mut self, description: &str) -> Outcome {
        let (mimetype, caption) = description
            .trim()
            .split_once(' ')
            .unwrap_or((description.trim(), ""));
        let attachment = if mimetype == "unavailable" {
            Attachment::Unavailable
        } else {
            self.files += 1;
            Attachment::Stored {
                media_id: format!("media-{}", self.files),
                mimetype: mimetype.to_owned(),
            }
        };
        let at = self.now;
        self.feed(&Event::Message {
            text: caption,
            at,
            attachment: Some(&attachment),
        })
    }
}

/// Replays one transcript; panics with the file and line of a mismatch.
fn replay(kind: PluginKind, flow: Option<Arc<Flow>>, path: &Path) {
    let text = std::fs::read_to_string(path).expect("a readable transcript");
    let folder = path.parent().expect("a transcript folder").to_owned();
    let mut replay = Replay::new(kind, flow, folder);
    let mut last = Outcome::default();
    let mut expectations = 0;
    for (index, line) in text.lines().enumerate() {
        let at = format!("{}:{}", path.display(), index + 1);
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(message) = line.strip_prefix("> ") {
            last = replay.feed(&Event::Message {
                text: message,
                at: replay.now,
                attachment: None,
            });
        } else if let Some(file) = line.strip_prefix(">file ") {
            last = replay.send_file(file);
        } else if let Some(directive) = line.strip_prefix("! ") {
            last = replay.directive(directive, &at);
        } else if line == "<>" {
            expectations += 1;
            assert!(
                last.replies.is_empty(),
                "{at}: expected silence, got {:?}",
                last.replies
            );
        } else if line == "@handover" {
            expectations += 1;
            assert!(last.handed_over, "{at}: expected a handover");
        } else if let Some(prescription) = line.strip_prefix("@order ") {
            expectations += 1;
            let expected = Some(prescription.trim().to_owned()).filter(|p| p != "none");
            assert_eq!(
                last.placed,
                Some(expected),
                "{at}: expected an order with this prescription"
            );
        } else if let Some(expected) = line.strip_prefix("< ") {
            expectations += 1;
            let said = last.replies.join("\n---\n");
            assert!(
                said.contains(expected),
                "{at}: expected the reply to contain {expected:?}, got:\n{said}"
            );
        } else {
            panic!("{at}: not an instruction: {line:?}");
        }
    }
    assert!(expectations > 0, "{}: expects nothing", path.display());
}

fn folder(bot: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("transcripts")
        .join(bot)
}

fn transcripts(bot: &str) -> Vec<PathBuf> {
    let folder = folder(bot);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    files.sort();
    files
}

#[test]
fn restaurant_transcripts() {
    let files = transcripts("restaurant");
    assert!(
        files.len() >= 15,
        "only {} restaurant transcripts",
        files.len()
    );
    for file in files {
        replay(PluginKind::Restaurant, None, &file);
    }
}

#[test]
fn retail_transcripts() {
    let files = transcripts("retail");
    assert!(files.len() >= 15, "only {} retail transcripts", files.len());
    for file in files {
        replay(PluginKind::Retail, None, &file);
    }
}

#[test]
fn pharmacy_transcripts() {
    let files = transcripts("pharmacy");
    assert!(
        files.len() >= 15,
        "only {} pharmacy transcripts",
        files.len()
    );
    for file in files {
        replay(PluginKind::Pharmacy, None, &file);
    }
}

/// A flow file, which must have no problems against the transcripts' menu.
fn load_flow(path: &Path) -> Flow {
    let json = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let flow: Flow =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let menu = luigis(BotSettings::default(), None).menu;
    assert_eq!(
        flow.errors(&menu),
        Vec::<String>::new(),
        "{}",
        path.display()
    );
    flow
}

/// The sample flow (`transcripts/flow/pizza.json`, also docs/bots.md's
/// example) must be valid, and every flow transcript runs against it
/// unless it loads another flow with `! flow`.
#[test]
fn flow_transcripts() {
    let flow = Arc::new(load_flow(&folder("flow").join("pizza.json")));
    let files = transcripts("flow");
    assert!(files.len() >= 15, "only {} flow transcripts", files.len());
    for file in files {
        replay(PluginKind::Flow, Some(flow.clone()), &file);
    }
}
