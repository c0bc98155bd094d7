//! The custom adjustment reason repository (docs/ledger.md, "Reasons"): creation keyed by
//! an idempotency key, and one locked read-modify-write for rename, delete and restore.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, sea_query::LockType,
};

use super::entity::inventory_adjustment_reason as reason;
use super::{MerchantId, Store, StoreError, new_id, now_micros};
use crate::domain::reason::{CustomReason, ReasonDirection};

/// What a creation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreatedReason {
    /// A new reason (or, for a retry of the same request, the one it created before).
    Created(CustomReason),
    /// The key was used by another request.
    KeyReused,
}

/// A custom reason to create.
#[derive(Clone, Debug)]
pub struct NewReason<'a> {
    /// The call's idempotency key.
    pub idempotency_key: &'a str,
    /// Digest of the call.
    pub request_digest: &'a str,
    /// Checked name.
    pub name: String,
    /// Checked direction.
    pub direction: ReasonDirection,
}

impl Store {
    /// Creates a custom reason, or answers the one an earlier call with the same key and
    /// request created. A name taken by a live reason is `Duplicate { field: "name" }`.
    pub async fn create_custom_reason(
        &self,
        merchant: &MerchantId,
        new: NewReason<'_>,
    ) -> Result<CreatedReason, StoreError> {
        if let Some(done) = self.reason_by_key(merchant, &new).await? {
            return Ok(done);
        }
        let now = now_micros();
        let row = reason::Model {
            id: new_id(),
            merchant_id: merchant.0.clone(),
            name: new.name.clone(),
            direction: new.direction.as_str().to_owned(),
            created_at: now,
            updated_at: now,
            is_deleted: false,
            idempotency_key: new.idempotency_key.to_owned(),
            request_digest: new.request_digest.to_owned(),
        };
        match reason::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(self.connection())
            .await
        {
            Ok(_) => from_row(row).map(CreatedReason::Created),
            // Either the name is taken, or the same key won a race on another replica.
            Err(err) => match self.reason_by_key(merchant, &new).await? {
                Some(done) => Ok(done),
                None => Err(StoreError::unique_as(err, "name", &new.name)),
            },
        }
    }

    /// The outcome of an earlier creation with `new`'s key, if there was one.
    async fn reason_by_key(
        &self,
        merchant: &MerchantId,
        new: &NewReason<'_>,
    ) -> Result<Option<CreatedReason>, StoreError> {
        let stored = reason::Entity::find()
            .filter(reason::Column::MerchantId.eq(&merchant.0))
            .filter(reason::Column::IdempotencyKey.eq(new.idempotency_key))
            .one(self.connection())
            .await?;
        stored
            .map(|row| {
                if row.request_digest == new.request_digest {
                    from_row(row).map(CreatedReason::Created)
                } else {
                    Ok(CreatedReason::KeyReused)
                }
            })
            .transpose()
    }

    /// One custom reason of the merchant, deleted or not.
    pub async fn get_custom_reason(
        &self,
        merchant: &MerchantId,
        id: &str,
    ) -> Result<CustomReason, StoreError> {
        let row = reason::Entity::find_by_id(id.to_owned())
            .filter(reason::Column::MerchantId.eq(&merchant.0))
            .one(self.connection())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(row)
    }

    /// The merchant's custom reasons, oldest first; deleted ones only when asked.
    pub async fn list_custom_reasons(
        &self,
        merchant: &MerchantId,
        include_deleted: bool,
    ) -> Result<Vec<CustomReason>, StoreError> {
        let mut select = reason::Entity::find().filter(reason::Column::MerchantId.eq(&merchant.0));
        if !include_deleted {
            select = select.filter(reason::Column::IsDeleted.eq(false));
        }
        select
            .order_by_asc(reason::Column::CreatedAt)
            .order_by_asc(reason::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// Reads the custom reason under lock, lets `change` compute it anew (name, deletion),
    /// and writes it. When `change` refuses, nothing is written and its refusal is the inner
    /// `Err`; when it answers the reason unchanged, nothing is written either. A name taken
    /// by another live reason is `Duplicate { field: "name" }`.
    pub async fn update_custom_reason<E>(
        &self,
        merchant: &MerchantId,
        id: &str,
        change: impl FnOnce(&CustomReason) -> Result<CustomReason, E>,
    ) -> Result<Result<CustomReason, E>, StoreError> {
        let tx = self.begin_write().await?;
        let row = reason::Entity::find_by_id(id.to_owned())
            .filter(reason::Column::MerchantId.eq(&merchant.0))
            .lock(LockType::Update)
            .one(&tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let current = from_row(row)?;
        let mut updated = match change(&current) {
            Ok(updated) => updated,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if updated == current {
            return Ok(Ok(current));
        }
        updated.updated_at = now_micros().max(current.updated_at + 1);
        let active = reason::ActiveModel {
            id: Set(current.id.clone()),
            name: Set(updated.name.clone()),
            is_deleted: Set(updated.is_deleted),
            updated_at: Set(updated.updated_at),
            ..Default::default()
        };
        active
            .update(&tx)
            .await
            .map_err(|e| StoreError::unique_as(e, "name", &updated.name))?;
        tx.commit().await?;
        Ok(Ok(updated))
    }
}

/// A record from a row as stored; only a direction this server cannot read is corrupt.
fn from_row(row: reason::Model) -> Result<CustomReason, StoreError> {
    let direction = ReasonDirection::from_stored(&row.direction).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "adjustment reason {}: unknown direction {:?}",
            row.id, row.direction
        ))
    })?;
    Ok(CustomReason {
        id: row.id,
        name: row.name,
        direction,
        created_at: row.created_at,
        updated_at: row.updated_at,
        is_deleted: row.is_deleted,
    })
}
