//! Flow bots: a tenant's own bot, declared as a graph of nodes in JSON
//! (send a message, offer a choice, capture input, branch on a variable,
//! set a variable, add an item to the cart, check out, hand over to a
//! person) and run by [`FlowBot`]. A flow is checked when uploaded
//! ([`Flow::errors`]): every `next` names a node, every node is reachable,
//! every variable used is set somewhere, every item exists, and no cycle can
//! run without waiting for the customer. At run time a flow does no I/O of
//! its own and takes at most [`MAX_STEPS_PER_MESSAGE`] nodes per message.

pub mod graph;
mod runner;
pub mod state;

pub use graph::{Flow, MAX_STEPS_PER_MESSAGE};
pub use runner::FlowBot;
pub use state::FlowState;
