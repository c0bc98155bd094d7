//! `locations`: places that hold stock.

use sea_orm::entity::prelude::*;

/// A location row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "locations")]
pub struct Model {
    /// Opaque id (UUID v7 text).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Unique per merchant.
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Free-form; empty means none.
    pub description: String,
    /// Whether batches may not take this location's counts below zero by default.
    pub forbid_negative_counts: bool,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    /// Microseconds since the Unix epoch.
    pub updated_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
