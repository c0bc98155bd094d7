//! The web console (`GET /console`, docs/console.md): a read-mostly page for people — stock
//! by location and state with a search, one item's history, the live feed, reservations —
//! served on the HTTP listener beside the doors.
//!
//! The page and its script and style are static, embedded in the binary and served without a
//! token; the page asks for one and keeps it in the tab's `sessionStorage`. Every data path,
//! under `/console/api/`, stands for gRPC RPCs and goes through [`Gateway::call`] like the
//! doors: the same authentication, scopes and rate limit, answering 401 without a valid
//! token and 403 naming the scope a token lacks. The live feed (`/console/api/feed`) relays
//! WatchInventoryChanges and WatchInventoryCounts in-process as JSON lines, one per change
//! and per count it moved, as they commit. Every answer carries a strict
//! Content-Security-Policy (this origin only) and `X-Content-Type-Options: nosniff`.

pub mod json;

use std::convert::Infallible;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{Stream, StreamExt, stream};
use serde::{Deserialize, Serialize};
use tonic::Status;

use super::{Gateway, RefusalDetails, Rpc, UnreadableRequest, read_query, refusal_response};
use crate::domain::id::canonical_id;
use crate::proto::v1::{
    self as pb, inventory_item_service_server::InventoryItemService as _,
    inventory_service_server::InventoryService as _, location_service_server::LocationService as _,
    reservation_service_server::ReservationService as _,
};
use json::FeedLine;

/// Where the console is served.
pub const PATH: &str = "/console";

/// The page, its script and its style, hand-written (no build step).
const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");
/// The tab's icon (a browser asks for one; without it, a 404 in the page's console).
const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#1f4e79\"/>\
<path d=\"M4 11h8M4 8h8M4 5h8\" stroke=\"#fff\" stroke-width=\"1.5\"/></svg>";

/// What every console answer says about itself: scripts, styles and requests from this
/// origin only, never framed; types as declared; never cached, never referred.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

/// Items a stock page lists.
const STOCK_PAGE: i32 = 25;
/// Changes a history page lists.
const HISTORY_PAGE: i32 = 20;
/// Reservations a page lists.
const RESERVATIONS_PAGE: i32 = 25;
/// Locations read for the names (250 a page, at most this many pages).
const LOCATION_PAGES: usize = 8;
/// Counts read for one stock page (1,000 a page, at most this many pages).
const COUNT_PAGES: usize = 8;

/// The console's routes, each answer with [`CONTENT_SECURITY_POLICY`] and its companions.
pub fn router() -> Router<Gateway> {
    Router::new()
        .route(PATH, get(page))
        .route("/console/", get(page))
        .route("/console/console.js", get(script))
        .route("/console/console.css", get(style))
        .route("/console/favicon.svg", get(icon))
        .route("/console/api/locations", get(locations))
        .route("/console/api/stock", get(stock))
        .route("/console/api/items/{id}/changes", get(history))
        .route("/console/api/reservations", get(reservations))
        .route("/console/api/reorder-points", get(reorder_points))
        .route("/console/api/feed", get(feed))
        .route("/console/{*rest}", get(not_found))
        .layer(axum::middleware::map_response(guarded))
}

async fn guarded(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

async fn not_found() -> Refused {
    Refused::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "NOT_FOUND",
        "the console serves no such path",
        None,
    )
}

/// A refused console request: its HTTP status and `{"error": {…}}`.
#[derive(Debug)]
pub struct Refused {
    status: StatusCode,
    error: json::Error,
    retry_after: Option<u64>,
}

impl Refused {
    fn new(
        status: StatusCode,
        code: &str,
        reason: &str,
        message: &str,
        field: Option<String>,
    ) -> Refused {
        Refused {
            status,
            error: json::Error {
                code: code.into(),
                reason: reason.into(),
                message: message.into(),
                field,
                required_scope: None,
            },
            retry_after: None,
        }
    }
}

/// The HTTP status a console answer has for a refusal of `code`.
pub fn http_status(code: tonic::Code) -> StatusCode {
    use tonic::Code;
    match code {
        Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The console's words for `status`: its code's name, the ErrorInfo's reason and field,
/// and the scope a token lacks.
fn error_of(status: &Status) -> (json::Error, Option<u64>) {
    let details = RefusalDetails::of(status);
    let required_scope = tonic_types::StatusExt::get_error_details(status)
        .error_info()
        .and_then(|info| info.metadata.get("required_scope").cloned());
    let field = details
        .field
        .or_else(|| details.violations.first().map(|v| v.field.clone()));
    let code = format!("{:?}", status.code());
    let error = json::Error {
        code: screaming_snake(&code),
        reason: details.reason,
        message: status.message().to_owned(),
        field,
        required_scope,
    };
    (error, details.retry_after)
}

/// `PermissionDenied` → `PERMISSION_DENIED`.
fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

impl From<Status> for Refused {
    fn from(status: Status) -> Refused {
        let (error, retry_after) = error_of(&status);
        Refused {
            status: http_status(status.code()),
            error,
            retry_after,
        }
    }
}

impl From<UnreadableRequest> for Refused {
    fn from(unreadable: UnreadableRequest) -> Refused {
        Refused::new(
            unreadable.status,
            "INVALID_ARGUMENT",
            "BAD_REQUEST",
            &unreadable.detail,
            unreadable.field,
        )
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Envelope {
            error: json::Error,
        }
        refusal_response(
            self.status,
            Envelope { error: self.error },
            self.retry_after,
        )
    }
}

type Answer<T> = Result<axum::Json<T>, Refused>;

/// `GET /console/api/locations`: every location of the merchant (LOCATIONS_READ).
#[derive(Debug, Serialize)]
struct Locations {
    locations: Vec<json::Location>,
}

async fn locations(State(gateway): State<Gateway>, headers: HeaderMap) -> Answer<Locations> {
    let mut locations = Vec::new();
    let mut cursor = String::new();
    for _ in 0..LOCATION_PAGES {
        let api = gateway.locations();
        let request = pb::ListLocationsRequest {
            limit: 250,
            cursor: std::mem::take(&mut cursor),
            ..Default::default()
        };
        let page = gateway
            .call(
                &headers,
                Rpc::Locations("ListLocations"),
                request,
                |r| async move { api.list_locations(r).await },
            )
            .await?;
        locations.extend(page.locations.iter().map(json::Location::from));
        if page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    Ok(axum::Json(Locations { locations }))
}

/// The query of `GET /console/api/stock`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StockQuery {
    /// An item id or a SKU (exact); empty lists every item, a page at a time.
    #[serde(default)]
    q: String,
    /// Only the counts at this location.
    #[serde(default)]
    location_id: String,
    /// The next page of the unfiltered list.
    #[serde(default)]
    cursor: String,
}

/// A page of the stock view: the items and every count of theirs.
#[derive(Debug, Serialize)]
struct Stock {
    items: Vec<json::Item>,
    counts: Vec<json::Count>,
    /// The next page's cursor, empty on the last.
    cursor: String,
}

/// `GET /console/api/stock?q=&location_id=&cursor=`: items (ITEMS_READ) — those whose id
/// or SKU is `q`, else a page of all — and their counts (INVENTORY_READ).
async fn stock(State(gateway): State<Gateway>, headers: HeaderMap, uri: Uri) -> Answer<Stock> {
    let query: StockQuery = read_query(&uri)?;
    let q = query.q.trim();
    let list = |request| list_items(&gateway, &headers, request);
    let (items, cursor) = if q.is_empty() {
        let page = list(pb::ListInventoryItemsRequest {
            limit: STOCK_PAGE,
            cursor: query.cursor,
            ..Default::default()
        })
        .await?;
        (page.inventory_items, page.cursor)
    } else {
        let mut found = Vec::new();
        if let Ok(id) = canonical_id("q", q) {
            let by_id = list(pb::ListInventoryItemsRequest {
                ids: vec![id],
                ..Default::default()
            });
            found.extend(by_id.await?.inventory_items);
        }
        let by_sku = list(pb::ListInventoryItemsRequest {
            limit: STOCK_PAGE,
            sku: q.to_owned(),
            ..Default::default()
        });
        for item in by_sku.await?.inventory_items {
            if !found.iter().any(|f: &pb::InventoryItem| f.id == item.id) {
                found.push(item);
            }
        }
        (found, String::new())
    };
    let counts = if items.is_empty() {
        Vec::new()
    } else {
        let ids = items.iter().map(|i| i.id.clone()).collect();
        let location_ids = Some(query.location_id)
            .filter(|l| !l.is_empty())
            .into_iter()
            .collect();
        counts_of(&gateway, &headers, ids, location_ids).await?
    };
    Ok(axum::Json(Stock {
        items: items.iter().map(json::Item::from).collect(),
        counts,
        cursor,
    }))
}

/// ListInventoryItems as `headers`' caller.
async fn list_items(
    gateway: &Gateway,
    headers: &HeaderMap,
    request: pb::ListInventoryItemsRequest,
) -> Result<pb::ListInventoryItemsResponse, Status> {
    let api = gateway.items();
    gateway
        .call(
            headers,
            Rpc::Items("ListInventoryItems"),
            request,
            |r| async move { api.list_inventory_items(r).await },
        )
        .await
}

/// Every count of the items `ids` (at `location_ids`, when given).
async fn counts_of(
    gateway: &Gateway,
    headers: &HeaderMap,
    ids: Vec<String>,
    location_ids: Vec<String>,
) -> Result<Vec<json::Count>, Refused> {
    let mut counts = Vec::new();
    let mut cursor = String::new();
    for _ in 0..COUNT_PAGES {
        let api = gateway.inventory();
        let request = pb::BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: ids.clone(),
            location_ids: location_ids.clone(),
            cursor: std::mem::take(&mut cursor),
            limit: 1000,
            ..Default::default()
        };
        let rpc = Rpc::Inventory("BatchRetrieveInventoryCounts");
        let page = gateway
            .call(headers, rpc, request, |r| async move {
                api.batch_retrieve_inventory_counts(r).await
            })
            .await?;
        counts.extend(page.counts.iter().map(json::Count::from));
        if page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    Ok(counts)
}

/// The query of a paged list: the cursor of the next page.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    #[serde(default)]
    cursor: String,
}

/// One page of an item's history, newest first.
#[derive(Debug, Serialize)]
struct History {
    changes: Vec<json::Change>,
    cursor: String,
}

/// `GET /console/api/items/{id}/changes?cursor=`: the item's changes, newest first
/// (INVENTORY_READ).
async fn history(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
    uri: Uri,
) -> Answer<History> {
    let query: PageQuery = read_query(&uri)?;
    let api = gateway.inventory();
    let request = pb::BatchRetrieveInventoryChangesRequest {
        catalog_object_ids: vec![id],
        cursor: query.cursor,
        limit: HISTORY_PAGE,
        sort_order: pb::SortOrder::NewestFirst as i32,
        ..Default::default()
    };
    let rpc = Rpc::Inventory("BatchRetrieveInventoryChanges");
    let page = gateway
        .call(&headers, rpc, request, |r| async move {
            api.batch_retrieve_inventory_changes(r).await
        })
        .await?;
    Ok(axum::Json(History {
        changes: page.changes.iter().filter_map(json::change).collect(),
        cursor: page.cursor,
    }))
}

/// The query of `GET /console/api/reservations`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReservationsQuery {
    /// `HELD`, `COMMITTED`, `RELEASED`, `EXPIRED`; empty for all.
    #[serde(default)]
    state: String,
    #[serde(default)]
    cursor: String,
}

/// One page of reservations, in creation order.
#[derive(Debug, Serialize)]
struct Reservations {
    reservations: Vec<json::Reservation>,
    cursor: String,
}

/// `GET /console/api/reservations?state=&cursor=`: the merchant's reservations
/// (RESERVATIONS_READ).
async fn reservations(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    uri: Uri,
) -> Answer<Reservations> {
    let query: ReservationsQuery = read_query(&uri)?;
    let state = json::reservation_state(&query.state).map_err(|error| Refused {
        status: StatusCode::BAD_REQUEST,
        error,
        retry_after: None,
    })?;
    let api = gateway.reservations();
    let request = pb::ListReservationsRequest {
        limit: RESERVATIONS_PAGE,
        cursor: query.cursor,
        state: state.map_or(0, |s| s as i32),
        ..Default::default()
    };
    let rpc = Rpc::Reservations("ListReservations");
    let page = gateway
        .call(&headers, rpc, request, |r| async move {
            api.list_reservations(r).await
        })
        .await?;
    Ok(axum::Json(Reservations {
        reservations: page
            .reservations
            .iter()
            .map(json::Reservation::from)
            .collect(),
        cursor: page.cursor,
    }))
}

/// The reorder points of `GET /console/api/reorder-points`.
#[derive(Debug, Serialize)]
pub struct ReorderPoints {
    reorder_points: Vec<json::ReorderPoint>,
    cursor: String,
}

/// `GET /console/api/reorder-points?cursor=`: the merchant's reorder points, by item and
/// location (INVENTORY_READ).
async fn reorder_points(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    uri: Uri,
) -> Answer<ReorderPoints> {
    let query: CursorQuery = read_query(&uri)?;
    let api = gateway.inventory();
    let request = pb::ListInventoryReorderPointsRequest {
        limit: REORDER_POINTS_PAGE,
        cursor: query.cursor,
        ..Default::default()
    };
    let rpc = Rpc::Inventory("ListInventoryReorderPoints");
    let page = gateway
        .call(&headers, rpc, request, |r| async move {
            api.list_inventory_reorder_points(r).await
        })
        .await?;
    Ok(axum::Json(ReorderPoints {
        reorder_points: page
            .reorder_points
            .iter()
            .map(json::ReorderPoint::from)
            .collect(),
        cursor: page.cursor,
    }))
}

/// The query of a path that pages with a cursor alone.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorQuery {
    #[serde(default)]
    cursor: String,
}

/// Reorder points per page of `/console/api/reorder-points`.
const REORDER_POINTS_PAGE: i32 = 100;

/// `GET /console/api/feed`: the live feed (INVENTORY_READ), JSON lines
/// (`application/x-ndjson`, read with `fetch`, which can send the token as EventSource
/// cannot): `{"kind":"open"}` once the watches are open, then a `change` line per change,
/// a `count` line per count it moved and an `alert` line per reorder point it crossed, as
/// they commit; an `end` line when the watches end (the token revoked, the server
/// stopping).
async fn feed(State(gateway): State<Gateway>, headers: HeaderMap) -> Result<Response, Refused> {
    let api = gateway.inventory();
    let changes = gateway
        .call(
            &headers,
            Rpc::Inventory("WatchInventoryChanges"),
            pb::WatchInventoryChangesRequest {
                start: pb::WatchStart::Now as i32,
                ..Default::default()
            },
            |r| async move { api.watch_inventory_changes(r).await },
        )
        .await?;
    let api = gateway.inventory();
    let counts = gateway
        .call(
            &headers,
            Rpc::Inventory("WatchInventoryCounts"),
            pb::WatchInventoryCountsRequest {
                start: pb::WatchStart::Now as i32,
                ..Default::default()
            },
            |r| async move { api.watch_inventory_counts(r).await },
        )
        .await?;
    let api = gateway.inventory();
    let alerts = gateway
        .call(
            &headers,
            Rpc::Inventory("WatchInventoryAlerts"),
            pb::WatchInventoryAlertsRequest {
                start: pb::WatchStart::Now as i32,
                ..Default::default()
            },
            |r| async move { api.watch_inventory_alerts(r).await },
        )
        .await?;
    let changes = changes.map(|m| m.map(|m| FeedLine::of_change(&m)));
    let counts = counts.map(|m| m.map(|m| FeedLine::of_count(&m)));
    let alerts = alerts.map(|m| m.map(|m| FeedLine::of_alert(&m)));
    let watched = stream::select(stream::select(changes, counts), alerts);
    let body = Body::from_stream(feed_lines(watched));
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        body,
    )
        .into_response())
}

/// The feed's lines: `open`, then each line of `watched` until it fails or ends, then one
/// `end` line saying why.
fn feed_lines(
    watched: impl Stream<Item = Result<Option<FeedLine>, Status>> + Send + 'static,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let ended = Status::unavailable("the feed ended; open it again");
    stream::once(async { Ok(Some(FeedLine::Open)) })
        .chain(watched)
        .chain(stream::once(async move { Err(ended) }))
        .scan(false, |over, message| {
            let line = match (*over, message) {
                (true, _) => return std::future::ready(None),
                (false, Ok(line)) => line,
                (false, Err(status)) => {
                    *over = true;
                    Some(FeedLine::End {
                        error: error_of(&status).0,
                    })
                }
            };
            std::future::ready(Some(line))
        })
        .filter_map(|line| std::future::ready(line.map(|l| Ok(Bytes::from(l.to_ndjson())))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_http_statuses() {
        assert_eq!(
            http_status(tonic::Code::Unauthenticated),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            http_status(tonic::Code::PermissionDenied),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            http_status(tonic::Code::Internal),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(screaming_snake("PermissionDenied"), "PERMISSION_DENIED");
        assert_eq!(screaming_snake("Ok"), "OK");
    }

    #[tokio::test]
    async fn the_feed_ends_once_with_the_reason() {
        let watched = stream::iter(vec![
            Ok(None),
            Err(Status::unauthenticated("revoked")),
            Ok(None),
        ]);
        let lines: Vec<String> = feed_lines(watched)
            .map(|b| String::from_utf8(b.unwrap().to_vec()).unwrap())
            .collect()
            .await;
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0], "{\"kind\":\"open\"}\n");
        assert!(
            lines[1].contains("\"code\":\"UNAUTHENTICATED\""),
            "{}",
            lines[1]
        );
    }
}
