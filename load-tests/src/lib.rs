//! Test and load tooling that talks to wabot only over HTTP, as WAHA and
//! customers would.
//!
//! [`simulator`] is a faithful in-memory WAHA (WhatsApp HTTP API): the REST
//! API the bot calls, signed webhooks with WAHA's retry policies, and test
//! hooks that play customers. It backs `wabot demo`, the test suite and the
//! `waha-sim` binary. [`driver`] plays the operator and customers against a
//! running wabot over HTTP.

pub mod driver;
pub mod load;
pub mod simulator;

pub use simulator::{
    CustomerMedia, DeliveryRecord, Engine, RetryKind, RetryPolicy, SentRecord, SessionStatus,
    SimError, Simulator, SimulatorConfig, WebhookConfig, install_tls_provider,
};
