//! Where a customer is in a tenant's flow: the snapshot kept between
//! messages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::order::OrderLine;

/// Where a customer is in the tenant's flow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowState {
    /// The node waiting for the customer (or for an order to be placed);
    /// none before the first message and after the flow ended.
    #[serde(default)]
    pub at: Option<String>,
    /// Values captured or set so far.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Items added so far.
    #[serde(default)]
    pub cart: Vec<OrderLine>,
    /// Handed over to a person: silent until handed back.
    #[serde(default)]
    pub handed_over: bool,
}
