//! The location repository.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::LockType,
};

use super::entity::location;
use super::{MerchantId, Page, Store, StoreError, new_id, now_micros};
use crate::domain::location::{LocationAttributes, LocationStatus};

/// A stored location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationRecord {
    /// Opaque id.
    pub id: String,
    /// The attributes, validated when they were written.
    pub attributes: LocationAttributes,
    /// Creation time, microseconds since the epoch.
    pub created_at: i64,
    /// Last update time, microseconds since the epoch.
    pub updated_at: i64,
}

/// Which locations a list page holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocationListQuery {
    /// Only ids strictly greater than this (the previous page's last id).
    pub after_id: Option<String>,
    /// Only locations with this status.
    pub status: Option<LocationStatus>,
    /// Page size.
    pub limit: u64,
}

/// The row of `record`, a location of `merchant`.
pub(super) fn location_row(
    merchant: &MerchantId,
    record: &LocationRecord,
) -> location::ActiveModel {
    location::ActiveModel {
        id: Set(record.id.clone()),
        merchant_id: Set(merchant.0.clone()),
        name: Set(record.attributes.name.clone()),
        status: Set(record.attributes.status.as_str().to_owned()),
        description: Set(record.attributes.description.clone()),
        forbid_negative_counts: Set(record.attributes.forbid_negative_counts),
        created_at: Set(record.created_at),
        updated_at: Set(record.updated_at),
    }
}

impl Store {
    /// Inserts a new location; `Duplicate { field: "name" }` if the name is taken.
    pub async fn create_location(
        &self,
        merchant: &MerchantId,
        attributes: LocationAttributes,
    ) -> Result<LocationRecord, StoreError> {
        let now = now_micros();
        let record = LocationRecord {
            id: new_id(),
            attributes,
            created_at: now,
            updated_at: now,
        };
        location::Entity::insert(location_row(merchant, &record))
            .exec_without_returning(self.connection())
            .await
            .map_err(|e| StoreError::unique_as(e, "name", &record.attributes.name))?;
        Ok(record)
    }

    /// One location of the merchant.
    #[tracing::instrument(level = "debug", name = "db.get_location", skip_all)]
    pub async fn get_location(
        &self,
        merchant: &MerchantId,
        id: &str,
    ) -> Result<LocationRecord, StoreError> {
        let row = location::Entity::find_by_id(id.to_owned())
            .filter(location::Column::MerchantId.eq(&merchant.0))
            .one(self.connection())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(row)
    }

    /// One page of the merchant's locations in id (creation) order.
    #[tracing::instrument(level = "debug", name = "db.list_locations", skip_all)]
    pub async fn list_locations(
        &self,
        merchant: &MerchantId,
        query: &LocationListQuery,
    ) -> Result<Page<LocationRecord>, StoreError> {
        let mut select =
            location::Entity::find().filter(location::Column::MerchantId.eq(&merchant.0));
        if let Some(after) = &query.after_id {
            select = select.filter(location::Column::Id.gt(after));
        }
        if let Some(status) = query.status {
            select = select.filter(location::Column::Status.eq(status.as_str()));
        }
        let rows = select
            .order_by_asc(location::Column::Id)
            .limit(query.limit + 1)
            .all(self.connection())
            .await?;
        Page::from_overfetch(rows, query.limit).try_map(from_row)
    }

    /// Reads the location, lets `change` compute its new attributes, and writes them in
    /// one transaction that locks the row. When `change` refuses, nothing is written and its
    /// refusal is the inner `Err`.
    pub async fn update_location<E>(
        &self,
        merchant: &MerchantId,
        id: &str,
        change: impl FnOnce(&LocationAttributes) -> Result<LocationAttributes, E>,
    ) -> Result<Result<LocationRecord, E>, StoreError> {
        let tx = self.begin_write().await?;
        let row = location::Entity::find_by_id(id.to_owned())
            .filter(location::Column::MerchantId.eq(&merchant.0))
            .lock(LockType::Update)
            .one(&tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let current = from_row(row)?;
        let attributes = match change(&current.attributes) {
            Ok(attributes) => attributes,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let updated_at = now_micros().max(current.updated_at + 1);
        let active = location::ActiveModel {
            id: Set(current.id.clone()),
            name: Set(attributes.name.clone()),
            status: Set(attributes.status.as_str().to_owned()),
            description: Set(attributes.description.clone()),
            forbid_negative_counts: Set(attributes.forbid_negative_counts),
            updated_at: Set(updated_at),
            ..Default::default()
        };
        active
            .update(&tx)
            .await
            .map_err(|e| StoreError::unique_as(e, "name", &attributes.name))?;
        tx.commit().await?;
        Ok(Ok(LocationRecord {
            attributes,
            updated_at,
            ..current
        }))
    }
}

/// Builds a record from a row as stored. The rules were checked when the row was written
/// and are not checked again: a rule tightened since then must not make existing locations
/// unreadable. Only a status this server cannot decode is corrupt.
fn from_row(row: location::Model) -> Result<LocationRecord, StoreError> {
    let status = LocationStatus::from_stored(&row.status).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "location {}: unknown status {:?}",
            row.id, row.status
        ))
    })?;
    Ok(LocationRecord {
        id: row.id,
        attributes: LocationAttributes {
            name: row.name,
            status,
            description: row.description,
            forbid_negative_counts: row.forbid_negative_counts,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
