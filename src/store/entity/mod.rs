//! SeaORM entities: one module per table, mirroring `migration.rs` column for column.

pub mod api_token;
pub mod idempotency_key;
pub mod inventory_adjustment_reason;
pub mod inventory_alert;
pub mod inventory_change;
pub mod inventory_count;
pub mod inventory_count_update;
pub mod inventory_entry;
pub mod inventory_item;
pub mod inventory_reorder_point;
pub mod location;
pub mod merchant;
pub mod merchant_feed;
pub mod server_secret;
pub mod webhook_subscription;
