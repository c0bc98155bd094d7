//! Stockledger: an exact inventory ledger served over gRPC (docs/architecture.md).
//!
//! Data flows one way: [`api`] decodes and encodes, [`domain`] decides, [`store`] persists,
//! [`feed`] publishes. Dependencies point down only, never back up:
//!
//! ```text
//! server → auth → api → feed → store → domain
//! ```
//!
//! `auth → api` (its refusals take the API's one error mapping), `api → domain, store,
//! feed`, `feed → store`, `store → domain`; [`domain`] depends on nothing else in the crate.
//! Types several layers share — the merchant id, the caller, scopes, error reasons — live in
//! [`domain`]. `scripts/layers.sh` checks the rule.

pub mod api;
pub mod auth;
pub mod config;
pub mod domain;
pub mod feed;
pub mod proto;
pub mod server;
pub mod store;
pub mod telemetry;
