//! Authentication and authorization: bearer tokens bound to one merchant and a set of
//! scopes, the one table of which scope each RPC needs, and the tower layer that checks
//! every call (health and reflection stay public).

pub mod cache;
mod layer;
pub mod scopes;
pub mod token;

pub use layer::AuthLayer;
