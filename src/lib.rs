//! Stockledger: an exact inventory ledger served over gRPC (docs/architecture.md).
//!
//! Data flows one way: [`api`] decodes and encodes, [`domain`] decides, [`store`] persists,
//! [`feed`] publishes. Dependencies point down only, never back up:
//!
//! ```text
//! server → webhook → gateway → api → auth → feed → store → domain
//! ```
//!
//! `api → auth, feed, store, domain` (the API's tower layer runs [`auth::authorize`] and
//! answers its refusals through the one error mapping), `auth → store, domain`, `feed →
//! store`, `store → domain`; [`domain`] depends on nothing else in the crate.
//! Types several layers share — the merchant id, the caller, scopes, error reasons — live in
//! [`domain`]. [`transfer`] (`stockledger import` / `export`) sits beside [`server`]: it
//! uses `api`'s shared wire conversions (`api::*_wire`, `api::convert`; never a service's
//! module), `store` and `domain`, and only `main` and `config` use it. [`gateway`] (the
//! HTTP/JSON front doors) calls `api`'s service implementations in-process, through `api`'s
//! admission gate and `Authenticator`; it never names `store`, and only [`server`] starts
//! it. [`webhook`] (the webhook deliverer) reads subscriptions and the feed from `store` and
//! shapes notifications with `gateway`'s JSON types; only [`server`] starts it.
//! `scripts/layers.sh` checks these rules.

pub mod api;
pub mod auth;
pub mod config;
pub mod domain;
pub mod feed;
pub mod gateway;
pub mod metrics;
pub mod proto;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod transfer;
pub mod webhook;
