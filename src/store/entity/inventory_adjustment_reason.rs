//! `inventory_adjustment_reasons`: the merchants' custom adjustment reasons.

use sea_orm::entity::prelude::*;

/// A custom reason row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_adjustment_reasons")]
pub struct Model {
    /// Opaque id (UUID v7 text).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Unique per merchant among the reasons that are not deleted.
    pub name: String,
    /// `INCREASE` or `DECREASE`.
    pub direction: String,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    /// Microseconds since the Unix epoch.
    pub updated_at: i64,
    /// Soft-deleted.
    pub is_deleted: bool,
    /// The key of the call that created it: unique per merchant.
    pub idempotency_key: String,
    /// Digest of the call that created it.
    pub request_digest: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
