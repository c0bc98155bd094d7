//! `inventory_counts`: the current count of each (item, location, state), maintained in
//! the same transaction as the changes, so reads are O(1).

use sea_orm::entity::prelude::*;

/// A count row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_counts")]
pub struct Model {
    /// Owning merchant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: String,
    /// Item id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub catalog_object_id: String,
    /// Location id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: String,
    /// A state that keeps a count (`IN_STOCK`, `WASTE`, `DAMAGED`, …).
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    /// Current quantity, 10⁻⁵ units.
    pub quantity_units: i64,
    /// Server time of the latest change that moved it, µs.
    pub calculated_at: i64,
    /// occurred_at of the latest physical count, if any.
    pub anchor_occurred_at: Option<i64>,
    /// Sequence of the latest physical count, if any.
    pub anchor_seq: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
