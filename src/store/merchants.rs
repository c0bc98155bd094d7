//! Merchants (tenants).

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entity::merchant;
use super::{MerchantId, Store, StoreError, new_id, now_micros};

/// Name of the merchant that owns everything until authentication assigns merchants.
pub const DEFAULT_MERCHANT: &str = "default";

impl Store {
    /// The id of the merchant called `name`, created if it does not exist yet.
    pub async fn ensure_merchant(&self, name: &str) -> Result<MerchantId, StoreError> {
        ensure_merchant_on(self.connection(), name).await
    }

    /// The id of the merchant called `name`, if there is one.
    pub async fn find_merchant(&self, name: &str) -> Result<Option<MerchantId>, StoreError> {
        find_merchant_on(self.connection(), name).await
    }
}

/// [`Store::ensure_merchant`] on `db` (the store's pool, or a rehearsal's transaction).
pub(super) async fn ensure_merchant_on(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<MerchantId, StoreError> {
    if let Some(existing) = find_merchant_on(db, name).await? {
        return Ok(existing);
    }
    let row = merchant::ActiveModel {
        id: Set(new_id()),
        name: Set(name.to_owned()),
        created_at: Set(now_micros()),
    };
    match merchant::Entity::insert(row).exec(db).await {
        Ok(inserted) => Ok(MerchantId(inserted.last_insert_id)),
        // Another process created it first: use theirs.
        Err(err) => match find_merchant_on(db, name).await? {
            Some(existing) => Ok(existing),
            None => Err(err.into()),
        },
    }
}

async fn find_merchant_on(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<MerchantId>, StoreError> {
    let found = merchant::Entity::find()
        .filter(merchant::Column::Name.eq(name))
        .one(db)
        .await?;
    Ok(found.map(|m| MerchantId(m.id)))
}
