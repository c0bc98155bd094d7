//! Stockledger: an exact inventory ledger served over gRPC.
//!
//! Data flows one way: [`api`] decodes and encodes, [`domain`] decides, [`store`] persists.

pub mod api;
pub mod auth;
pub mod config;
pub mod domain;
pub mod feed;
pub mod proto;
pub mod server;
pub mod store;
pub mod telemetry;
