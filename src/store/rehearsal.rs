//! An import rehearsed: `stockledger import --dry-run` performs every write a real run
//! would, with the same code and against the same data, inside one transaction that is
//! rolled back at the end — so it reports exactly what the real run would do (ids another
//! merchant holds, items the history names that exist nowhere, counts out of range) and
//! leaves the database as it was.
//!
//! On PostgreSQL the transaction runs on the database itself: it holds the row locks of the
//! rows it writes (the importing merchant's) until it ends, and nothing of it is ever seen
//! by others. On SQLite, whose one write lock would stop every other writer for as long,
//! it runs on a private copy (`VACUUM INTO` a temporary file, as `stockledger backup` does:
//! a consistent snapshot taken without blocking writers) that is deleted afterwards. A schema that is behind is
//! migrated inside the rehearsal, and rolled back with it.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, TransactionTrait};

use super::backup::vacuum_into;
use super::batch::{Encoder, apply_group_in};
use super::imports::{Imported, import_item_on, import_location_on, import_reservation_on};
use super::items::ItemRecord;
use super::locations::LocationRecord;
use super::merchants::ensure_merchant_on;
use super::{MIGRATION_LOCK, MerchantId, Store, StoreError, migration, pending_migrations};
use crate::domain::decide::{Decided, Submission};
use crate::domain::reservation::Reservation;
use sea_orm_migration::MigratorTrait;

/// Writes that will be rolled back: see the module's documentation.
pub struct Rehearsal {
    tx: DatabaseTransaction,
    /// On SQLite: the copy the rehearsal runs on, and the directory that holds it.
    copy: Option<(Store, tempfile::TempDir)>,
}

impl Store {
    /// Starts a rehearsal on this store's data ([`Rehearsal`]).
    pub async fn rehearse(&self) -> Result<Rehearsal, StoreError> {
        let copy = if self.connection().get_database_backend() == DbBackend::Sqlite {
            Some(self.private_copy().await?)
        } else {
            None
        };
        let on = copy.as_ref().map_or(self, |(store, _)| store);
        let tx = on.connection().begin().await?;
        if !pending_migrations(&tx).await?.is_empty() {
            if tx.get_database_backend() == DbBackend::Postgres {
                let lock = format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})");
                tx.execute_unprepared(&lock).await?;
            }
            migration::Migrator::up(&tx, None)
                .await
                .map_err(StoreError::newer_schema)?;
        }
        Ok(Rehearsal { tx, copy })
    }

    /// A consistent copy of this SQLite database in a new temporary directory, and a store
    /// on it.
    async fn private_copy(&self) -> Result<(Store, tempfile::TempDir), StoreError> {
        let dir = tempfile::Builder::new()
            .prefix("stockledger-dry-run-")
            .tempdir()
            .map_err(|e| StoreError::Corrupt(format!("a temporary directory: {e}")))?;
        let path = dir.path().join("rehearsal.db");
        vacuum_into(self.connection(), &path).await?;
        let store = Store::connect(&format!("sqlite://{}?mode=rw", path.display())).await?;
        Ok((store, dir))
    }
}

impl Rehearsal {
    /// [`Store::ensure_merchant`], rehearsed.
    pub async fn ensure_merchant(&self, name: &str) -> Result<MerchantId, StoreError> {
        ensure_merchant_on(&self.tx, name).await
    }

    /// [`Store::import_item`], rehearsed.
    pub async fn import_item(
        &self,
        merchant: &MerchantId,
        record: &ItemRecord,
    ) -> Result<Imported, StoreError> {
        import_item_on(&self.tx, merchant, record).await
    }

    /// [`Store::import_location`], rehearsed.
    pub async fn import_location(
        &self,
        merchant: &MerchantId,
        record: &LocationRecord,
    ) -> Result<Imported, StoreError> {
        import_location_on(&self.tx, merchant, record).await
    }

    /// [`Store::set_reorder_point`], rehearsed.
    pub async fn set_reorder_point(
        &self,
        merchant: &MerchantId,
        at: (&str, &str),
        reorder_point: crate::domain::decimal::Fixed5,
        now: i64,
    ) -> Result<super::alerts::SetReorderPoint, StoreError> {
        super::alerts::set_reorder_point_on(&self.tx, merchant, at, reorder_point, now).await
    }

    /// [`Store::import_reservation`], rehearsed.
    pub async fn import_reservation(
        &self,
        merchant: &MerchantId,
        reservation: &Reservation,
    ) -> Result<Imported, StoreError> {
        import_reservation_on(&self.tx, merchant, reservation).await
    }

    /// One batch through [`Store::apply_group`]'s decision and writes, rehearsed.
    pub async fn apply<T>(
        &self,
        batch: Submission,
        encode: &Encoder<T>,
    ) -> Result<Decided<T>, StoreError> {
        let mut answers = apply_group_in(&self.tx, std::slice::from_ref(&batch), encode).await?;
        answers
            .pop()
            .ok_or_else(|| StoreError::Corrupt("a rehearsed batch had no answer".into()))
    }

    /// Rolls everything back (and on SQLite deletes the copy).
    pub async fn discard(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        if let Some((store, dir)) = self.copy {
            store.close().await?;
            drop(dir);
        }
        Ok(())
    }
}
