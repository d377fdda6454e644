//! wabot: a multi-tenant WhatsApp ordering-bot server.
//!
//! This crate holds the adapters around the actor runtime
//! ([`wabot_actors`]): configuration, storage (SQLite and PostgreSQL), the
//! HTTP surface (WAHA webhooks, the admin and operator APIs, metrics), the CLI and the demo.
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod domain;
pub mod http;
pub mod image_urls;
pub mod media;
pub mod metrics;
pub mod rate_limits;
pub mod redaction;
pub mod retention;
pub mod secret_box;
pub mod session_directory;
pub mod storage;
pub mod telemetry;
pub mod tiers;

pub use app::App;
pub use config::Settings;
