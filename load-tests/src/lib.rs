//! The load generator of wabot (`wabot-load`): scenarios of customers
//! writing to many tenants over a WAHA simulator ([`waha_sim`]), measured
//! from outside, over HTTP only.

pub mod load;
