//! `stockledger import`: items, locations, history, reservations and reorder points into
//! one merchant.
//!
//! Reorder points come after the history, so that the history an import brings in raises
//! no low-stock alerts (docs/alerts.md): each row sets (or replaces) the point of its item
//! at its location, which must exist by then.
//!
//! Items, locations and reservations are written one by one with their ids and times
//! ([`Store::import_item`], [`Store::import_location`], [`Store::import_reservation`]);
//! reservations come last, after the history whose changes they made. History rows are validated alone by
//! the domain (with history's `occurred_at` window), grouped in batches of
//! [`BATCH_ROWS`] consecutive rows and sent through the write path's
//! [`BatchWriter`] — pipelined, several batches in flight — each batch atomic: one refused
//! row (bad on its own, or refused by the ledger: unknown item, count out of range) refuses
//! its whole batch and nothing of it is applied. Ids in the file are kept, and a change whose
//! id the merchant already has is skipped, so importing a file twice changes nothing.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use futures::stream::FuturesOrdered;

use super::TransferError;
use super::format::{FileMessage, Format, Reader, change_csv_column, count_rows};
use super::progress::Progress;
use crate::api::convert::micros_from_timestamp;
use crate::api::ledger::{
    ImportBatch, ImportedBatch, Ledger, SubmitError, refused_changes, rehearse_import,
};
use crate::api::ledger_wire::member_of;
use crate::api::reservation_wire::kept_reservation;
use crate::domain::alert::parse_reorder_point;
use crate::domain::decide::BatchRequest;
use crate::domain::decimal::Fixed5;
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::id::canonical_id;
use crate::domain::item::validate_item;
use crate::domain::ledger::ChangeSource;
use crate::domain::location::validate_new_location;
use crate::domain::refusal::ChangeViolation;
use crate::domain::reservation::Reservation;
use crate::feed::Feed;
use crate::proto::v1 as pb;
use crate::store::alerts::SetReorderPoint;
use crate::store::imports::Imported;
use crate::store::items::ItemRecord;
use crate::store::locations::LocationRecord;
use crate::store::rehearsal::Rehearsal;
use crate::store::{MerchantId, Store, StoreError, now_micros};

/// History rows sent to the writer together: one batch, applied whole or not at all.
pub const BATCH_ROWS: usize = 1_000;
/// Batches handed to the writer before the first is answered.
const IN_FLIGHT: usize = 4;

/// What to import, and how.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The merchant's name (created if missing).
    pub merchant: String,
    /// Items file.
    pub items: Option<PathBuf>,
    /// Locations file.
    pub locations: Option<PathBuf>,
    /// History file.
    pub changes: Option<PathBuf>,
    /// Reservations file.
    pub reservations: Option<PathBuf>,
    /// Reorder points file.
    pub reorder_points: Option<PathBuf>,
    /// Check the files without writing.
    pub dry_run: bool,
    /// Source application name of history rows that name none.
    pub source_name: String,
}

/// Rows of one kind: what happened to them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Written now (on a dry run: would be written).
    pub applied: u64,
    /// Already there (same id for the same merchant): left as they were.
    pub present: u64,
    /// Refused, each with a [`Refusal`].
    pub refused: u64,
    /// Good rows not applied because another row of their batch was refused.
    pub held_back: u64,
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} applied, {} already present, {} refused",
            self.applied, self.present, self.refused
        )?;
        if self.held_back > 0 {
            write!(f, ", {} held back with a refused row", self.held_back)?;
        }
        Ok(())
    }
}

/// One refused row: where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The file.
    pub file: PathBuf,
    /// Its line (1-based; a CSV file's header is line 1).
    pub line: u64,
    /// The CSV column or JSON field path (empty: the row as a whole).
    pub column: String,
    /// The reason code (e.g. `INVALID_VALUE`) and what is wrong.
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if !self.column.is_empty() {
            write!(f, "column {}: ", self.column)?;
        }
        write!(f, "{}", self.reason)
    }
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// Items.
    pub items: Tally,
    /// Locations.
    pub locations: Tally,
    /// History.
    pub changes: Tally,
    /// Reservations.
    pub reservations: Tally,
    /// Reorder points.
    pub reorder_points: Tally,
    /// Every refused row, in file order.
    pub refusals: Vec<Refusal>,
}

impl ImportReport {
    /// Whether any row was refused (the command then exits non-zero).
    pub fn has_refusals(&self) -> bool {
        !self.refusals.is_empty()
    }

    /// What was refused, in the tallies' terms: rows (each once, however many reasons it
    /// has) by kind, the reasons listed, and the good rows held back with them — e.g.
    /// `1 row(s) refused (changes: 1), 6 reason(s) listed above; 999 good row(s) held back
    /// with them, not applied`.
    pub fn refusal_summary(&self) -> String {
        let kinds = [
            ("items", &self.items),
            ("locations", &self.locations),
            ("changes", &self.changes),
            ("reservations", &self.reservations),
            ("reorder points", &self.reorder_points),
        ];
        let rows: u64 = kinds.iter().map(|(_, t)| t.refused).sum();
        let by_kind: Vec<String> = kinds
            .iter()
            .filter(|(_, t)| t.refused > 0)
            .map(|(kind, t)| format!("{kind}: {}", t.refused))
            .collect();
        let mut summary = format!(
            "{rows} row(s) refused ({}), {} reason(s) listed above",
            by_kind.join(", "),
            self.refusals.len()
        );
        let held_back: u64 = kinds.iter().map(|(_, t)| t.held_back).sum();
        if held_back > 0 {
            summary.push_str(&format!(
                "; {held_back} good row(s) held back with them, not applied"
            ));
        }
        summary
    }
}

/// The options of an import whose files are given as arguments (`items.csv`,
/// `locations.jsonl`, `changes.csv`, `reservations.csv`, `reorder_points.csv`: the kind from
/// the name's stem) or by flag (`[items, locations, changes, reservations, reorder_points]`).
pub fn options_from_files(
    merchant: &str,
    files: &[PathBuf],
    flagged: [Option<PathBuf>; 5],
    dry_run: bool,
    source_name: String,
) -> Result<ImportOptions, TransferError> {
    let [
        mut items,
        mut locations,
        mut changes,
        mut reservations,
        mut reorder_points,
    ] = flagged;
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let slot = match stem {
            s if s.ends_with("items") => &mut items,
            s if s.ends_with("locations") => &mut locations,
            s if s.ends_with("changes") || s.ends_with("history") => &mut changes,
            s if s.ends_with("reservations") => &mut reservations,
            s if s.ends_with("reorder_points") => &mut reorder_points,
            _ => {
                return Err(TransferError::Format {
                    path: path.clone(),
                    reason: "name it items.*, locations.*, changes.*, reservations.* or \
                             reorder_points.* (or use --items, --locations, --changes, \
                             --reservations, --reorder-points)"
                        .into(),
                });
            }
        };
        *slot = Some(path.clone());
    }
    if [&items, &locations, &changes, &reservations, &reorder_points]
        .iter()
        .all(|f| f.is_none())
    {
        return Err(TransferError::Format {
            path: PathBuf::new(),
            reason: "no file to import".into(),
        });
    }
    Ok(ImportOptions {
        merchant: merchant.to_owned(),
        items,
        locations,
        changes,
        reservations,
        reorder_points,
        dry_run,
        source_name,
    })
}

/// Imports the files of `options` into the merchant. A dry run performs the same writes in
/// a rehearsal ([`Rehearsal`]) and rolls them back: its report is the real run's.
pub async fn import(store: &Store, options: &ImportOptions) -> Result<ImportReport, TransferError> {
    let files = [
        &options.items,
        &options.locations,
        &options.changes,
        &options.reservations,
        &options.reorder_points,
    ];
    for path in files.into_iter().flatten() {
        Format::of(path)?;
    }
    if !options.dry_run {
        let ledger = Ledger::start(store.clone(), Feed::new());
        return import_into(&Writes::Store(store, ledger), options).await;
    }
    let rehearsal = store.rehearse().await?;
    let report = import_into(&Writes::Rehearsal(&rehearsal), options).await;
    rehearsal.discard().await?;
    report
}

/// Where an import's writes go.
enum Writes<'a> {
    /// A real run: the store, history through the ledger's write path.
    Store(&'a Store, Ledger),
    /// A dry run: a rehearsal, rolled back at the end.
    Rehearsal(&'a Rehearsal),
}

impl Writes<'_> {
    async fn ensure_merchant(&self, name: &str) -> Result<MerchantId, StoreError> {
        match self {
            Writes::Store(store, _) => store.ensure_merchant(name).await,
            Writes::Rehearsal(rehearsal) => rehearsal.ensure_merchant(name).await,
        }
    }

    async fn item(
        &self,
        merchant: &MerchantId,
        record: &ItemRecord,
    ) -> Result<Imported, StoreError> {
        match self {
            Writes::Store(store, _) => store.import_item(merchant, record).await,
            Writes::Rehearsal(rehearsal) => rehearsal.import_item(merchant, record).await,
        }
    }

    async fn location(
        &self,
        merchant: &MerchantId,
        record: &LocationRecord,
    ) -> Result<Imported, StoreError> {
        match self {
            Writes::Store(store, _) => store.import_location(merchant, record).await,
            Writes::Rehearsal(rehearsal) => rehearsal.import_location(merchant, record).await,
        }
    }

    async fn reservation(
        &self,
        merchant: &MerchantId,
        reservation: &Reservation,
    ) -> Result<Imported, StoreError> {
        match self {
            Writes::Store(store, _) => store.import_reservation(merchant, reservation).await,
            Writes::Rehearsal(rehearsal) => {
                rehearsal.import_reservation(merchant, reservation).await
            }
        }
    }

    /// Sets a reorder point.
    async fn reorder_point(
        &self,
        merchant: &MerchantId,
        point: &PointRecord,
    ) -> Result<SetReorderPoint, StoreError> {
        let at = (point.item.as_str(), point.location.as_str());
        match self {
            Writes::Store(store, _) => {
                store
                    .set_reorder_point(merchant, at.0, at.1, point.point, point.updated_at)
                    .await
            }
            Writes::Rehearsal(rehearsal) => {
                rehearsal
                    .set_reorder_point(merchant, at, point.point, point.updated_at)
                    .await
            }
        }
    }

    /// One batch of history.
    async fn batch(
        &self,
        merchant: &MerchantId,
        batch: BatchRequest,
    ) -> Result<ImportedBatch, SubmitError> {
        match self {
            Writes::Store(_, ledger) => ledger.import(merchant, batch).await,
            Writes::Rehearsal(rehearsal) => rehearse_import(rehearsal, merchant, batch).await,
        }
    }

    /// History batches in flight at once: the write path pipelines them; a rehearsal's one
    /// transaction takes them one after another, as the real run commits them.
    fn batches_in_flight(&self) -> usize {
        match self {
            Writes::Store(..) => IN_FLIGHT,
            Writes::Rehearsal(_) => 1,
        }
    }
}

/// [`import`] with its writes going to `writes`.
async fn import_into(
    writes: &Writes<'_>,
    options: &ImportOptions,
) -> Result<ImportReport, TransferError> {
    let merchant = writes.ensure_merchant(&options.merchant).await?;
    let mut report = ImportReport::default();
    if let Some(path) = &options.items {
        let (tally, refusals) = (&mut report.items, &mut report.refusals);
        import_records(path, tally, refusals, item_record, async |record| {
            writes.item(&merchant, record).await
        })
        .await?;
    }
    if let Some(path) = &options.locations {
        let (tally, refusals) = (&mut report.locations, &mut report.refusals);
        import_records(path, tally, refusals, location_record, async |record| {
            writes.location(&merchant, record).await
        })
        .await?;
    }
    if let Some(path) = &options.changes {
        report.changes =
            import_changes(writes, &merchant, path, options, &mut report.refusals).await?;
    }
    if let Some(path) = &options.reservations {
        let (tally, refusals) = (&mut report.reservations, &mut report.refusals);
        import_records(path, tally, refusals, kept_reservation, async |record| {
            writes.reservation(&merchant, record).await
        })
        .await?;
    }
    if let Some(path) = &options.reorder_points {
        let (tally, refusals) = (&mut report.reorder_points, &mut report.refusals);
        import_reorder_points(writes, &merchant, path, tally, refusals).await?;
    }
    Ok(report)
}

/// A reorder point row, checked.
struct PointRecord {
    item: String,
    location: String,
    point: Fixed5,
    updated_at: i64,
}

fn point_record(point: &pb::InventoryReorderPoint, now: i64) -> Result<PointRecord, Violations> {
    let mut errors = Violations::default();
    let item = errors.check(canonical_id("catalog_object_id", &point.catalog_object_id));
    let location = errors.check(canonical_id("location_id", &point.location_id));
    let reorder_point = errors.check(parse_reorder_point("reorder_point", &point.reorder_point));
    let updated_at = time_or(&point.updated_at, "updated_at", now);
    match (item, location, reorder_point, updated_at) {
        (Some(item), Some(location), Some(point), Ok(updated_at)) if errors.0.is_empty() => {
            Ok(PointRecord {
                item,
                location,
                point,
                updated_at,
            })
        }
        (.., updated_at) => {
            if let Err(more) = updated_at {
                errors.0.extend(more.0);
            }
            Err(errors)
        }
    }
}

/// Reads a reorder points file row by row and sets each point: one whose item or location
/// the merchant does not have is refused (`NOT_FOUND`, naming the column).
async fn import_reorder_points(
    writes: &Writes<'_>,
    merchant: &MerchantId,
    path: &Path,
    tally: &mut Tally,
    refusals: &mut Vec<Refusal>,
) -> Result<(), TransferError> {
    let mut reader = Reader::open::<pb::InventoryReorderPoint>(path)?;
    let mut progress = Progress::start(&file_label(path), Some(count_rows(path)?));
    let now = now_micros();
    while let Some((line, row)) = reader.next_row::<pb::InventoryReorderPoint>()? {
        progress.advance(1);
        let refuse = |column: &str, reason: String| Refusal {
            file: path.to_owned(),
            line,
            column: column.to_owned(),
            reason,
        };
        let record = match row {
            Ok(message) => point_record(&message, now).map_err(|v| {
                v.0.into_iter()
                    .map(|v| refuse(&v.field, format!("{}: {}", v.reason, v.description)))
                    .collect::<Vec<_>>()
            }),
            Err(e) => Err(vec![refuse(&e.column, e.reason)]),
        };
        let missing = match record {
            Err(mut refused) => {
                tally.refused += 1;
                refusals.append(&mut refused);
                continue;
            }
            Ok(record) => match writes.reorder_point(merchant, &record).await? {
                SetReorderPoint::Set { .. } => None,
                SetReorderPoint::NoItem => Some(("catalog_object_id", "no such inventory item")),
                SetReorderPoint::NoLocation => Some(("location_id", "no such location")),
            },
        };
        match missing {
            None => tally.applied += 1,
            Some((column, what)) => {
                tally.refused += 1;
                refusals.push(refuse(column, format!("{}: {what}", reasons::NOT_FOUND)));
            }
        }
    }
    progress.finish();
    Ok(())
}

/// Reads an items, locations or reservations file row by row, checks each row alone
/// (`to_record`) and writes it (`write`): what each row came to goes to the tally, refused
/// rows to the report.
async fn import_records<M: FileMessage, R>(
    path: &Path,
    tally: &mut Tally,
    refusals: &mut Vec<Refusal>,
    to_record: fn(&M, i64) -> Result<R, Violations>,
    write: impl AsyncFn(&R) -> Result<Imported, StoreError>,
) -> Result<(), TransferError> {
    let mut reader = Reader::open::<M>(path)?;
    let mut progress = Progress::start(&file_label(path), Some(count_rows(path)?));
    let now = now_micros();
    while let Some((line, row)) = reader.next_row::<M>()? {
        progress.advance(1);
        let refuse = |column: String, reason: String| Refusal {
            file: path.to_owned(),
            line,
            column,
            reason,
        };
        let record = row
            .map_err(|e| vec![refuse(e.column, e.reason)])
            .and_then(|m| {
                to_record(&m, now).map_err(|v| {
                    v.0.into_iter()
                        .map(|v| refuse(v.field, format!("{}: {}", v.reason, v.description)))
                        .collect()
                })
            });
        match record {
            Ok(record) => settle_record(path, line, write(&record).await, tally, refusals)?,
            Err(mut refused) => {
                tally.refused += 1;
                refusals.append(&mut refused);
            }
        }
    }
    progress.finish();
    Ok(())
}

/// Counts what writing one item, location or reservation did.
fn settle_record(
    path: &Path,
    line: u64,
    done: Result<Imported, StoreError>,
    tally: &mut Tally,
    refusals: &mut Vec<Refusal>,
) -> Result<(), TransferError> {
    match done {
        Ok(Imported::Inserted) => tally.applied += 1,
        Ok(Imported::Present) => tally.present += 1,
        Err(StoreError::Duplicate { field, .. }) => {
            tally.refused += 1;
            refusals.push(Refusal {
                file: path.to_owned(),
                line,
                column: field.to_owned(),
                reason: format!("ALREADY_EXISTS: another record has this {field}"),
            });
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

fn time_or(ts: &Option<prost_types::Timestamp>, field: &str, now: i64) -> Result<i64, Violations> {
    ts.as_ref()
        .map_or(Ok(now), |t| micros_from_timestamp(field, t))
        .map_err(Violations::from)
}

/// The id a file gives (which must be of the server's shape) in its canonical spelling, or
/// a new one.
fn id_or_new(id: &str) -> Result<String, Violations> {
    if id.is_empty() {
        Ok(crate::store::new_id())
    } else {
        Ok(canonical_id("id", id)?)
    }
}

fn item_record(item: &pb::InventoryItem, now: i64) -> Result<ItemRecord, Violations> {
    let attributes = validate_item(&crate::api::item_wire::item_draft(item))?;
    Ok(ItemRecord {
        id: id_or_new(&item.id)?,
        attributes,
        created_at: time_or(&item.created_at, "created_at", now)?,
        updated_at: time_or(&item.updated_at, "updated_at", now)?,
    })
}

fn location_record(location: &pb::Location, now: i64) -> Result<LocationRecord, Violations> {
    let draft = crate::api::location_wire::location_draft(location)?;
    Ok(LocationRecord {
        id: id_or_new(&location.id)?,
        attributes: validate_new_location(&draft)?,
        created_at: time_or(&location.created_at, "created_at", now)?,
        updated_at: time_or(&location.updated_at, "updated_at", now)?,
    })
}

/// One batch of history rows on its way to the ledger.
struct Batch {
    lines: Vec<u64>,
    rows: ImportBatch,
    /// Rows refused on their own (unreadable, invalid, an id already on an earlier line):
    /// the batch is held back.
    bad: bool,
    /// Rows not refused on their own.
    accepted: u64,
}

impl Batch {
    fn new(default_source: &ChangeSource, now: i64) -> Batch {
        Batch {
            lines: Vec::new(),
            rows: ImportBatch::new(default_source.clone(), None, now).with_reservations(),
            bad: false,
            accepted: 0,
        }
    }
}

/// The history file, batch by batch through the ledger's one way in.
async fn import_changes(
    writes: &Writes<'_>,
    merchant: &MerchantId,
    path: &Path,
    options: &ImportOptions,
    refusals: &mut Vec<Refusal>,
) -> Result<Tally, TransferError> {
    let format = Format::of(path)?;
    let mut reader = Reader::open::<pb::InventoryChange>(path)?;
    let mut progress = Progress::start(&file_label(path), Some(count_rows(path)?));
    let in_flight_limit = writes.batches_in_flight();
    let default_source = ChangeSource {
        product: "EXTERNAL_API".into(),
        application_id: String::new(),
        name: options.source_name.clone(),
    };
    let column_of = |refusal: &ChangeViolation| -> String {
        let path = refusal.path_in_change();
        match format {
            Format::Jsonl => path,
            Format::Csv => change_csv_column(&path),
        }
    };
    let mut tally = Tally::default();
    let mut seen_ids: HashMap<String, u64> = HashMap::new();
    let mut in_flight = FuturesOrdered::new();
    let now = now_micros();
    let mut batch = Batch::new(&default_source, now);
    let mut done = false;
    while !done {
        match reader.next_row::<pb::InventoryChange>()? {
            Some((line, row)) => {
                batch.lines.push(line);
                let refuse = |column: String, reason: String| Refusal {
                    file: path.to_owned(),
                    line,
                    column,
                    reason,
                };
                let refused: Vec<Refusal> = match row {
                    // Unreadable: its batch is held back, so positions no longer matter.
                    Err(e) => vec![refuse(e.column, e.reason)],
                    Ok(change) => match (
                        member_of(&change),
                        batch.rows.push(change).map(|id| id.map(str::to_owned)),
                    ) {
                        (_, Err(violations)) => violations
                            .0
                            .iter()
                            .map(|v| refuse(column_of(v), reason_of(&v.violation)))
                            .collect(),
                        (member, Ok(Some(id))) => match seen_ids.get(&id) {
                            Some(first) => {
                                let column = column_of(&ChangeViolation {
                                    index: batch.rows.len() - 1,
                                    member: Some(member),
                                    violation: Violation::new("id", reasons::ALREADY_EXISTS, ""),
                                });
                                vec![refuse(
                                    column,
                                    format!("ALREADY_EXISTS: the id is also on line {first}"),
                                )]
                            }
                            None => {
                                seen_ids.insert(id, line);
                                Vec::new()
                            }
                        },
                        (_, Ok(None)) => Vec::new(),
                    },
                };
                if refused.is_empty() {
                    batch.accepted += 1;
                } else {
                    batch.bad = true;
                    tally.refused += 1;
                    refusals.extend(refused);
                }
                if batch.lines.len() < BATCH_ROWS {
                    continue;
                }
            }
            None => done = true,
        }
        let full = std::mem::replace(&mut batch, Batch::new(&default_source, now));
        if full.lines.is_empty() {
            continue;
        }
        if full.bad {
            tally.held_back += full.accepted;
            progress.advance(full.lines.len() as u64);
            continue;
        }
        let lines = full.lines;
        let outcome = full
            .rows
            .finish()
            .map(|request| writes.batch(merchant, request));
        let outcome = match outcome {
            Ok(submitted) => futures::future::Either::Left(submitted),
            Err(violations) => futures::future::Either::Right(std::future::ready(Err(
                SubmitError::Refused(violations.into()),
            ))),
        };
        in_flight.push_back(async move { (lines, outcome.await) });
        while in_flight.len() >= in_flight_limit || (done && !in_flight.is_empty()) {
            let (lines, outcome) = in_flight.next().await.expect("a batch in flight");
            progress.advance(lines.len() as u64);
            settle(path, &lines, outcome, &column_of, &mut tally, refusals)?;
        }
    }
    while let Some((lines, outcome)) = in_flight.next().await {
        progress.advance(lines.len() as u64);
        settle(path, &lines, outcome, &column_of, &mut tally, refusals)?;
    }
    progress.finish();
    Ok(tally)
}

/// A refusal's reason as a file import reports it: `REASON: description`.
fn reason_of(violation: &Violation) -> String {
    format!("{}: {}", violation.reason, violation.description)
}

/// Counts a batch's outcome; a batch the ledger refused names its rows.
fn settle(
    path: &Path,
    lines: &[u64],
    outcome: Result<ImportedBatch, SubmitError>,
    column_of: &dyn Fn(&ChangeViolation) -> String,
    tally: &mut Tally,
    refusals: &mut Vec<Refusal>,
) -> Result<(), TransferError> {
    let rows = lines.len() as u64;
    let violations = match outcome {
        Ok(imported) => {
            tally.applied += imported.applied as u64;
            tally.present += imported.already_present as u64;
            return Ok(());
        }
        Err(SubmitError::Refused(refusal)) => refused_changes(refusal),
        Err(SubmitError::Failed(e)) => return Err(e.into()),
    };
    let mut refused_lines = HashSet::new();
    for v in violations.0 {
        let line = lines.get(v.index).copied().unwrap_or(lines[0]);
        refused_lines.insert(line);
        refusals.push(Refusal {
            file: path.to_owned(),
            line,
            column: column_of(&v),
            reason: reason_of(&v.violation),
        });
    }
    tally.refused += refused_lines.len() as u64;
    tally.held_back += rows - refused_lines.len() as u64;
    Ok(())
}

fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
