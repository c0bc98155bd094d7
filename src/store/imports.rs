//! Items, locations and reservations brought in by `stockledger import` with the ids and
//! times they had elsewhere. History goes through the write path ([`super::writer`]) like
//! any batch.

use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, Statement, TransactionTrait};

use super::batch::rows::ReservationRows;
use super::binds::Binds;
use super::entity::{inventory_item, location};
use super::items::{ItemRecord, item_row};
use super::locations::{LocationRecord, location_row};
use super::{MerchantId, Store, StoreError};
use crate::domain::reservation::Reservation;

/// What importing one record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// Written now.
    Inserted,
    /// The merchant already has a record with this id: left as it is.
    Present,
}

impl Store {
    /// Inserts an item with its own id and times, unless the merchant already has that id.
    /// `Duplicate { field: "id" }` if another merchant has it. The SKU is no key: an item
    /// whose SKU another item has is imported all the same (a Shopify catalogue may repeat
    /// SKUs).
    pub async fn import_item(
        &self,
        merchant: &MerchantId,
        record: &ItemRecord,
    ) -> Result<Imported, StoreError> {
        import_item_on(self.connection(), merchant, record).await
    }

    /// Inserts a location with its own id and times, unless the merchant already has that
    /// id. `Duplicate { field: "id" }` if another merchant has it, `{ field: "name" }` if
    /// the name is taken.
    pub async fn import_location(
        &self,
        merchant: &MerchantId,
        record: &LocationRecord,
    ) -> Result<Imported, StoreError> {
        import_location_on(self.connection(), merchant, record).await
    }

    /// Inserts a reservation with its id, state, lines and times, unless the merchant
    /// already has that id. `Duplicate { field: "id" }` if another merchant has it.
    pub async fn import_reservation(
        &self,
        merchant: &MerchantId,
        reservation: &Reservation,
    ) -> Result<Imported, StoreError> {
        import_reservation_on(self.connection(), merchant, reservation).await
    }
}

/// [`Store::import_item`] on `db` (the store's pool, or a rehearsal's transaction).
pub(super) async fn import_item_on(
    db: &impl ConnectionTrait,
    merchant: &MerchantId,
    record: &ItemRecord,
) -> Result<Imported, StoreError> {
    if let Some(existing) = inventory_item::Entity::find_by_id(record.id.clone())
        .one(db)
        .await?
    {
        return owner_check(existing.merchant_id == merchant.0, &record.id);
    }
    inventory_item::Entity::insert(item_row(merchant, record))
        .exec_without_returning(db)
        .await
        // The id is the item's only unique column: a clash is a concurrent import of the
        // same id, which the check above could not see yet.
        .map_err(|e| StoreError::unique_as(e, "id", &record.id))?;
    Ok(Imported::Inserted)
}

/// [`Store::import_location`] on `db` (the store's pool, or a rehearsal's transaction).
pub(super) async fn import_location_on(
    db: &impl ConnectionTrait,
    merchant: &MerchantId,
    record: &LocationRecord,
) -> Result<Imported, StoreError> {
    if let Some(existing) = location::Entity::find_by_id(record.id.clone())
        .one(db)
        .await?
    {
        return owner_check(existing.merchant_id == merchant.0, &record.id);
    }
    location::Entity::insert(location_row(merchant, record))
        .exec_without_returning(db)
        .await
        .map_err(|e| StoreError::unique_as(e, "name", &record.attributes.name))?;
    Ok(Imported::Inserted)
}

/// [`Store::import_reservation`] on `db` (the store's pool, or a rehearsal's transaction,
/// where its transaction is a savepoint).
pub(super) async fn import_reservation_on(
    db: &impl TransactionTrait<Transaction = DatabaseTransaction>,
    merchant: &MerchantId,
    reservation: &Reservation,
) -> Result<Imported, StoreError> {
    let tx = db.begin().await?;
    let backend = tx.get_database_backend();
    let mut binds = Binds::new(backend);
    let sql = format!(
        "SELECT merchant_id FROM reservations WHERE id = {}",
        binds.push(&reservation.id)
    );
    let owner = tx
        .query_one_raw(Statement::from_sql_and_values(backend, sql, binds.values))
        .await?;
    if let Some(row) = owner {
        let owner: String = row.try_get_by_index(0)?;
        return owner_check(owner == merchant.0, &reservation.id);
    }
    let mut rows = ReservationRows::default();
    rows.add(&merchant.0, reservation);
    rows.write(&tx).await?;
    tx.commit().await?;
    Ok(Imported::Inserted)
}

fn owner_check(same_merchant: bool, id: &str) -> Result<Imported, StoreError> {
    if same_merchant {
        Ok(Imported::Present)
    } else {
        Err(StoreError::Duplicate {
            field: "id",
            value: id.to_owned(),
        })
    }
}
