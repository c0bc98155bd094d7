//! `inventory_count_updates`: the durable log behind WatchInventoryCounts: every count a
//! committed change moved, with its previous and new quantity.

use sea_orm::entity::prelude::*;

/// A count update row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_count_updates")]
pub struct Model {
    /// The merchant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: String,
    /// Feed sequence of the change that caused it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub feed_seq: i64,
    /// Position among the updates of that change (0 or 1).
    #[sea_orm(primary_key, auto_increment = false)]
    pub ordinal: i32,
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    pub location_id: String,
    /// Counted state.
    pub state: String,
    /// Quantity before, 10⁻⁵ units; NULL if the count did not exist.
    pub previous_units: Option<i64>,
    /// Quantity after, 10⁻⁵ units.
    pub quantity_units: i64,
    /// Server time of the change, µs.
    pub calculated_at: i64,
    /// Id of the change.
    pub change_id: String,
    /// Type of the change.
    pub change_type: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
