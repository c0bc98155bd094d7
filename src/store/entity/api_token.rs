//! `api_tokens`: bearer tokens, stored as a digest of their secret only.

use sea_orm::entity::prelude::*;

/// A token row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// Public token id (the `<id>` of `slk_<id>_<secret>`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The merchant the token acts for.
    pub merchant_id: String,
    /// SHA-256 of the secret, hex.
    pub secret_digest: String,
    /// Comma-separated scope names.
    pub scopes: String,
    /// Recorded as the source application of every change made with the token.
    pub application_id: String,
    /// Display name of the application.
    pub application_name: String,
    /// Server time, µs.
    pub created_at: i64,
    /// Server time of revocation, µs; NULL while active.
    pub revoked_at: Option<i64>,
    /// Server time after which the token is refused, µs; NULL if it never expires.
    pub expires_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
