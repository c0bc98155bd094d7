//! Authentication and authorization: bearer tokens bound to one merchant and a set of
//! scopes, the one table of which scope each RPC needs, and the check every call passes
//! (health and reflection stay public); `api::authentication` runs it as a tower layer.

pub mod cache;
mod check;
pub mod scopes;
pub mod token;

pub use check::{AuthError, authorize};
