//! The store's one error type.

use sea_orm::{DbErr, SqlErr};

use crate::domain::error::Violations;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist for this merchant.
    #[error("not found")]
    NotFound,
    /// A unique value is already taken by another row of the merchant.
    #[error("{field} {value:?} is already taken")]
    Duplicate {
        /// The field whose value must be unique (e.g. `sku`).
        field: &'static str,
        /// The value that clashed.
        value: String,
    },
    /// A change applied inside a transaction broke a domain rule.
    #[error("rejected: {0}")]
    Rejected(Violations),
    /// The idempotency key was used before for a different request.
    #[error("the idempotency key was used for a different request")]
    IdempotencyKeyReused,
    /// A change would take a count beyond its bounds.
    #[error("{field}: the change would take a count beyond its bounds")]
    CountOutOfRange {
        /// Request path of the offending change's quantity.
        field: String,
    },
    /// A concurrent write won a race (e.g. for the same idempotency key on another
    /// replica); trying again resolves it.
    #[error("a concurrent write interfered; try again")]
    Contention,
    /// The batch writer has stopped (the server is shutting down).
    #[error("the batch writer has stopped")]
    WriterStopped,
    /// A stored value could not be read back (should never happen).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Duplicate`], other errors unchanged.
    pub(crate) fn unique_as(err: DbErr, field: &'static str, value: &str) -> StoreError {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate {
                field,
                value: value.to_owned(),
            },
            _ => StoreError::Db(err),
        }
    }
}
