//! `merchant_feeds`: the last feed sequence handed out per merchant. Its row lock, taken
//! last in every write transaction and held until commit, makes feed sequences gap-free and
//! commit-ordered across any number of replicas.

use sea_orm::entity::prelude::*;

/// A merchant's feed head.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchant_feeds")]
pub struct Model {
    /// The merchant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: String,
    /// The last sequence handed out (0: none yet).
    pub last_seq: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
