//! Integration tests: the real server over HTTP, the WAHA simulator as
//! WAHA, and real databases (a fresh SQLite file or PostgreSQL database per
//! test). Scenarios that touch storage run on both backends.

mod harness;

mod attacks;
mod conversation;
mod durability;
mod faults;
mod flow_bot;
mod handoff;
mod inbox;
mod load;
mod metrics;
mod operator_api;
mod outbox;
mod pharmacy;
mod quotas;
mod rejections;
mod retail;
mod rls;
mod self_service;
mod settings;
mod shared_limits;
mod stock;
mod team;
mod whatsapp_session;
