//! `inventory_entries`: what each change did to each count it touches (a delta or a set).
//! A count is always recomputable from its entries; `stockledger verify` does exactly that.

use sea_orm::entity::prelude::*;

/// An entry row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_entries")]
pub struct Model {
    /// The change's server sequence.
    #[sea_orm(primary_key, auto_increment = false)]
    pub change_seq: i64,
    /// Owning merchant.
    pub merchant_id: String,
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: String,
    /// Counted state.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    /// `DELTA` or `SET`.
    pub effect: String,
    /// Signed delta or absolute quantity, 10⁻⁵ units.
    pub quantity_units: i64,
    /// The change's client time, µs.
    pub occurred_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
