//! InventoryService: the ledger's RPCs. Decode, validate with the domain, call the store,
//! encode; the live feeds run in [`super::watch`].

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::convert::{micros_from_timestamp, require_id};
use super::cursor::{CursorEncoder, CursorFilters, CursorPosition, Cursors, Query, other_filters};
use super::error::StoreContext;
use super::ledger::Ledger;
use super::ledger_wire::{
    adjustment_to_wire, change_to_wire, count_states_filter, count_to_wire, newest_first_from_wire,
    physical_count_to_wire, reason_draft_from_wire, states_filter, transfer_to_wire, types_filter,
};
use super::paging::page_limit;
use super::streams::{StreamRegistry, StreamTicket};
use super::{ApiError, adjustment_reasons, caller, reorder_points, watch};
use crate::domain::asof::check_as_of;
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::id::canonical_ids;
use crate::domain::ledger::ChangeType;
use crate::domain::list::{MAX_FILTER_ENTRIES, check_length, distinct};
use crate::domain::reason::{ReasonId, check_reason_id};
use crate::domain::tenant::Caller;
use crate::feed::Feed;
use crate::proto::v1::{self as pb, inventory_service_server::InventoryService};
use crate::store::ledger::{ChangeQuery, CountPosition, CountQuery, HistoryKey, RecordedChange};
use crate::store::{MerchantId, Store, now_micros};

/// A server-streaming response body.
type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

const DEFAULT_PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;
/// Rows read per query while streaming history.
const STREAM_BATCH: u64 = 1000;
/// Pages buffered per stream before the reader waits for the client: memory stays bounded
/// by this many pages whatever the history's length.
const STREAM_PAGES_BUFFERED: usize = 2;

/// How a Retrieve* RPC names, finds and encodes its kind of change.
struct Retrieval<W> {
    /// Request path of the id.
    field: &'static str,
    /// What the change is called in a NOT_FOUND answer.
    what: &'static str,
    change_type: ChangeType,
    to_wire: fn(&RecordedChange) -> Option<W>,
}

const ADJUSTMENT: Retrieval<pb::InventoryAdjustment> = Retrieval {
    field: "adjustment_id",
    what: "inventory adjustment",
    change_type: ChangeType::Adjustment,
    to_wire: adjustment_to_wire,
};
const PHYSICAL_COUNT: Retrieval<pb::InventoryPhysicalCount> = Retrieval {
    field: "physical_count_id",
    what: "inventory physical count",
    change_type: ChangeType::PhysicalCount,
    to_wire: physical_count_to_wire,
};
const TRANSFER: Retrieval<pb::InventoryTransfer> = Retrieval {
    field: "transfer_id",
    what: "inventory transfer",
    change_type: ChangeType::Transfer,
    to_wire: transfer_to_wire,
};

/// Serves InventoryService from a [`Store`], announcing commits on a [`Feed`].
#[derive(Clone, Debug)]
pub struct InventoryApi {
    store: Store,
    feed: Arc<Feed>,
    cursors: Cursors,
    streams: StreamRegistry,
    ledger: Ledger,
}

impl InventoryApi {
    /// A service over `store` whose watchers follow `feed`, whose cursors and resume
    /// tokens `cursors` signs and whose streams `streams` holds to their limits; starts the
    /// ledger's writer that group-commits every batch.
    pub fn new(store: Store, feed: Arc<Feed>, cursors: Cursors, streams: StreamRegistry) -> Self {
        let ledger = Ledger::start(store.clone(), feed.clone());
        InventoryApi {
            store,
            feed,
            cursors,
            streams,
            ledger,
        }
    }

    /// The ledger's one way in, which the front doors submit batches through.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// What a new watch of `caller` runs on, its resume tokens encoded by `tokens`; refused
    /// if the caller's token holds as many streams as it may.
    fn watcher(
        &self,
        caller: &Caller,
        kind: &'static str,
        tokens: CursorEncoder,
    ) -> Result<watch::Watcher, Status> {
        Ok(watch::Watcher {
            store: self.store.clone(),
            merchant: caller.merchant.clone(),
            stream: watch::WatchStream {
                feed: self.feed.clone(),
                streams: self.streams.clone(),
                ticket: self.streams.open_watch(caller, kind)?,
                tokens,
            },
        })
    }
}

/// Where a watch starts: after the resume token's position, at `beginning`, or — `None` —
/// at the feed's head when the watch is established (read only in that case).
fn watch_start<F, K>(
    cursors: &Cursors,
    query: Query,
    merchant: &MerchantId,
    resume_token: &str,
    start: i32,
    filters: F,
    beginning: K,
) -> Result<(F, Option<K>), Violation>
where
    F: CursorFilters,
    K: CursorPosition,
{
    let start = pb::WatchStart::try_from(start).map_err(|_| {
        Violation::new("start", reasons::INVALID_ENUM_VALUE, "must be a WatchStart")
    })?;
    if !resume_token.is_empty() {
        if start != pb::WatchStart::Unspecified {
            return Err(Violation::invalid(
                "start",
                "must be left unspecified with a resume_token",
            ));
        }
        let (filters, after) = cursors
            .resolve::<F, K>(query, merchant, resume_token, filters)
            .map_err(|v| Violation {
                field: "resume_token".into(),
                ..v
            })?;
        return Ok((filters, after));
    }
    Ok(match start {
        pb::WatchStart::Beginning => (filters, Some(beginning)),
        pb::WatchStart::Now | pb::WatchStart::Unspecified => (filters, None),
    })
}

/// A filter's list of reasons: at most [`MAX_REASON_FILTER_ENTRIES`], each a well-formed
/// reason id (`field[i].type`, …); system codes may be asked for. Distinct, in order.
fn reasons_filter(
    field: &str,
    reason_ids: &[pb::InventoryAdjustmentReasonId],
) -> Result<Vec<ReasonId>, Violations> {
    check_length(
        field,
        reason_ids.len(),
        MAX_REASON_FILTER_ENTRIES,
        "reasons",
    )
    .map_err(|v| Violations(vec![v]))?;
    let mut errors = Violations::default();
    let mut reasons = Vec::with_capacity(reason_ids.len());
    for (i, reason) in reason_ids.iter().enumerate() {
        let draft = reason_draft_from_wire(reason.clone());
        match check_reason_id(&format!("{field}[{i}]"), &draft) {
            Ok(reason) => reasons.push(reason),
            Err(violations) => errors.0.extend(violations.0),
        }
    }
    errors.into_result(distinct(reasons))
}

/// Most reasons in a `reason_ids` filter.
const MAX_REASON_FILTER_ENTRIES: usize = 100;

/// A filter's list of ids: at most [`MAX_FILTER_ENTRIES`], each of the server's id shape
/// (`field[i]`, INVALID_ID), as a Get would check it, in its canonical spelling.
fn filter_ids(field: &str, ids: &[String]) -> Result<Vec<String>, Violations> {
    canonical_ids(field, ids, MAX_FILTER_ENTRIES)
}

fn optional_micros(
    field: &str,
    ts: &Option<prost_types::Timestamp>,
) -> Result<Option<i64>, Violation> {
    ts.as_ref()
        .map(|t| micros_from_timestamp(field, t))
        .transpose()
}

/// A count request's `as_of`, µs: a valid timestamp no later than the server's time
/// (`domain::asof::check_as_of`).
fn as_of(ts: &Option<prost_types::Timestamp>) -> Result<Option<i64>, Violation> {
    optional_micros("as_of", ts)?
        .map(|at| check_as_of("as_of", at, now_micros()))
        .transpose()
}

/// The filters of a history request (BatchRetrieveInventoryChanges, StreamInventoryChanges;
/// WatchInventoryChanges without times nor order). `newest_first` is the request's
/// explicit sort order, `None` when unspecified.
#[allow(clippy::too_many_arguments)]
fn change_query(
    catalog_object_ids: &[String],
    location_ids: &[String],
    types: &[i32],
    states: &[i32],
    reason_ids: &[pb::InventoryAdjustmentReasonId],
    updated_after: &Option<prost_types::Timestamp>,
    updated_before: &Option<prost_types::Timestamp>,
    newest_first: Option<bool>,
) -> Result<ChangeQuery, Violations> {
    Ok(ChangeQuery {
        catalog_object_ids: filter_ids("catalog_object_ids", catalog_object_ids)?,
        location_ids: filter_ids("location_ids", location_ids)?,
        types: types_filter("types", types)?,
        states: states_filter("states", states)?,
        reasons: reasons_filter("reason_ids", reason_ids)?,
        updated_after: optional_micros("updated_after", updated_after)?,
        updated_before: optional_micros("updated_before", updated_before)?,
        newest_first: newest_first.unwrap_or(false),
    })
}

/// The query and position of a history request: its cursor's if it has one, else its own.
/// The sort order is one of the filters a cursor belongs to; unspecified with a cursor means
/// the cursor's order, and an explicit order must be the cursor's (even when the other
/// filters are left empty), else INVALID_CURSOR.
fn resolve_history(
    cursors: &Cursors,
    merchant: &MerchantId,
    cursor: &str,
    requested: ChangeQuery,
    newest_first: Option<bool>,
) -> Result<(ChangeQuery, Option<HistoryKey>), Violation> {
    let (query, after) =
        cursors.resolve::<_, HistoryKey>(Query::InventoryChanges, merchant, cursor, requested)?;
    if newest_first.is_some_and(|newest| newest != query.newest_first) {
        return Err(other_filters());
    }
    Ok((query, after))
}

impl InventoryApi {
    async fn count_page(
        &self,
        merchant: &MerchantId,
        requested: CountQuery,
        cursor: &str,
        limit: i32,
    ) -> Result<(Vec<pb::InventoryCount>, String), Status> {
        let limit = page_limit("limit", limit, DEFAULT_PAGE, MAX_PAGE)?;
        let (query, after) = self.cursors.resolve::<_, CountPosition>(
            Query::InventoryCounts,
            merchant,
            cursor,
            requested,
        )?;
        let page = self
            .store
            .list_counts(merchant, &query, after, limit)
            .await
            .map_err(ApiError::from)?;
        let next = self.cursors.next(
            Query::InventoryCounts,
            merchant,
            &query,
            &page,
            |last| -> CountPosition {
                (
                    last.calculated_at,
                    last.key.catalog_object_id.clone(),
                    last.key.location_id.clone(),
                    last.key.state.as_str().to_owned(),
                )
            },
        );
        Ok((page.items.iter().map(count_to_wire).collect(), next))
    }

    /// The merchant's feed head: where a watch from NOW starts.
    /// [`watch_start`] for a watch of rows positioned by (feed sequence, ordinal) — count
    /// updates, alerts: from the beginning, right after a resume token, or after everything
    /// committed now.
    async fn start_of_rows<F: CursorFilters>(
        &self,
        kind: Query,
        merchant: &MerchantId,
        resume_token: &str,
        start: i32,
        requested: F,
    ) -> Result<(F, (i64, i32)), Status> {
        let (query, after) = watch_start(
            &self.cursors,
            kind,
            merchant,
            resume_token,
            start,
            requested,
            (0i64, -1i32),
        )?;
        let after = match after {
            Some(after) => after,
            None => (self.feed_head(merchant).await?, i32::MAX),
        };
        Ok((query, after))
    }

    async fn feed_head(&self, merchant: &MerchantId) -> Result<i64, Status> {
        Ok(self
            .store
            .feed_head(merchant)
            .await
            .map_err(ApiError::from)?)
    }

    /// The change of `kind` whose id is `id`, in its wire form: the one body of the three
    /// Retrieve* RPCs.
    async fn retrieve_change<R, W>(
        &self,
        request: &Request<R>,
        kind: &Retrieval<W>,
        id: &str,
    ) -> Result<Option<W>, Status> {
        let merchant = caller(request)?.merchant;
        let id = require_id(kind.field, id)?;
        let recorded = self
            .store
            .get_change(&merchant, &id, kind.change_type)
            .await
            .or_not_found(kind.what, kind.field, &id)?;
        Ok((kind.to_wire)(&recorded))
    }
}

#[tonic::async_trait]
impl InventoryService for InventoryApi {
    async fn batch_change_inventory(
        &self,
        request: Request<pb::BatchChangeInventoryRequest>,
    ) -> Result<Response<pb::BatchChangeInventoryResponse>, Status> {
        let caller = caller(&request)?;
        let response = self.ledger.change(&caller, request.into_inner()).await?;
        Ok(Response::new(response))
    }

    async fn import_inventory_changes(
        &self,
        request: Request<tonic::Streaming<pb::ImportInventoryChangesRequest>>,
    ) -> Result<Response<pb::ImportInventoryChangesResponse>, Status> {
        let caller = caller(&request)?;
        let response =
            super::import::import_changes(&self.ledger, &caller, request.into_inner()).await?;
        Ok(Response::new(response))
    }

    async fn batch_retrieve_inventory_counts(
        &self,
        request: Request<pb::BatchRetrieveInventoryCountsRequest>,
    ) -> Result<Response<pb::BatchRetrieveInventoryCountsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.get_ref();
        let requested = CountQuery {
            catalog_object_ids: filter_ids("catalog_object_ids", &req.catalog_object_ids)?,
            location_ids: filter_ids("location_ids", &req.location_ids)?,
            states: count_states_filter("states", &req.states)?,
            updated_after: optional_micros("updated_after", &req.updated_after)?,
            as_of: as_of(&req.as_of)?,
        };
        let (counts, cursor) = self
            .count_page(&merchant, requested, &req.cursor, req.limit)
            .await?;
        Ok(Response::new(pb::BatchRetrieveInventoryCountsResponse {
            counts,
            cursor,
        }))
    }

    async fn retrieve_inventory_count(
        &self,
        request: Request<pb::RetrieveInventoryCountRequest>,
    ) -> Result<Response<pb::RetrieveInventoryCountResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.get_ref();
        let item = require_id("catalog_object_id", &req.catalog_object_id)?;
        let requested = CountQuery {
            catalog_object_ids: vec![item],
            location_ids: filter_ids("location_ids", &req.location_ids)?,
            as_of: as_of(&req.as_of)?,
            ..CountQuery::default()
        };
        let (counts, cursor) = self
            .count_page(&merchant, requested, &req.cursor, req.limit)
            .await?;
        Ok(Response::new(pb::RetrieveInventoryCountResponse {
            counts,
            cursor,
        }))
    }

    async fn batch_retrieve_inventory_changes(
        &self,
        request: Request<pb::BatchRetrieveInventoryChangesRequest>,
    ) -> Result<Response<pb::BatchRetrieveInventoryChangesResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.get_ref();
        let limit = page_limit("limit", req.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let newest_first = newest_first_from_wire("sort_order", req.sort_order)?;
        let requested = change_query(
            &req.catalog_object_ids,
            &req.location_ids,
            &req.types,
            &req.states,
            &req.reason_ids,
            &req.updated_after,
            &req.updated_before,
            newest_first,
        )?;
        let (query, after) = resolve_history(
            &self.cursors,
            &merchant,
            &req.cursor,
            requested,
            newest_first,
        )?;
        let page = self
            .store
            .list_changes(&merchant, &query, after, limit)
            .await
            .map_err(ApiError::from)?;
        let cursor = self
            .cursors
            .next(Query::InventoryChanges, &merchant, &query, &page, |last| {
                (last.change.occurred_at, last.seq)
            });
        Ok(Response::new(pb::BatchRetrieveInventoryChangesResponse {
            changes: page.items.iter().map(change_to_wire).collect(),
            cursor,
        }))
    }

    async fn retrieve_inventory_adjustment(
        &self,
        request: Request<pb::RetrieveInventoryAdjustmentRequest>,
    ) -> Result<Response<pb::RetrieveInventoryAdjustmentResponse>, Status> {
        let id = &request.get_ref().adjustment_id;
        let adjustment = self.retrieve_change(&request, &ADJUSTMENT, id).await?;
        Ok(Response::new(pb::RetrieveInventoryAdjustmentResponse {
            adjustment,
        }))
    }

    async fn retrieve_inventory_physical_count(
        &self,
        request: Request<pb::RetrieveInventoryPhysicalCountRequest>,
    ) -> Result<Response<pb::RetrieveInventoryPhysicalCountResponse>, Status> {
        let id = &request.get_ref().physical_count_id;
        let physical_count = self.retrieve_change(&request, &PHYSICAL_COUNT, id).await?;
        Ok(Response::new(pb::RetrieveInventoryPhysicalCountResponse {
            physical_count,
        }))
    }

    async fn retrieve_inventory_transfer(
        &self,
        request: Request<pb::RetrieveInventoryTransferRequest>,
    ) -> Result<Response<pb::RetrieveInventoryTransferResponse>, Status> {
        let id = &request.get_ref().transfer_id;
        let transfer = self.retrieve_change(&request, &TRANSFER, id).await?;
        Ok(Response::new(pb::RetrieveInventoryTransferResponse {
            transfer,
        }))
    }

    async fn list_inventory_adjustment_reasons(
        &self,
        request: Request<pb::ListInventoryAdjustmentReasonsRequest>,
    ) -> Result<Response<pb::ListInventoryAdjustmentReasonsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer =
            adjustment_reasons::list(&self.store, &merchant, request.get_ref(), false).await?;
        Ok(Response::new(answer))
    }

    async fn create_inventory_adjustment_reason(
        &self,
        request: Request<pb::CreateInventoryAdjustmentReasonRequest>,
    ) -> Result<Response<pb::CreateInventoryAdjustmentReasonResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer = adjustment_reasons::create(&self.store, &merchant, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    async fn retrieve_inventory_adjustment_reason(
        &self,
        request: Request<pb::RetrieveInventoryAdjustmentReasonRequest>,
    ) -> Result<Response<pb::RetrieveInventoryAdjustmentReasonResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer =
            adjustment_reasons::retrieve(&self.store, &merchant, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    async fn update_inventory_adjustment_reason(
        &self,
        request: Request<pb::UpdateInventoryAdjustmentReasonRequest>,
    ) -> Result<Response<pb::UpdateInventoryAdjustmentReasonResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer = adjustment_reasons::update(&self.store, &merchant, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    async fn delete_inventory_adjustment_reason(
        &self,
        request: Request<pb::DeleteInventoryAdjustmentReasonRequest>,
    ) -> Result<Response<pb::DeleteInventoryAdjustmentReasonResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer = adjustment_reasons::delete(&self.store, &merchant, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    async fn restore_inventory_adjustment_reason(
        &self,
        request: Request<pb::RestoreInventoryAdjustmentReasonRequest>,
    ) -> Result<Response<pb::RestoreInventoryAdjustmentReasonResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer = adjustment_reasons::restore(&self.store, &merchant, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    type StreamInventoryChangesStream = ResponseStream<pb::StreamInventoryChangesResponse>;

    async fn stream_inventory_changes(
        &self,
        request: Request<pb::StreamInventoryChangesRequest>,
    ) -> Result<Response<Self::StreamInventoryChangesStream>, Status> {
        let caller = caller(&request)?;
        let merchant = caller.merchant.clone();
        let req = request.get_ref();
        let newest_first = newest_first_from_wire("sort_order", req.sort_order)?;
        let requested = change_query(
            &req.catalog_object_ids,
            &req.location_ids,
            &req.types,
            &req.states,
            &req.reason_ids,
            &req.updated_after,
            &req.updated_before,
            newest_first,
        )?;
        let (query, after) = resolve_history(
            &self.cursors,
            &merchant,
            &req.cursor,
            requested,
            newest_first,
        )?;
        let (sender, receiver) = mpsc::channel(STREAM_PAGES_BUFFERED);
        let cursors = self
            .cursors
            .encoder(Query::InventoryChanges, &merchant, &query);
        let ticket = self.streams.open(&caller, "history")?;
        tokio::spawn(
            stream_history(
                HistoryStream {
                    store: self.store.clone(),
                    streams: self.streams.clone(),
                    ticket,
                    merchant,
                    cursors,
                },
                query,
                after,
                sender,
            )
            // Its reads are traced under the call's span.
            .in_current_span(),
        );
        let messages = ReceiverStream::new(receiver).flat_map(|page| {
            let page: Vec<Result<_, Status>> = match page {
                Ok(messages) => messages.into_iter().map(Ok).collect(),
                Err(status) => vec![Err(status)],
            };
            futures::stream::iter(page)
        });
        Ok(Response::new(Box::pin(messages)))
    }

    type WatchInventoryChangesStream = ResponseStream<pb::WatchInventoryChangesResponse>;

    async fn watch_inventory_changes(
        &self,
        request: Request<pb::WatchInventoryChangesRequest>,
    ) -> Result<Response<Self::WatchInventoryChangesStream>, Status> {
        let caller = caller(&request)?;
        let merchant = caller.merchant.clone();
        let req = request.get_ref();
        let requested = change_query(
            &req.catalog_object_ids,
            &req.location_ids,
            &req.types,
            &req.states,
            &[],
            &None,
            &None,
            None,
        )?;
        let (query, after) = watch_start(
            &self.cursors,
            Query::WatchChanges,
            &merchant,
            &req.resume_token,
            req.start,
            requested,
            0i64,
        )?;
        let after = match after {
            Some(after) => after,
            None => self.feed_head(&merchant).await?,
        };
        let tokens = self.cursors.encoder(Query::WatchChanges, &merchant, &query);
        let watcher = self.watcher(&caller, "watch_changes", tokens)?;
        let (sender, receiver) = mpsc::channel(watch::WATCH_BUFFER);
        tokio::spawn(watch::follow_changes(watcher, query, after, sender).in_current_span());
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn set_inventory_reorder_point(
        &self,
        request: Request<pb::SetInventoryReorderPointRequest>,
    ) -> Result<Response<pb::SetInventoryReorderPointResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer = reorder_points::set(&self.store, &merchant, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    async fn delete_inventory_reorder_point(
        &self,
        request: Request<pb::DeleteInventoryReorderPointRequest>,
    ) -> Result<Response<pb::DeleteInventoryReorderPointResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer = reorder_points::delete(&self.store, &merchant, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    async fn list_inventory_reorder_points(
        &self,
        request: Request<pb::ListInventoryReorderPointsRequest>,
    ) -> Result<Response<pb::ListInventoryReorderPointsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let answer =
            reorder_points::list(&self.store, &self.cursors, &merchant, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    type WatchInventoryAlertsStream = ResponseStream<pb::WatchInventoryAlertsResponse>;

    async fn watch_inventory_alerts(
        &self,
        request: Request<pb::WatchInventoryAlertsRequest>,
    ) -> Result<Response<Self::WatchInventoryAlertsStream>, Status> {
        let caller = caller(&request)?;
        let merchant = caller.merchant.clone();
        let req = request.get_ref();
        let requested = reorder_points::alert_query(&req.catalog_object_ids, &req.location_ids)?;
        let (query, after) = self
            .start_of_rows(
                Query::WatchAlerts,
                &merchant,
                &req.resume_token,
                req.start,
                requested,
            )
            .await?;
        let tokens = self.cursors.encoder(Query::WatchAlerts, &merchant, &query);
        let watcher = self.watcher(&caller, "watch_alerts", tokens)?;
        let (sender, receiver) = mpsc::channel(watch::WATCH_BUFFER);
        tokio::spawn(watch::follow_alerts(watcher, query, after, sender).in_current_span());
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    type WatchInventoryCountsStream = ResponseStream<pb::WatchInventoryCountsResponse>;

    async fn watch_inventory_counts(
        &self,
        request: Request<pb::WatchInventoryCountsRequest>,
    ) -> Result<Response<Self::WatchInventoryCountsStream>, Status> {
        let caller = caller(&request)?;
        let merchant = caller.merchant.clone();
        let req = request.get_ref();
        let requested = CountQuery {
            catalog_object_ids: filter_ids("catalog_object_ids", &req.catalog_object_ids)?,
            location_ids: filter_ids("location_ids", &req.location_ids)?,
            states: count_states_filter("states", &req.states)?,
            updated_after: None,
            as_of: None,
        };
        let (query, after) = self
            .start_of_rows(
                Query::WatchCounts,
                &merchant,
                &req.resume_token,
                req.start,
                requested,
            )
            .await?;
        let tokens = self.cursors.encoder(Query::WatchCounts, &merchant, &query);
        let watcher = self.watcher(&caller, "watch_counts", tokens)?;
        let (sender, receiver) = mpsc::channel(watch::WATCH_BUFFER);
        tokio::spawn(watch::follow_counts(watcher, query, after, sender).in_current_span());
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}

/// What a history stream runs on: where it reads, its place among the server's streams,
/// whose history it reads and how it writes its cursors.
struct HistoryStream {
    store: Store,
    streams: StreamRegistry,
    ticket: StreamTicket,
    merchant: MerchantId,
    cursors: CursorEncoder,
}

/// Feeds a history stream page by page: at most one page plus the channel's buffer is in
/// memory, and a full channel (a slow client, HTTP/2 flow control) pauses the reads. Stops
/// as soon as the client goes away.
async fn stream_history(
    stream: HistoryStream,
    query: ChangeQuery,
    mut after: Option<HistoryKey>,
    sender: mpsc::Sender<Result<Vec<pb::StreamInventoryChangesResponse>, Status>>,
) {
    let HistoryStream {
        store,
        streams,
        mut ticket,
        merchant,
        cursors,
    } = stream;
    loop {
        let read = store.list_changes(&merchant, &query, after, STREAM_BATCH);
        let page = match streams.read(read).await {
            Ok(page) => page,
            Err(err) => {
                sender.send(Err(ApiError::from(err).into())).await.ok();
                return;
            }
        };
        let messages = page
            .items
            .iter()
            .map(|recorded| {
                let position = (recorded.change.occurred_at, recorded.seq);
                after = Some(position);
                pb::StreamInventoryChangesResponse {
                    change: Some(change_to_wire(recorded)),
                    cursor: cursors.encode(&position),
                }
            })
            .collect();
        tokio::select! {
            sent = sender.send(Ok(messages)) => if sent.is_err() {
                return; // the client is gone
            },
            status = ticket.revoked() => {
                sender.try_send(Err(status)).ok();
                return;
            }
        }
        if !page.has_more {
            return;
        }
    }
}
