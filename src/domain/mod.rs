//! Pure domain rules: no I/O, no database, no network. Everything here can be tested alone.

pub mod alert;
pub mod asof;
pub mod currency;
pub mod decide;
pub mod decimal;
pub mod error;
pub mod guard;
pub mod id;
pub mod item;
pub mod ledger;
pub mod list;
pub mod location;
pub mod mask;
pub mod plan;
pub mod product;
pub mod reason;
pub mod refusal;
pub mod reservation;
pub mod scope;
pub mod tenant;
pub mod text;
pub mod validate;
pub mod webhook;
