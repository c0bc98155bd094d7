//! The inventory item repository.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::LockType,
};
use serde::{Deserialize, Serialize};

use super::entity::inventory_item;
use super::{MerchantId, Page, Store, StoreError, new_id, now_micros};
use crate::domain::decimal::Fixed5;
use crate::domain::item::{CountryCode, CountryHsCode, HsCode, ItemAttributes, Sku};

/// A stored inventory item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRecord {
    /// Opaque id.
    pub id: String,
    /// The attributes, validated when they were written.
    pub attributes: ItemAttributes,
    /// Creation time, microseconds since the epoch.
    pub created_at: i64,
    /// Last update time, microseconds since the epoch.
    pub updated_at: i64,
}

/// Which items a list page holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemListQuery {
    /// Only ids strictly greater than this (the previous page's last id).
    pub after_id: Option<String>,
    /// Only items with this exact SKU, every one of them (SKUs may repeat), in id order
    /// like every page; never empty: an item without a SKU matches no SKU filter.
    pub sku: Option<String>,
    /// Only these ids (empty: all).
    pub ids: Vec<String>,
    /// Only items updated strictly after this time (microseconds).
    pub updated_after: Option<i64>,
    /// Page size.
    pub limit: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredCountryHsCode {
    harmonized_system_code: String,
    country_code: String,
}

impl Store {
    /// Inserts a new item. Its SKU is a label, not a key: any number of items may share
    /// one, or have none, so no value of the item can clash with another item's.
    pub async fn create_item(
        &self,
        merchant: &MerchantId,
        attributes: ItemAttributes,
    ) -> Result<ItemRecord, StoreError> {
        let now = now_micros();
        let record = ItemRecord {
            id: new_id(),
            attributes,
            created_at: now,
            updated_at: now,
        };
        inventory_item::Entity::insert(item_row(merchant, &record))
            .exec_without_returning(self.connection())
            .await?;
        Ok(record)
    }

    /// One item of the merchant.
    #[tracing::instrument(level = "debug", name = "db.get_item", skip_all)]
    pub async fn get_item(
        &self,
        merchant: &MerchantId,
        id: &str,
    ) -> Result<ItemRecord, StoreError> {
        let row = inventory_item::Entity::find_by_id(id.to_owned())
            .filter(inventory_item::Column::MerchantId.eq(&merchant.0))
            .one(self.connection())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(row)
    }

    /// The merchant's items among `ids`, in the order of `ids`, each at most once.
    #[tracing::instrument(level = "debug", name = "db.batch_get_items", skip_all)]
    pub async fn batch_get_items(
        &self,
        merchant: &MerchantId,
        ids: &[String],
    ) -> Result<Vec<ItemRecord>, StoreError> {
        let rows = inventory_item::Entity::find()
            .filter(inventory_item::Column::MerchantId.eq(&merchant.0))
            .filter(inventory_item::Column::Id.is_in(ids.iter().cloned()))
            .all(self.connection())
            .await?;
        let mut ordered = Vec::with_capacity(rows.len());
        for id in ids {
            let already = ordered.iter().any(|r: &ItemRecord| &r.id == id);
            if let Some(row) = rows.iter().find(|r| &r.id == id).filter(|_| !already) {
                ordered.push(from_row(row.clone())?);
            }
        }
        Ok(ordered)
    }

    /// One page of the merchant's items in id (creation) order.
    #[tracing::instrument(level = "debug", name = "db.list_items", skip_all)]
    pub async fn list_items(
        &self,
        merchant: &MerchantId,
        query: &ItemListQuery,
    ) -> Result<Page<ItemRecord>, StoreError> {
        let mut select = inventory_item::Entity::find()
            .filter(inventory_item::Column::MerchantId.eq(&merchant.0));
        if let Some(after) = &query.after_id {
            select = select.filter(inventory_item::Column::Id.gt(after));
        }
        if let Some(sku) = &query.sku {
            // Looked up through the index on (merchant_id, sku, id) (migration
            // `m20261207_b_shared_skus`): every item with the SKU, already in id order.
            select = select.filter(inventory_item::Column::Sku.eq(sku));
        }
        if !query.ids.is_empty() {
            select = select.filter(inventory_item::Column::Id.is_in(query.ids.iter().cloned()));
        }
        if let Some(updated_after) = query.updated_after {
            select = select.filter(inventory_item::Column::UpdatedAt.gt(updated_after));
        }
        let rows = select
            .order_by_asc(inventory_item::Column::Id)
            .limit(query.limit + 1)
            .all(self.connection())
            .await?;
        Page::from_overfetch(rows, query.limit).try_map(from_row)
    }

    /// Reads the item, lets `change` compute its new attributes, and writes them, all in
    /// one transaction that locks the row: concurrent updates never lose each other. When
    /// `change` refuses, nothing is written and its refusal is the inner `Err`.
    pub async fn update_item<E>(
        &self,
        merchant: &MerchantId,
        id: &str,
        change: impl FnOnce(&ItemAttributes) -> Result<ItemAttributes, E>,
    ) -> Result<Result<ItemRecord, E>, StoreError> {
        let tx = self.begin_write().await?;
        let row = inventory_item::Entity::find_by_id(id.to_owned())
            .filter(inventory_item::Column::MerchantId.eq(&merchant.0))
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
        let mut active = to_active_model(&attributes);
        active.id = Set(current.id.clone());
        active.updated_at = Set(updated_at);
        active.update(&tx).await?;
        tx.commit().await?;
        Ok(Ok(ItemRecord {
            attributes,
            updated_at,
            ..current
        }))
    }
}

/// The stored SKU text: empty for an item without one.
fn sku_text(attributes: &ItemAttributes) -> &str {
    attributes.sku.as_ref().map_or("", Sku::as_str)
}

/// The whole row of `record`, an item of `merchant`.
pub(super) fn item_row(merchant: &MerchantId, record: &ItemRecord) -> inventory_item::ActiveModel {
    let mut row = to_active_model(&record.attributes);
    row.id = Set(record.id.clone());
    row.merchant_id = Set(merchant.0.clone());
    row.created_at = Set(record.created_at);
    row.updated_at = Set(record.updated_at);
    row
}

/// The attribute columns of a row (id, merchant and times are left unset).
pub(super) fn to_active_model(attributes: &ItemAttributes) -> inventory_item::ActiveModel {
    let country_hs: Vec<StoredCountryHsCode> = attributes
        .country_harmonized_system_codes
        .iter()
        .map(|c| StoredCountryHsCode {
            harmonized_system_code: c.harmonized_system_code.as_str().to_owned(),
            country_code: c.country_code.as_str().to_owned(),
        })
        .collect();
    inventory_item::ActiveModel {
        sku: Set(sku_text(attributes).to_owned()),
        cost_units: Set(attributes.cost.map(Fixed5::units)),
        country_code_of_origin: Set(attributes
            .country_code_of_origin
            .as_ref()
            .map(|c| c.as_str().to_owned())),
        province_code_of_origin: Set(attributes.province_code_of_origin.clone()),
        harmonized_system_code: Set(attributes
            .harmonized_system_code
            .as_ref()
            .map(|c| c.as_str().to_owned())),
        country_harmonized_system_codes: Set(
            serde_json::to_string(&country_hs).expect("plain strings always serialise")
        ),
        tracked: Set(attributes.tracked),
        requires_shipping: Set(attributes.requires_shipping),
        ..Default::default()
    }
}

/// Builds a record from a row as stored. The rules were checked when the row was written
/// and are not checked again: a rule tightened since then must not make existing items
/// unreadable. Only a row that cannot be decoded at all is corrupt.
fn from_row(row: inventory_item::Model) -> Result<ItemRecord, StoreError> {
    let country_hs: Vec<StoredCountryHsCode> =
        serde_json::from_str(&row.country_harmonized_system_codes).map_err(|e| {
            StoreError::Corrupt(format!(
                "inventory item {}: country_harmonized_system_codes: {e}",
                row.id
            ))
        })?;
    let attributes = ItemAttributes {
        sku: (!row.sku.is_empty()).then(|| Sku::from_stored(row.sku)),
        cost: row.cost_units.map(Fixed5::from_units),
        country_code_of_origin: row.country_code_of_origin.map(CountryCode::from_stored),
        province_code_of_origin: row.province_code_of_origin,
        harmonized_system_code: row.harmonized_system_code.map(HsCode::from_stored),
        country_harmonized_system_codes: country_hs
            .into_iter()
            .map(|c| CountryHsCode {
                harmonized_system_code: HsCode::from_stored(c.harmonized_system_code),
                country_code: CountryCode::from_stored(c.country_code),
            })
            .collect(),
        tracked: row.tracked,
        requires_shipping: row.requires_shipping,
    };
    Ok(ItemRecord {
        id: row.id,
        attributes,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
