//! Writing a file, CSV (with its header) or JSON Lines, one message at a time.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{FileMessage, Format, to_json};
use crate::transfer::TransferError;

/// A file being written.
pub struct Writer {
    inner: WriterKind,
}

enum WriterKind {
    Jsonl(std::io::BufWriter<File>),
    Csv(Box<csv::Writer<File>>),
}

impl Writer {
    /// Creates `path` for messages of type `M` (a CSV file gets its header).
    pub fn create<M: FileMessage>(path: &Path, format: Format) -> Result<Writer, TransferError> {
        let file = File::create(path).map_err(TransferError::io(path))?;
        let inner = match format {
            Format::Jsonl => WriterKind::Jsonl(std::io::BufWriter::new(file)),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(file);
                writer.write_record(M::COLUMNS)?;
                WriterKind::Csv(Box::new(writer))
            }
        };
        Ok(Writer { inner })
    }

    /// Writes one message.
    pub fn write<M: FileMessage>(&mut self, message: &M) -> Result<(), TransferError> {
        match &mut self.inner {
            WriterKind::Jsonl(w) => {
                let io = |e| TransferError::Io {
                    path: PathBuf::new(),
                    source: e,
                };
                w.write_all(to_json(message).as_bytes()).map_err(io)?;
                w.write_all(b"\n").map_err(io)
            }
            WriterKind::Csv(w) => Ok(w.write_record(message.to_csv())?),
        }
    }

    /// Flushes everything to the file.
    pub fn finish(self) -> Result<(), TransferError> {
        match self.inner {
            WriterKind::Jsonl(mut w) => w.flush().map_err(|e| TransferError::Io {
                path: PathBuf::new(),
                source: e,
            }),
            WriterKind::Csv(mut w) => w.flush().map_err(|e| TransferError::Io {
                path: PathBuf::new(),
                source: e,
            }),
        }
    }
}
