//! `inventory_reorder_points`: the reorder point of an item at a location, below or at
//! which its IN_STOCK count is low (docs/alerts.md).

use sea_orm::entity::prelude::*;

/// A reorder point row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_reorder_points")]
pub struct Model {
    /// The merchant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: String,
    /// Item id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub catalog_object_id: String,
    /// Location id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: String,
    /// The reorder point, 10⁻⁵ units.
    pub reorder_point_units: i64,
    /// Server time of the last set, µs.
    pub updated_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
