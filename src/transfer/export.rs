//! `stockledger export`: a merchant's items, locations, counts, history (or a time range
//! of it), reservations and reorder points as files, page by page in constant memory.

use std::path::{Path, PathBuf};

use super::TransferError;
use super::format::{FileMessage, Format, Writer};
use super::progress::Progress;
use crate::api::alert_wire::reorder_point_to_wire;
use crate::api::item_wire::item_to_wire;
use crate::api::ledger_wire::{change_to_wire, count_to_wire};
use crate::api::location_wire::location_to_wire;
use crate::api::reservation_wire::reservation_to_wire;
use crate::proto::v1 as pb;
use crate::store::alerts::AlertQuery;
use crate::store::items::ItemListQuery;
use crate::store::ledger::{ChangeQuery, CountQuery};
use crate::store::locations::LocationListQuery;
use crate::store::reservations::ReservationListQuery;
use crate::store::{MerchantId, Page, Store, StoreError};

/// Rows read from the store per page.
const PAGE: u64 = 1_000;

/// What to export, and where.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The merchant's name.
    pub merchant: String,
    /// File format.
    pub format: Format,
    /// Directory the files are written to (created if missing).
    pub out: PathBuf,
    /// History from this occurred_at on (µs, inclusive).
    pub since: Option<i64>,
    /// History before this occurred_at (µs, exclusive).
    pub until: Option<i64>,
}

/// The files written and their rows.
#[derive(Clone, Debug, Default)]
pub struct ExportReport {
    /// (file, rows) in the order written: items, locations, counts, changes, reservations,
    /// reorder points.
    pub files: Vec<(PathBuf, u64)>,
}

/// Exports the merchant of `options`.
pub async fn export(store: &Store, options: &ExportOptions) -> Result<ExportReport, TransferError> {
    let merchant = store
        .find_merchant(&options.merchant)
        .await?
        .ok_or(StoreError::NotFound)?;
    std::fs::create_dir_all(&options.out).map_err(TransferError::io(&options.out))?;
    let file = |name: &str| {
        options
            .out
            .join(format!("{name}.{}", options.format.extension()))
    };
    let mut report = ExportReport::default();

    let (items, locations) = (file("items"), file("locations"));
    let page = async |after_id| {
        let query = ItemListQuery {
            after_id,
            limit: PAGE,
            ..ItemListQuery::default()
        };
        store.list_items(&merchant, &query).await
    };
    report
        .files
        .push(export_by_id(&items, options.format, page, item_to_wire, |r| &r.id).await?);
    let page = async |after_id| {
        let query = LocationListQuery {
            after_id,
            limit: PAGE,
            ..LocationListQuery::default()
        };
        store.list_locations(&merchant, &query).await
    };
    let wrote = export_by_id(&locations, options.format, page, location_to_wire, |r| {
        &r.id
    });
    report.files.push(wrote.await?);

    let path = file("counts");
    let mut out = Output::<pb::InventoryCount>::create(&path, options.format)?;
    let mut after = None;
    loop {
        let page = store
            .list_counts(&merchant, &CountQuery::default(), after.clone(), PAGE)
            .await?;
        for count in &page.items {
            out.write(&count_to_wire(count))?;
        }
        after = page.items.last().map(|c| {
            (
                c.calculated_at,
                c.key.catalog_object_id.clone(),
                c.key.location_id.clone(),
                c.key.state.as_str().to_owned(),
            )
        });
        if !page.has_more || after.is_none() {
            break;
        }
    }
    report.files.push(out.finish()?);

    report
        .files
        .push(export_changes(store, &merchant, options, &file("changes")).await?);

    // Reservations follow the history whose changes they made: an import brings them in
    // after it, so that a held one never names units the counts do not hold yet.
    let page = async |after_id| {
        let query = ReservationListQuery {
            after_id,
            limit: PAGE,
            ..ReservationListQuery::default()
        };
        store.list_reservations(&merchant, &query).await
    };
    let path = file("reservations");
    let wrote = export_by_id(&path, options.format, page, reservation_to_wire, |r| &r.id);
    report.files.push(wrote.await?);

    let path = file("reorder_points");
    let mut out = Output::<pb::InventoryReorderPoint>::create(&path, options.format)?;
    let mut after = None;
    loop {
        let page = store
            .list_reorder_points(&merchant, &AlertQuery::default(), after.take(), PAGE)
            .await?;
        for point in &page.items {
            out.write(&reorder_point_to_wire(point))?;
        }
        match page.items.last() {
            Some(last) if page.has_more => {
                after = Some((last.catalog_object_id.clone(), last.location_id.clone()));
            }
            _ => break,
        }
    }
    report.files.push(out.finish()?);
    Ok(report)
}

/// Records listed page by page in id order (`page` answers the page after an id, or the
/// first), each written as `to_wire` makes it.
async fn export_by_id<R, M: FileMessage>(
    path: &Path,
    format: Format,
    page: impl AsyncFn(Option<String>) -> Result<Page<R>, StoreError>,
    to_wire: fn(&R) -> M,
    id: fn(&R) -> &String,
) -> Result<(PathBuf, u64), TransferError> {
    let mut out = Output::<M>::create(path, format)?;
    let mut after_id = None;
    loop {
        let page = page(after_id.clone()).await?;
        for record in &page.items {
            out.write(&to_wire(record))?;
        }
        after_id = page.items.last().map(|r| id(r).clone());
        if !page.has_more || after_id.is_none() {
            break;
        }
    }
    out.finish()
}

/// History in (occurred_at, seq) order, limited to [since, until).
async fn export_changes(
    store: &Store,
    merchant: &MerchantId,
    options: &ExportOptions,
    path: &Path,
) -> Result<(PathBuf, u64), TransferError> {
    let mut out = Output::<pb::InventoryChange>::create(path, options.format)?;
    // Keyset position just before `since`: every change at or after it comes next.
    let mut after = options.since.map(|since| (since - 1, i64::MAX));
    'pages: loop {
        let page = store
            .list_changes(merchant, &ChangeQuery::default(), after, PAGE)
            .await?;
        for recorded in &page.items {
            if options
                .until
                .is_some_and(|until| recorded.change.occurred_at >= until)
            {
                break 'pages;
            }
            out.write(&change_to_wire(recorded))?;
        }
        after = page.items.last().map(|r| (r.change.occurred_at, r.seq));
        if !page.has_more || after.is_none() {
            break;
        }
    }
    out.finish()
}

/// One output file with its progress.
struct Output<M> {
    path: PathBuf,
    writer: Writer,
    progress: Progress,
    rows: u64,
    _message: std::marker::PhantomData<M>,
}

impl<M: FileMessage> Output<M> {
    fn create(path: &Path, format: Format) -> Result<Output<M>, TransferError> {
        let label = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Ok(Output {
            path: path.to_owned(),
            writer: Writer::create::<M>(path, format)?,
            progress: Progress::start(&label, None),
            rows: 0,
            _message: std::marker::PhantomData,
        })
    }

    fn write(&mut self, message: &M) -> Result<(), TransferError> {
        self.writer.write(message)?;
        self.rows += 1;
        self.progress.advance(1);
        Ok(())
    }

    fn finish(self) -> Result<(PathBuf, u64), TransferError> {
        self.writer.finish()?;
        self.progress.finish();
        Ok((self.path, self.rows))
    }
}
