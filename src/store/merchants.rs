//! Merchants (tenants).

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entity::merchant;
use super::{MerchantId, Store, StoreError, new_id, now_micros};

/// Name of the merchant that owns everything until authentication assigns merchants.
pub const DEFAULT_MERCHANT: &str = "default";

impl Store {
    /// The id of the merchant called `name`, created if it does not exist yet.
    pub async fn ensure_merchant(&self, name: &str) -> Result<MerchantId, StoreError> {
        if let Some(existing) = self.find_merchant(name).await? {
            return Ok(existing);
        }
        let row = merchant::ActiveModel {
            id: Set(new_id()),
            name: Set(name.to_owned()),
            created_at: Set(now_micros()),
        };
        match merchant::Entity::insert(row).exec(self.connection()).await {
            Ok(inserted) => Ok(MerchantId(inserted.last_insert_id)),
            // Another process created it first: use theirs.
            Err(err) => match self.find_merchant(name).await? {
                Some(existing) => Ok(existing),
                None => Err(err.into()),
            },
        }
    }

    pub async fn find_merchant(&self, name: &str) -> Result<Option<MerchantId>, StoreError> {
        let found = merchant::Entity::find()
            .filter(merchant::Column::Name.eq(name))
            .one(self.connection())
            .await?;
        Ok(found.map(|m| MerchantId(m.id)))
    }
}
