//! SeaORM entities: one module per table, mirroring `migration.rs` column for column.

pub mod inventory_item;
pub mod location;
pub mod merchant;
