//! The file formats: CSV with one documented column set per kind, and JSON Lines in the
//! proto's JSON mapping (through `prost-reflect` over the crate's descriptor set), so an
//! export imports again unchanged. The format comes from the file's extension.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};
use prost_types::Timestamp;

use super::TransferError;
use crate::api::convert::{rfc3339, timestamp_from_rfc3339};
use crate::api::ledger_wire::product_to_wire;
use crate::domain::product::Product;
use crate::proto::FILE_DESCRIPTOR_SET;
use crate::proto::v1 as pb;

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
    fn new(column: &str, reason: impl Into<String>) -> RowError {
        RowError {
            column: column.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The UTF-8 byte order mark, accepted at the start of a file.
const BOM: char = '\u{feff}';

static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("the crate's descriptor set decodes")
});

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

/// The message as one line of JSON (the proto's JSON mapping, no line break).
pub fn to_json<M: FileMessage>(message: &M) -> String {
    let descriptor = POOL
        .get_message_by_name(M::NAME)
        .expect("a message of the descriptor set");
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .expect("a message re-decodes through its own descriptor");
    serde_json::to_string(&dynamic).expect("a message serializes")
}

/// One line of JSON as the message. A key that an object holds twice — also as the
/// field's two names, `catalogObjectId` and `catalog_object_id` — refuses the line naming
/// it, as the HTTP doors refuse it: which of the two values was meant cannot be known.
pub fn from_json<M: FileMessage>(line: &str) -> Result<M, RowError> {
    let descriptor = POOL
        .get_message_by_name(M::NAME)
        .expect("a message of the descriptor set");
    if let Some((path, key)) = repeated_key(line) {
        return Err(RowError::new(
            &path,
            format!("duplicate key {key:?}: a field may appear once in an object"),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let dynamic = DynamicMessage::deserialize(descriptor, &mut deserializer)
        .map_err(|e| RowError::new("", format!("not a {}: {e}", M::NAME)))?;
    deserializer
        .end()
        .map_err(|e| RowError::new("", format!("trailing characters: {e}")))?;
    dynamic
        .transcode_to::<M>()
        .map_err(|e| RowError::new("", e.to_string()))
}

/// The first key of `line` that an object holds twice, with its path (`adjustment.quantity`,
/// `countryHarmonizedSystemCodes[1].countryCode`): keys are compared by the proto field they
/// name (`catalog_object_id` is `catalogObjectId`). `None` when there is none, or when the
/// line is not JSON (reading it as the message then says why).
fn repeated_key(line: &str) -> Option<(String, String)> {
    let mut found = None;
    let mut path = Vec::new();
    let walk = KeyWalk {
        path: &mut path,
        found: &mut found,
    };
    let mut deserializer = serde_json::Deserializer::from_str(line);
    serde::de::DeserializeSeed::deserialize(walk, &mut deserializer).ok();
    found
}

/// The proto JSON name of a key: `snake_case` as lowerCamelCase, other keys unchanged.
fn json_name(key: &str) -> String {
    let mut name = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            name.extend(c.to_uppercase());
            upper = false;
        } else {
            name.push(c);
        }
    }
    name
}

/// Walks a JSON value, stopping at the first object key seen twice (recorded in `found`
/// with the path to it).
struct KeyWalk<'a> {
    path: &'a mut Vec<String>,
    found: &'a mut Option<(String, String)>,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeyWalk<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyWalk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(json_name(&key)) {
                let mut path = self.path.clone();
                path.push(key.clone());
                *self.found = Some((path.join("."), key));
                return Err(serde::de::Error::custom("duplicate key"));
            }
            self.path.push(key);
            map.next_value_seed(KeyWalk {
                path: self.path,
                found: self.found,
            })?;
            self.path.pop();
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let last = self.path.pop().unwrap_or_default();
            self.path.push(format!("{last}[{index}]"));
            let more = seq.next_element_seed(KeyWalk {
                path: self.path,
                found: self.found,
            })?;
            self.path.pop();
            self.path.push(last);
            if more.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

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

/// One CSV record with its header's columns.
pub struct CsvRow<'a> {
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl CsvRow<'_> {
    /// The value of `column` (empty when the file has no such column).
    pub fn get(&self, column: &str) -> String {
        self.columns
            .get(column)
            .and_then(|i| self.record.get(*i))
            .unwrap_or_default()
            .to_owned()
    }

    fn time(&self, column: &str) -> Result<Option<Timestamp>, RowError> {
        let text = self.get(column);
        if text.is_empty() {
            return Ok(None);
        }
        timestamp_from_rfc3339(&text)
            .map(Some)
            .map_err(|e| RowError::new(column, format!("not an RFC 3339 time: {e}")))
    }

    fn flag(&self, column: &str) -> Result<Option<bool>, RowError> {
        match self.get(column).as_str() {
            "" => Ok(None),
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            other => Err(RowError::new(
                column,
                format!("must be true or false, not {other:?}"),
            )),
        }
    }

    /// An enum value by its short name (`IN_STOCK` for `INVENTORY_STATE_IN_STOCK`).
    fn enumerated(
        &self,
        column: &str,
        prefix: &str,
        parse: fn(&str) -> Option<i32>,
    ) -> Result<i32, RowError> {
        let text = self.get(column);
        if text.is_empty() {
            return Ok(0);
        }
        parse(&format!("{prefix}{text}"))
            .ok_or_else(|| RowError::new(column, format!("{text:?} is not a known value")))
    }
}

fn time_text(ts: &Option<Timestamp>) -> String {
    ts.as_ref().and_then(rfc3339).unwrap_or_default()
}

fn flag_text(flag: Option<bool>) -> String {
    flag.map(|f| f.to_string()).unwrap_or_default()
}

/// An enum's short name: its proto name less `prefix`.
fn short(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

fn state_name(raw: i32) -> String {
    pb::InventoryState::try_from(raw)
        .ok()
        .filter(|s| *s != pb::InventoryState::Unspecified)
        .map(|s| short(s.as_str_name(), "INVENTORY_STATE_"))
        .unwrap_or_default()
}

fn parse_state(name: &str) -> Option<i32> {
    pb::InventoryState::from_str_name(name).map(Into::into)
}

impl FileMessage for pb::InventoryItem {
    const NAME: &'static str = "stockledger.v1.InventoryItem";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "sku",
        "cost",
        "country_code_of_origin",
        "province_code_of_origin",
        "harmonized_system_code",
        "country_harmonized_system_codes",
        "tracked",
        "requires_shipping",
        "created_at",
        "updated_at",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        let codes = row.get("country_harmonized_system_codes");
        let country_harmonized_system_codes = codes
            .split(';')
            .filter(|c| !c.is_empty())
            .map(|pair| {
                let (country, code) = pair.split_once(':').ok_or_else(|| {
                    RowError::new(
                        "country_harmonized_system_codes",
                        "must be COUNTRY:CODE pairs separated by ';'",
                    )
                })?;
                Ok(pb::CountryHarmonizedSystemCode {
                    harmonized_system_code: code.to_owned(),
                    country_code: country.to_owned(),
                })
            })
            .collect::<Result<_, RowError>>()?;
        Ok(pb::InventoryItem {
            id: row.get("id"),
            sku: row.get("sku"),
            cost: row.get("cost"),
            country_code_of_origin: row.get("country_code_of_origin"),
            province_code_of_origin: row.get("province_code_of_origin"),
            harmonized_system_code: row.get("harmonized_system_code"),
            country_harmonized_system_codes,
            tracked: row.flag("tracked")?,
            requires_shipping: row.flag("requires_shipping")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }

    fn to_csv(&self) -> Vec<String> {
        let codes: Vec<String> = self
            .country_harmonized_system_codes
            .iter()
            .map(|c| format!("{}:{}", c.country_code, c.harmonized_system_code))
            .collect();
        vec![
            self.id.clone(),
            self.sku.clone(),
            self.cost.clone(),
            self.country_code_of_origin.clone(),
            self.province_code_of_origin.clone(),
            self.harmonized_system_code.clone(),
            codes.join(";"),
            flag_text(self.tracked),
            flag_text(self.requires_shipping),
            time_text(&self.created_at),
            time_text(&self.updated_at),
        ]
    }
}

impl FileMessage for pb::Location {
    const NAME: &'static str = "stockledger.v1.Location";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "status",
        "description",
        "created_at",
        "updated_at",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        Ok(pb::Location {
            id: row.get("id"),
            name: row.get("name"),
            status: row.enumerated("status", "LOCATION_STATUS_", |n| {
                pb::LocationStatus::from_str_name(n).map(Into::into)
            })?,
            description: row.get("description"),
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }

    fn to_csv(&self) -> Vec<String> {
        let status = pb::LocationStatus::try_from(self.status)
            .ok()
            .filter(|s| *s != pb::LocationStatus::Unspecified)
            .map(|s| short(s.as_str_name(), "LOCATION_STATUS_"))
            .unwrap_or_default();
        vec![
            self.id.clone(),
            self.name.clone(),
            status,
            self.description.clone(),
            time_text(&self.created_at),
            time_text(&self.updated_at),
        ]
    }
}

impl FileMessage for pb::InventoryCount {
    const NAME: &'static str = "stockledger.v1.InventoryCount";
    const COLUMNS: &'static [&'static str] = &[
        "catalog_object_id",
        "location_id",
        "state",
        "quantity",
        "calculated_at",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        Ok(pb::InventoryCount {
            catalog_object_id: row.get("catalog_object_id"),
            location_id: row.get("location_id"),
            state: row.enumerated("state", "INVENTORY_STATE_", parse_state)?,
            quantity: row.get("quantity"),
            calculated_at: row.time("calculated_at")?,
            ..Default::default()
        })
    }

    fn to_csv(&self) -> Vec<String> {
        vec![
            self.catalog_object_id.clone(),
            self.location_id.clone(),
            state_name(self.state),
            self.quantity.clone(),
            time_text(&self.calculated_at),
        ]
    }
}

/// The columns of a history row in CSV.
pub const CHANGE_COLUMNS: &[&str] = &[
    "id",
    "type",
    "occurred_at",
    "created_at",
    "catalog_object_id",
    "quantity",
    "from_state",
    "to_state",
    "state",
    "location_id",
    "from_location_id",
    "to_location_id",
    "total_price_amount",
    "total_price_currency",
    "reference_id",
    "employee_id",
    "team_member_id",
    "transaction_id",
    "refund_id",
    "purchase_order_id",
    "goods_receipt_id",
    "source_product",
    "source_application_id",
    "source_name",
];

impl FileMessage for pb::InventoryChange {
    const NAME: &'static str = "stockledger.v1.InventoryChange";
    const COLUMNS: &'static [&'static str] = CHANGE_COLUMNS;

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        use pb::inventory_change::Change;
        let source = {
            // The domain's product names: Square's (`SQUARE_POS`) or the API's (`PRODUCT_…`).
            let product_name = row.get("source_product");
            let product: i32 = if product_name.is_empty() {
                0
            } else {
                Product::parse(&product_name)
                    .map(|p| product_to_wire(p).into())
                    .ok_or_else(|| {
                        RowError::new(
                            "source_product",
                            format!("{product_name:?} is not a known product"),
                        )
                    })?
            };
            let (application_id, name) = (row.get("source_application_id"), row.get("source_name"));
            (product != 0 || !application_id.is_empty() || !name.is_empty()).then_some(
                pb::SourceApplication {
                    product,
                    application_id,
                    name,
                },
            )
        };
        let state = |column| row.enumerated(column, "INVENTORY_STATE_", parse_state);
        let kind = row.get("type");
        let change = match kind.as_str() {
            "ADJUSTMENT" => {
                let amount = row.get("total_price_amount");
                let currency = row.get("total_price_currency");
                Change::Adjustment(pb::InventoryAdjustment {
                    id: row.get("id"),
                    reference_id: row.get("reference_id"),
                    from_state: state("from_state")?,
                    to_state: state("to_state")?,
                    location_id: row.get("location_id"),
                    catalog_object_id: row.get("catalog_object_id"),
                    quantity: row.get("quantity"),
                    total_price_money: (!amount.is_empty() || !currency.is_empty())
                        .then_some(pb::Money { amount, currency }),
                    occurred_at: row.time("occurred_at")?,
                    created_at: row.time("created_at")?,
                    source,
                    employee_id: row.get("employee_id"),
                    team_member_id: row.get("team_member_id"),
                    transaction_id: row.get("transaction_id"),
                    refund_id: row.get("refund_id"),
                    purchase_order_id: row.get("purchase_order_id"),
                    goods_receipt_id: row.get("goods_receipt_id"),
                    ..Default::default()
                })
            }
            "PHYSICAL_COUNT" => Change::PhysicalCount(pb::InventoryPhysicalCount {
                id: row.get("id"),
                reference_id: row.get("reference_id"),
                catalog_object_id: row.get("catalog_object_id"),
                state: state("state")?,
                location_id: row.get("location_id"),
                quantity: row.get("quantity"),
                source,
                employee_id: row.get("employee_id"),
                team_member_id: row.get("team_member_id"),
                occurred_at: row.time("occurred_at")?,
                created_at: row.time("created_at")?,
                ..Default::default()
            }),
            "TRANSFER" => Change::Transfer(pb::InventoryTransfer {
                id: row.get("id"),
                reference_id: row.get("reference_id"),
                state: state("state")?,
                from_location_id: row.get("from_location_id"),
                to_location_id: row.get("to_location_id"),
                catalog_object_id: row.get("catalog_object_id"),
                quantity: row.get("quantity"),
                occurred_at: row.time("occurred_at")?,
                created_at: row.time("created_at")?,
                source,
                employee_id: row.get("employee_id"),
                team_member_id: row.get("team_member_id"),
                ..Default::default()
            }),
            other => {
                return Err(RowError::new(
                    "type",
                    format!("must be ADJUSTMENT, PHYSICAL_COUNT or TRANSFER, not {other:?}"),
                ));
            }
        };
        let change_type = match &change {
            Change::Adjustment(_) => pb::InventoryChangeType::Adjustment,
            Change::PhysicalCount(_) => pb::InventoryChangeType::PhysicalCount,
            Change::Transfer(_) => pb::InventoryChangeType::Transfer,
        };
        Ok(pb::InventoryChange {
            r#type: change_type.into(),
            change: Some(change),
        })
    }

    fn to_csv(&self) -> Vec<String> {
        use pb::inventory_change::Change;
        let mut values: HashMap<&str, String> = HashMap::new();
        let source = |s: &Option<pb::SourceApplication>, values: &mut HashMap<&str, String>| {
            if let Some(s) = s {
                let product = pb::Product::try_from(s.product)
                    .ok()
                    .filter(|p| *p != pb::Product::Unspecified)
                    .map(|p| short(p.as_str_name(), "PRODUCT_"))
                    .unwrap_or_default();
                values.insert("source_product", product);
                values.insert("source_application_id", s.application_id.clone());
                values.insert("source_name", s.name.clone());
            }
        };
        match &self.change {
            Some(Change::Adjustment(a)) => {
                values.extend([
                    ("type", "ADJUSTMENT".to_owned()),
                    ("id", a.id.clone()),
                    ("occurred_at", time_text(&a.occurred_at)),
                    ("created_at", time_text(&a.created_at)),
                    ("catalog_object_id", a.catalog_object_id.clone()),
                    ("quantity", a.quantity.clone()),
                    ("from_state", state_name(a.from_state)),
                    ("to_state", state_name(a.to_state)),
                    ("location_id", a.location_id.clone()),
                    ("reference_id", a.reference_id.clone()),
                    ("employee_id", a.employee_id.clone()),
                    ("team_member_id", a.team_member_id.clone()),
                    ("transaction_id", a.transaction_id.clone()),
                    ("refund_id", a.refund_id.clone()),
                    ("purchase_order_id", a.purchase_order_id.clone()),
                    ("goods_receipt_id", a.goods_receipt_id.clone()),
                ]);
                if let Some(m) = &a.total_price_money {
                    values.insert("total_price_amount", m.amount.clone());
                    values.insert("total_price_currency", m.currency.clone());
                }
                source(&a.source, &mut values);
            }
            Some(Change::PhysicalCount(c)) => {
                values.extend([
                    ("type", "PHYSICAL_COUNT".to_owned()),
                    ("id", c.id.clone()),
                    ("occurred_at", time_text(&c.occurred_at)),
                    ("created_at", time_text(&c.created_at)),
                    ("catalog_object_id", c.catalog_object_id.clone()),
                    ("quantity", c.quantity.clone()),
                    ("state", state_name(c.state)),
                    ("location_id", c.location_id.clone()),
                    ("reference_id", c.reference_id.clone()),
                    ("employee_id", c.employee_id.clone()),
                    ("team_member_id", c.team_member_id.clone()),
                ]);
                source(&c.source, &mut values);
            }
            Some(Change::Transfer(t)) => {
                values.extend([
                    ("type", "TRANSFER".to_owned()),
                    ("id", t.id.clone()),
                    ("occurred_at", time_text(&t.occurred_at)),
                    ("created_at", time_text(&t.created_at)),
                    ("catalog_object_id", t.catalog_object_id.clone()),
                    ("quantity", t.quantity.clone()),
                    ("state", state_name(t.state)),
                    ("from_location_id", t.from_location_id.clone()),
                    ("to_location_id", t.to_location_id.clone()),
                    ("reference_id", t.reference_id.clone()),
                    ("employee_id", t.employee_id.clone()),
                    ("team_member_id", t.team_member_id.clone()),
                ]);
                source(&t.source, &mut values);
            }
            None => {}
        }
        CHANGE_COLUMNS
            .iter()
            .map(|c| values.remove(c).unwrap_or_default())
            .collect()
    }
}

/// The CSV column of a change's field path (`adjustment.total_price_money.amount` →
/// `total_price_amount`).
pub fn change_csv_column(path: &str) -> String {
    let field = path.rsplit_once('.').map_or(path, |(_, f)| f);
    match (path.contains("total_price_money"), field) {
        (true, "amount") => "total_price_amount".into(),
        (true, "currency") => "total_price_currency".into(),
        (true, _) => "total_price_amount".into(),
        (false, f) if CHANGE_COLUMNS.contains(&f) => f.into(),
        (false, "adjustment" | "physical_count" | "transfer") => "type".into(),
        (false, f) => f.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_twice_in_one_object_is_found_with_its_path() {
        let found = |line: &str| repeated_key(line).map(|(path, _)| path);
        let table: &[(&str, Option<&str>)] = &[
            (r#"{"sku":"A","cost":"1"}"#, None),
            (r#"{"sku":"A","sku":"B"}"#, Some("sku")),
            (
                r#"{"adjustment":{"quantity":"1","id":"x","quantity":"2"}}"#,
                Some("adjustment.quantity"),
            ),
            (
                r#"{"catalogObjectId":"a","catalog_object_id":"b"}"#,
                Some("catalog_object_id"),
            ),
            (
                r#"{"countryHarmonizedSystemCodes":[{"countryCode":"FR"},{"countryCode":"FR","countryCode":"DE"}]}"#,
                Some("countryHarmonizedSystemCodes[1].countryCode"),
            ),
            (r#"{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}"#, None),
            (r#"{"sku":"A""#, None),
            ("not json", None),
        ];
        for (line, expected) in table {
            assert_eq!(found(line).as_deref(), *expected, "{line}");
        }
    }

    #[test]
    fn a_line_with_a_key_twice_is_refused_naming_it() {
        let refused =
            from_json::<pb::InventoryItem>(r#"{"sku":"A","cost":"1","sku":"B"}"#).unwrap_err();
        assert_eq!(refused.column, "sku");
        assert!(
            refused.reason.contains("duplicate key \"sku\""),
            "{}",
            refused.reason
        );
        let item = from_json::<pb::InventoryItem>(r#"{"sku":"A","cost":"1"}"#).unwrap();
        assert_eq!(item.sku, "A");
    }
}
