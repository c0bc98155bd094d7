//! `inventory_alerts`: the durable log behind WatchInventoryAlerts and the webhooks'
//! alert events: every crossing of an IN_STOCK count over its reorder point that a
//! committed change caused (docs/alerts.md).

use sea_orm::entity::prelude::*;

/// An alert row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_alerts")]
pub struct Model {
    /// The merchant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: String,
    /// Feed sequence of the change that caused it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub feed_seq: i64,
    /// The ordinal of the count update it follows (0, or 1 for a transfer's second count).
    #[sea_orm(primary_key, auto_increment = false)]
    pub ordinal: i32,
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    pub location_id: String,
    /// `LOW` or `RECOVERED`.
    pub kind: String,
    /// The IN_STOCK quantity after the change, 10⁻⁵ units.
    pub quantity_units: i64,
    /// The reorder point it crossed, 10⁻⁵ units.
    pub reorder_point_units: i64,
    /// Id of the change.
    pub change_id: String,
    /// When the change occurred, µs.
    pub occurred_at: i64,
    /// Server time of the change, µs.
    pub calculated_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
