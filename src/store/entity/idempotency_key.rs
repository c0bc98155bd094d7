//! `idempotency_keys`: each BatchChangeInventory key with its request digest and response.

use sea_orm::entity::prelude::*;

/// An idempotency key row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// Owning merchant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: String,
    /// The caller's key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub idempotency_key: String,
    /// SHA-256 of the encoded request, hex.
    pub request_digest: String,
    /// The encoded response, written in the same transaction as the changes.
    pub response: Option<Vec<u8>>,
    /// Server time, µs.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
