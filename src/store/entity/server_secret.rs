//! `server_secrets`: secrets every replica of a database shares (the cursor signing key).

use sea_orm::entity::prelude::*;

/// A secret row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "server_secrets")]
pub struct Model {
    /// What the secret is for, e.g. `cursor_signing_key`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The secret, lowercase hex.
    pub secret: String,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
