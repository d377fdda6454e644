//! A flow as uploaded: the graph of nodes, and the checks it must pass
//! before it is stored ([`Flow::errors`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalog::Menu;

/// Most nodes one customer message may run through.
pub const MAX_STEPS_PER_MESSAGE: usize = 50;

/// Most nodes a flow may have.
const MAX_NODES: usize = 200;

/// Values every template may use without setting them.
const BUILT_INS: [&str; 3] = ["business", "order_number", "cart_total"];

/// A flow: named nodes and where to start.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// The node a conversation starts at.
    pub start: String,
    /// The nodes by name.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub nodes: BTreeMap<String, Node>,
}

/// A choice the customer can pick, by its number or its label.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What the customer sees (and may type).
    pub label: String,
    /// Where it leads.
    pub next: String,
}

/// What an input must look like.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// Any text of 2 to 500 characters.
    #[default]
    Text,
    /// A whole number from 1 to 999.
    Number,
    /// An email address.
    Email,
    /// A phone number (7 to 15 digits).
    Phone,
}

/// How a condition compares a variable.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Equal (as text, ignoring case).
    Equals,
    /// Different (as text, ignoring case).
    NotEquals,
    /// Greater (as numbers).
    GreaterThan,
    /// Smaller (as numbers).
    LessThan,
    /// The variable has a value.
    IsSet,
}

/// One node of a flow. Templates may name variables in braces (`{name}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Node {
    /// Sends `text`, then goes on to `next` (none: the flow ends).
    Message {
        /// What to send (a template).
        text: String,
        /// The node after it; absent: the flow ends here.
        #[serde(default)]
        next: Option<String>,
    },
    /// Sends `text` with numbered options and waits for a pick.
    Choice {
        /// The question (a template).
        text: String,
        /// 1 to 10 options.
        options: Vec<Choice>,
    },
    /// Sends `text` and waits for an answer of `kind`, stored in `variable`.
    Input {
        /// The question (a template).
        text: String,
        /// Where the answer goes.
        variable: String,
        /// What the answer must look like (default `text`).
        #[serde(default)]
        kind: InputKind,
        /// The node after a valid answer.
        next: String,
    },
    /// Goes to `then` if `variable` compares to `value`, else to `otherwise`.
    Condition {
        /// The variable compared.
        variable: String,
        /// How.
        comparison: Comparison,
        /// With what (a template; unused by `is_set`).
        #[serde(default)]
        value: String,
        /// The node when it holds.
        then: String,
        /// The node when it does not.
        otherwise: String,
    },
    /// Sets `variable` to `value`.
    Set {
        /// The variable set.
        variable: String,
        /// Its new value (a template).
        value: String,
        /// The node after it.
        next: String,
    },
    /// Adds `quantity` of the menu item `item_id` to the cart.
    AddToCart {
        /// The item's code on the menu.
        item_id: String,
        /// How many: a number, or a template such as `{qty}` (default 1;
        /// kept within 1 to 99).
        #[serde(default = "one")]
        quantity: String,
        /// The node after it.
        next: String,
    },
    /// Places the cart as an order delivered to `address`.
    Checkout {
        /// The delivery address (a template, e.g. `{address}`).
        address: String,
        /// The node once the order is placed (`{order_number}` is set).
        next: String,
        /// The node when the cart is empty or the order could not be placed.
        failed: String,
    },
    /// Sends `text` and hands the conversation to a person.
    Handoff {
        /// What to send first (a template).
        text: String,
    },
}

fn one() -> String {
    "1".to_owned()
}

impl Node {
    /// The nodes it may lead to.
    fn successors(&self) -> Vec<&str> {
        match self {
            Node::Message { next, .. } => next.iter().map(String::as_str).collect(),
            Node::Choice { options, .. } => options.iter().map(|o| o.next.as_str()).collect(),
            Node::Input { next, .. } | Node::Set { next, .. } | Node::AddToCart { next, .. } => {
                vec![next]
            }
            Node::Condition {
                then, otherwise, ..
            } => vec![then, otherwise],
            Node::Checkout { next, failed, .. } => vec![next, failed],
            Node::Handoff { .. } => Vec::new(),
        }
    }

    /// Whether running it waits for the customer (or the runtime).
    fn waits(&self) -> bool {
        matches!(
            self,
            Node::Choice { .. } | Node::Input { .. } | Node::Checkout { .. } | Node::Handoff { .. }
        )
    }

    /// Every template it renders.
    fn templates(&self) -> Vec<&str> {
        match self {
            Node::Message { text, .. } | Node::Handoff { text } => vec![text],
            Node::Choice { text, options } => std::iter::once(text.as_str())
                .chain(options.iter().map(|o| o.label.as_str()))
                .collect(),
            Node::Input { text, .. } => vec![text],
            Node::Set { value, .. } => vec![value],
            Node::AddToCart { quantity, .. } => vec![quantity],
            Node::Checkout { address, .. } => vec![address],
            Node::Condition { .. } => Vec::new(),
        }
    }

    /// The variable it sets, if any.
    fn sets(&self) -> Option<&str> {
        match self {
            Node::Input { variable, .. } | Node::Set { variable, .. } => Some(variable),
            _ => None,
        }
    }
}

impl Flow {
    /// Every problem of the flow against `menu`, each naming its node; empty
    /// when the flow can run.
    pub fn errors(&self, menu: &Menu) -> Vec<String> {
        let mut errors = Vec::new();
        if self.nodes.len() > MAX_NODES {
            errors.push(format!(
                "a flow has at most {MAX_NODES} nodes, this one {}",
                self.nodes.len()
            ));
        }
        if !self.nodes.contains_key(&self.start) {
            errors.push(format!("start: unknown node {:?}", self.start));
        }
        let set: BTreeSet<&str> = self.nodes.values().filter_map(Node::sets).collect();
        for (name, node) in &self.nodes {
            for next in node.successors() {
                if !self.nodes.contains_key(next) {
                    errors.push(format!("node {name:?}: unknown node {next:?}"));
                }
            }
            for template in node.templates() {
                for variable in crate::i18n::placeholders(template) {
                    if !set.contains(variable) && !BUILT_INS.contains(&variable) {
                        errors.push(format!(
                            "node {name:?}: missing variable {variable:?} (no input or set node sets it)"
                        ));
                    }
                }
            }
            match node {
                Node::Condition { variable, .. } if !set.contains(variable.as_str()) => {
                    errors.push(format!(
                        "node {name:?}: missing variable {variable:?} (no input or set node sets it)"
                    ));
                }
                Node::Choice { options, .. } if options.is_empty() || options.len() > 10 => {
                    errors.push(format!("node {name:?}: a choice needs 1 to 10 options"));
                }
                Node::AddToCart { item_id, .. } if menu.number_of(item_id).is_none() => {
                    errors.push(format!(
                        "node {name:?}: item {item_id:?} is not on the menu (or not available)"
                    ));
                }
                _ => {}
            }
        }
        for name in self.unreachable() {
            errors.push(format!("node {name:?}: unreachable from the start node"));
        }
        if let Some(name) = self.busy_cycle() {
            errors.push(format!(
                "node {name:?}: is on a loop that never waits for the customer"
            ));
        }
        errors
    }

    fn unreachable(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![self.start.as_str()];
        while let Some(name) = todo.pop() {
            if seen.insert(name)
                && let Some(node) = self.nodes.get(name)
            {
                todo.extend(node.successors());
            }
        }
        self.nodes
            .keys()
            .map(String::as_str)
            .filter(|name| !seen.contains(name))
            .collect()
    }

    /// A node on a cycle of nodes that never wait, if there is one.
    fn busy_cycle(&self) -> Option<&str> {
        // Depth-first search over the non-waiting nodes; a back edge is a cycle.
        fn visit<'a>(
            flow: &'a Flow,
            name: &'a str,
            on_path: &mut BTreeSet<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) -> Option<&'a str> {
            let node = flow.nodes.get(name)?;
            if node.waits() || done.contains(name) {
                return None;
            }
            if !on_path.insert(name) {
                return Some(name);
            }
            for next in node.successors() {
                if let Some(found) = visit(flow, next, on_path, done) {
                    return Some(found);
                }
            }
            on_path.remove(name);
            done.insert(name);
            None
        }
        let mut done = BTreeSet::new();
        self.nodes.keys().find_map(|name| {
            let mut on_path = BTreeSet::new();
            visit(self, name, &mut on_path, &mut done)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(json: &str) -> Flow {
        serde_json::from_str(json).expect("a flow")
    }

    #[test]
    fn every_kind_of_mistake_is_named_with_its_node() {
        let broken = flow(
            r#"{"start": "hello", "nodes": {
                "hello": {"type": "message", "text": "Hi {name}", "next": "nowhere"},
                "orphan": {"type": "message", "text": "never shown"},
                "spin": {"type": "set", "variable": "x", "value": "1", "next": "spin"},
                "pick": {"type": "add_to_cart", "item_id": "ghost", "next": "spin"}
            }}"#,
        );
        let errors = broken.errors(&Menu::default()).join("\n");
        for expected in [
            "node \"hello\": unknown node \"nowhere\"",
            "node \"hello\": missing variable \"name\"",
            "node \"pick\": item \"ghost\" is not on the menu",
            "node \"orphan\": unreachable from the start node",
            "node \"spin\": is on a loop that never waits for the customer",
        ] {
            assert!(errors.contains(expected), "{expected} in:\n{errors}");
        }
    }

    #[test]
    fn unknown_node_types_and_fields_are_refused_when_read() {
        let typo = r#"{"start": "a", "nodes": {"a": {"type": "mesage", "text": "x"}}}"#;
        assert!(serde_json::from_str::<Flow>(typo).is_err());
        let field = r#"{"start": "a", "nodes": {"a": {"type": "message", "txt": "x"}}}"#;
        assert!(serde_json::from_str::<Flow>(field).is_err());
    }
}
