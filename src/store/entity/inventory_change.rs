//! `inventory_changes`: the immutable history, one row per recorded change.

use sea_orm::entity::prelude::*;

/// A change row. Columns that do not apply to a change type are NULL or empty.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_changes")]
pub struct Model {
    /// Server sequence: breaks ties of equal occurred_at.
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// Per-merchant feed sequence: gap-free, in commit order.
    pub feed_seq: i64,
    /// Opaque id (UUID v7 text).
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// `ADJUSTMENT`, `PHYSICAL_COUNT` or `TRANSFER`.
    pub change_type: String,
    /// Item id.
    pub catalog_object_id: String,
    /// Location (a transfer's source).
    pub location_id: String,
    /// A transfer's destination.
    pub to_location_id: Option<String>,
    /// An adjustment's from_state; a transfer's state.
    pub from_state: Option<String>,
    /// An adjustment's to_state; a physical count's or transfer's state.
    pub to_state: String,
    /// Quantity in 10⁻⁵ units.
    pub quantity_units: i64,
    /// Sale price in 10⁻⁵ units.
    pub total_price_units: Option<i64>,
    /// Sale currency.
    pub total_price_currency: Option<String>,
    /// Client time, µs.
    pub occurred_at: i64,
    /// Server time, µs.
    pub created_at: i64,
    /// SourceApplication.product.
    pub source_product: String,
    /// SourceApplication.application_id.
    pub source_application_id: String,
    /// SourceApplication.name.
    pub source_name: String,
    /// Caller's own id.
    pub reference_id: String,
    /// Employee.
    pub employee_id: String,
    /// Team member.
    pub team_member_id: String,
    /// Sale.
    pub transaction_id: String,
    /// Refund.
    pub refund_id: String,
    /// Purchase order.
    pub purchase_order_id: String,
    /// Goods receipt.
    pub goods_receipt_id: String,
    /// The reservation whose step recorded the change; empty for every other change.
    pub reservation_id: String,
    /// The reason carried: a reason type (`THEFT`) or `CUSTOM:<id>`; empty for none.
    pub reason: String,
    /// A receipt's cost, fixed-point (10⁻⁵ units).
    pub cost_units: Option<i64>,
    /// A receipt's cost currency.
    pub cost_currency: Option<String>,
    /// The vendor of a receipt; empty for none.
    pub vendor_id: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
