//! Moving a merchant in and out: `stockledger import` and `stockledger export`
//! (docs/import-export.md).
//!
//! Files hold items, locations, inventory history (and, on export, counts) as CSV with a
//! documented column set or as JSON Lines in the proto's JSON mapping ([`format`]). An
//! import goes through the same rules as the API — the domain's validation with history's
//! `occurred_at` window, and the write path's [`crate::store::writer::BatchWriter`] for
//! history ([`import`]); an export pages through the store in constant memory ([`export`]).
//! Both show their progress ([`progress`]).
//!
//! Layering: `transfer` sits beside `server`, above `api` (whose wire conversions it
//! reuses), `store` and `domain`; only `main` and `config` use it.

pub mod export;
pub mod format;
pub mod import;
pub mod progress;

use std::path::PathBuf;

/// What can stop an import or export as a whole (a refused row does not: it is reported).
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file's name says neither `.csv` nor `.jsonl`, or a CSV file's header is wrong.
    #[error("{path}: {reason}")]
    Format {
        /// Which file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The ledger could not take a batch (storage, shutdown).
    #[error(transparent)]
    Ledger(#[from] crate::api::ApiError),
    /// A CSV file could not be written.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
}

impl TransferError {
    fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
        move |source| TransferError::Io {
            path: path.to_owned(),
            source,
        }
    }
}
