//! `inventory_items`: the goods whose stock is tracked.

use sea_orm::entity::prelude::*;

/// An inventory item row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_items")]
pub struct Model {
    /// Opaque id (UUID v7 text).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// The SKU, which several items of a merchant may share (indexed with `merchant_id` and
    /// `id`, not unique); empty: the item has no SKU.
    pub sku: String,
    /// Unit cost in 10⁻⁵ units; exact on every backend.
    pub cost_units: Option<i64>,
    /// ISO 3166-1 alpha-2.
    pub country_code_of_origin: Option<String>,
    /// Subdivision part of ISO 3166-2.
    pub province_code_of_origin: Option<String>,
    /// General HS code.
    pub harmonized_system_code: Option<String>,
    /// JSON array of `{"harmonized_system_code": …, "country_code": …}`.
    pub country_harmonized_system_codes: String,
    /// Whether stock is tracked.
    pub tracked: bool,
    /// Whether shipping needs an address.
    pub requires_shipping: bool,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    /// Microseconds since the Unix epoch.
    pub updated_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
