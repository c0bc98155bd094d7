//! Reading a file row by row, CSV or JSON Lines, with each row's line number; and counting
//! a file's rows for progress.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::{CsvRow, FileMessage, Format, RowError, from_json};
use crate::transfer::TransferError;

/// The UTF-8 byte order mark, accepted at the start of a file.
const BOM: char = '\u{feff}';

/// A file being read, row by row.
pub struct Reader {
    path: PathBuf,
    inner: ReaderKind,
}

enum ReaderKind {
    Jsonl {
        lines: std::io::Lines<BufReader<File>>,
        line: u64,
    },
    Csv {
        records: csv::StringRecordsIntoIter<File>,
        columns: HashMap<String, usize>,
    },
}

/// One row: its line number (1-based, the header is line 1 in CSV) and the message.
pub type Row<M> = (u64, Result<M, RowError>);

impl Reader {
    /// Opens `path` for messages of type `M`; a CSV file's header must name only columns of
    /// `M`'s set.
    pub fn open<M: FileMessage>(path: &Path) -> Result<Reader, TransferError> {
        let file = File::open(path).map_err(TransferError::io(path))?;
        let inner = match Format::of(path)? {
            Format::Jsonl => ReaderKind::Jsonl {
                lines: BufReader::new(file).lines(),
                line: 0,
            },
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
                let headers = reader.headers().map_err(|e| TransferError::Format {
                    path: path.to_owned(),
                    reason: format!("header: {e}"),
                })?;
                let mut columns = HashMap::new();
                for (i, name) in headers.iter().enumerate() {
                    if !M::COLUMNS.contains(&name) {
                        return Err(TransferError::Format {
                            path: path.to_owned(),
                            reason: format!(
                                "unknown column {name:?} in the header (columns: {})",
                                M::COLUMNS.join(",")
                            ),
                        });
                    }
                    columns.insert(name.to_owned(), i);
                }
                ReaderKind::Csv {
                    records: reader.into_records(),
                    columns,
                }
            }
        };
        Ok(Reader {
            path: path.to_owned(),
            inner,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next row; `Err` only when the file cannot be read at all.
    pub fn next_row<M: FileMessage>(&mut self) -> Result<Option<Row<M>>, TransferError> {
        match &mut self.inner {
            ReaderKind::Jsonl { lines, line } => loop {
                let Some(text) = lines.next() else {
                    return Ok(None);
                };
                let mut text = text.map_err(TransferError::io(&self.path))?;
                *line += 1;
                if *line == 1 && text.starts_with(BOM) {
                    // A UTF-8 byte order mark, as editors on Windows write: not part of the
                    // first row (the CSV reader skips it too).
                    text.drain(..BOM.len_utf8());
                }
                if text.trim().is_empty() {
                    continue;
                }
                return Ok(Some((*line, from_json(&text))));
            },
            ReaderKind::Csv { records, columns } => {
                let Some(record) = records.next() else {
                    return Ok(None);
                };
                match record {
                    Ok(record) => {
                        let line = record.position().map_or(0, |p| p.line());
                        let row = CsvRow {
                            record: &record,
                            columns,
                        };
                        Ok(Some((line, M::from_csv(&row))))
                    }
                    Err(e) => {
                        let line = e.position().map_or(0, |p| p.line());
                        match e.kind() {
                            csv::ErrorKind::Io(_) => Err(TransferError::Csv(e)),
                            _ => Ok(Some((line, Err(RowError::new("", e.to_string()))))),
                        }
                    }
                }
            }
        }
    }
}

/// The number of data rows of a file (lines, less a CSV header), for progress.
pub fn count_rows(path: &Path) -> Result<u64, TransferError> {
    let file = File::open(path).map_err(TransferError::io(path))?;
    let mut n = 0u64;
    for line in BufReader::new(file).lines() {
        let line = line.map_err(TransferError::io(path))?;
        if !line.trim_start_matches(BOM).trim().is_empty() {
            n += 1;
        }
    }
    Ok(if Format::of(path)? == Format::Csv {
        n.saturating_sub(1)
    } else {
        n
    })
}
