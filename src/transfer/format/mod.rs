//! The file formats: CSV with one documented column set per kind, and JSON Lines in the
//! proto's JSON mapping (through `prost-reflect` over the crate's descriptor set), so an
//! export imports again unchanged. The format comes from the file's extension.
//!
//! One file per concern: the proto JSON of one line (`jsonl.rs`); reading a file row by row
//! in either format (`reader.rs`); writing one (`writer.rs`); one CSV record's cells, typed
//! (`cells.rs`); and each kind's CSV column set (`columns.rs`).

mod cells;
mod columns;
mod jsonl;
mod reader;
mod writer;

use std::path::Path;

use prost::Message;

use super::TransferError;

pub use cells::CsvRow;
pub use columns::{CHANGE_COLUMNS, change_csv_column};
pub use jsonl::{from_json, to_json};
pub use reader::{Reader, Row, count_rows};
pub use writer::Writer;

/// A file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON object per line (the proto's JSON mapping).
    Jsonl,
}

impl Format {
    /// The format a file's extension names.
    pub fn of(path: &Path) -> Result<Format, TransferError> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Ok(Format::Csv),
            Some("jsonl") => Ok(Format::Jsonl),
            _ => Err(TransferError::Format {
                path: path.to_owned(),
                reason: "the file name must end in .csv or .jsonl".into(),
            }),
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Why one row was refused, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The CSV column or JSON field path (empty: the row as a whole).
    pub column: String,
    /// Why.
    pub reason: String,
}

impl RowError {
    pub(super) fn new(column: &str, reason: impl Into<String>) -> RowError {
        RowError {
            column: column.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A message a file holds: its proto name and its CSV column set.
pub trait FileMessage: Message + Default + Sized {
    /// Full proto name, e.g. `stockledger.v1.InventoryItem`.
    const NAME: &'static str;
    /// The CSV header, in order.
    const COLUMNS: &'static [&'static str];
    /// A CSV row as the message.
    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError>;
    /// The message as a CSV row, one value per column of [`Self::COLUMNS`].
    fn to_csv(&self) -> Vec<String>;
}
