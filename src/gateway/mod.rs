//! Stockledger's HTTP/JSON front doors, served on a second listener (`serve --http-listen`)
//! so that the official SDKs of the systems Stockledger follows work against it unchanged:
//! Square's v2 Inventory API ([`square`], docs/square.md) and Shopify's inventory items and
//! levels ([`shopify`], docs/shopify.md), with the OpenAPI document of both ([`openapi`],
//! `GET /openapi.json`); and, for people, the web console ([`console`], `GET /console`,
//! docs/console.md).
//!
//! The listener itself — its connection budget and timeouts — is served by
//! `server::http`.
//!
//! One implementation of the rules: a path translates its JSON to the proto request (each
//! door's `json` module), authenticates the token exactly as the gRPC auth layer does (the
//! same [`Authenticator`], asked with the path of the RPC it stands for, so the same scopes,
//! the same token cache and the same per-token rate limit), attaches the caller and calls
//! the gRPC service implementation in-process ([`Gateway::call`]); the answer, or the
//! refusal's ErrorInfo and BadRequest, is translated back to the door's JSON and error
//! shape. The doors reach the ledger only through `api`: its services and its
//! authenticator, never the store.

pub mod body_deadline;
pub mod console;
pub mod headers;
pub mod openapi;
pub mod shopify;
pub mod square;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::Status;
use tonic::server::NamedService;
use tonic_types::{FieldViolation, StatusExt};
use tracing::Instrument;

use crate::api::ApiError;
use crate::api::admission::{Admission, MAX_REQUEST_BYTES};
use crate::api::authentication::Authenticator;
use crate::api::inventory::InventoryApi;
use crate::api::items::InventoryItemApi;
use crate::api::ledger::SubmitError;
use crate::api::locations::LocationApi;
use crate::api::reservations::ReservationApi;
use crate::api::webhooks::WebhookApi;
use crate::domain::refusal::Refusal;
use crate::proto::v1 as pb;
use crate::proto::v1::{
    inventory_item_service_server::InventoryItemServiceServer,
    inventory_service_server::InventoryServiceServer,
    location_service_server::LocationServiceServer,
    reservation_service_server::ReservationServiceServer,
    webhook_service_server::WebhookServiceServer,
};

/// What the front doors serve from: the gRPC side's services and authenticator, and the
/// listener's admission gate.
#[derive(Clone)]
pub struct Gateway {
    inventory: InventoryApi,
    items: InventoryItemApi,
    locations: LocationApi,
    reservations: ReservationApi,
    webhooks: WebhookApi,
    authenticator: Authenticator,
    admission: Admission,
    call_timeout: Duration,
    health: tokio::sync::watch::Receiver<Readiness>,
    /// How far in the future a Square change's `occurred_at` may be.
    square_clock_skew: Duration,
}

/// What the server's health check last found, as `/healthz` answers it: whether the
/// database answers (reads are served), and whether writes are taken too (not while the
/// disk is full).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// The database answers.
    pub serving: bool,
    /// Writes are taken.
    pub writes: bool,
}

/// The gRPC method a front-door path stands for: its path decides the scope a token needs.
#[derive(Clone, Copy, Debug)]
pub enum Rpc {
    /// A method of `stockledger.v1.InventoryService`.
    Inventory(&'static str),
    /// A method of `stockledger.v1.InventoryItemService`.
    Items(&'static str),
    /// A method of `stockledger.v1.LocationService`.
    Locations(&'static str),
    /// A method of `stockledger.v1.ReservationService`.
    Reservations(&'static str),
    /// A method of `stockledger.v1.WebhookService`.
    Webhooks(&'static str),
}

impl Rpc {
    /// The gRPC path, `/package.Service/Method`.
    fn path(self) -> String {
        match self {
            Rpc::Inventory(method) => format!(
                "/{}/{method}",
                <InventoryServiceServer<InventoryApi> as NamedService>::NAME
            ),
            Rpc::Items(method) => format!(
                "/{}/{method}",
                <InventoryItemServiceServer<InventoryItemApi> as NamedService>::NAME
            ),
            Rpc::Locations(method) => format!(
                "/{}/{method}",
                <LocationServiceServer<LocationApi> as NamedService>::NAME
            ),
            Rpc::Reservations(method) => format!(
                "/{}/{method}",
                <ReservationServiceServer<ReservationApi> as NamedService>::NAME
            ),
            Rpc::Webhooks(method) => format!(
                "/{}/{method}",
                <WebhookServiceServer<WebhookApi> as NamedService>::NAME
            ),
        }
    }
}

impl Gateway {
    /// Front doors calling `inventory`, `items`, `locations` and `reservations`, authenticating with `authenticator`
    /// (share it with the gRPC side), admitting calls through `admission` (more than it
    /// serves at once are refused at once as UNAVAILABLE `OVERLOADED`) and serving each for
    /// at most `call_timeout`.
    pub fn new(
        (inventory, items, locations, reservations, webhooks): (
            InventoryApi,
            InventoryItemApi,
            LocationApi,
            ReservationApi,
            WebhookApi,
        ),
        authenticator: Authenticator,
        admission: Admission,
        call_timeout: Duration,
        health: tokio::sync::watch::Receiver<Readiness>,
    ) -> Gateway {
        Gateway {
            inventory,
            items,
            locations,
            reservations,
            webhooks,
            authenticator,
            admission,
            call_timeout,
            health,
            square_clock_skew: Duration::ZERO,
        }
    }

    /// This gateway, taking Square changes whose `occurred_at` is at most `skew` in the
    /// future (Square itself takes none).
    pub fn with_square_clock_skew(mut self, skew: Duration) -> Gateway {
        self.square_clock_skew = skew;
        self
    }

    /// The inventory service the doors call.
    fn inventory(&self) -> InventoryApi {
        self.inventory.clone()
    }

    /// The item service the doors call.
    fn items(&self) -> InventoryItemApi {
        self.items.clone()
    }

    /// The location service the doors call.
    fn locations(&self) -> LocationApi {
        self.locations.clone()
    }

    /// The reservation service the console calls.
    fn reservations(&self) -> ReservationApi {
        self.reservations.clone()
    }

    /// The webhook service the doors call.
    fn webhooks(&self) -> WebhookApi {
        self.webhooks.clone()
    }

    /// Runs one call standing for `rpc`: admission, authentication of `headers`'
    /// `Authorization: Bearer`, the call with its caller attached, the deadline. A refusal
    /// is the status the gRPC API would have answered; each door writes it its own way.
    async fn call<Req, Res, E, F, Fut>(
        &self,
        headers: &HeaderMap,
        rpc: Rpc,
        message: Req,
        call: F,
    ) -> Result<Res, E>
    where
        E: From<Status>,
        F: FnOnce(tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Res>, E>>,
    {
        self.call_metered(headers, rpc, message, call, |_| {}).await
    }

    /// [`Gateway::call`], telling `calls_left` how many calls the token has left in its
    /// rate limit's bucket once this one was counted.
    async fn call_metered<Req, Res, E, F, Fut>(
        &self,
        headers: &HeaderMap,
        rpc: Rpc,
        message: Req,
        call: F,
        calls_left: impl FnOnce(u32),
    ) -> Result<Res, E>
    where
        E: From<Status>,
        F: FnOnce(tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Res>, E>>,
    {
        let _admitted = self.admission.admit().map_err(Status::from)?;
        let (caller, left) = self
            .authenticator
            .authenticate_metered(&rpc.path(), headers)
            .await
            .map_err(Status::from)?
            .ok_or_else(|| {
                Status::from(ApiError::Internal("no caller for a front-door call".into()))
            })?;
        calls_left(left);
        // The request's span (and its trace) names the merchant, as a gRPC call's does.
        tracing::Span::current().record("merchant", tracing::field::display(&caller.merchant.0));
        let mut request = tonic::Request::new(message);
        request.extensions_mut().insert(caller);
        match tokio::time::timeout(self.call_timeout, call(request)).await {
            Ok(result) => result.map(tonic::Response::into_inner),
            Err(_) => {
                Err(Status::deadline_exceeded("the call took longer than the server allows").into())
            }
        }
    }

    /// BatchChangeInventory for the caller `headers` authenticate, submitted through the
    /// ledger's one way in so that a refusal of the ledger comes back typed, for the door to
    /// name each field in its own words.
    async fn change_inventory(
        &self,
        headers: &HeaderMap,
        request: pb::BatchChangeInventoryRequest,
    ) -> Result<pb::BatchChangeInventoryResponse, BatchRefusal> {
        let ledger = self.inventory.ledger().clone();
        let rpc = Rpc::Inventory("BatchChangeInventory");
        self.call(headers, rpc, request, |r| async move {
            let caller = crate::api::caller(&r).map_err(Status::from)?;
            let response = ledger.change(&caller, r.into_inner()).await?;
            Ok(tonic::Response::new(response))
        })
        .await
    }
}

/// A refused batch: the ledger's typed refusal, or any other refusal as the gRPC API would
/// have answered it (admission, authentication, a malformed request, storage).
#[derive(Debug)]
pub enum BatchRefusal {
    /// The ledger refused the batch.
    Ledger(Refusal),
    /// The call was refused before or around the ledger.
    Status(Status),
}

impl From<Status> for BatchRefusal {
    fn from(status: Status) -> Self {
        BatchRefusal::Status(status)
    }
}

impl From<SubmitError> for BatchRefusal {
    fn from(err: SubmitError) -> Self {
        match err {
            SubmitError::Refused(refusal) => BatchRefusal::Ledger(refusal),
            SubmitError::Failed(err) => BatchRefusal::Status(err.into()),
        }
    }
}

/// What a refused call's details say, as both doors write them.
#[derive(Debug, Clone, Default)]
pub struct RefusalDetails {
    /// The ErrorInfo's reason (empty without one).
    pub reason: String,
    /// The ErrorInfo's `field`, when it names one.
    pub field: Option<String>,
    /// The BadRequest's field violations.
    pub violations: Vec<FieldViolation>,
    /// Whole seconds after which a retry may succeed: the RetryInfo's delay, rounded up.
    pub retry_after: Option<u64>,
}

impl RefusalDetails {
    /// The details of `status`.
    pub fn of(status: &Status) -> RefusalDetails {
        let details = status.get_error_details();
        let info = details.error_info();
        RefusalDetails {
            reason: info.map(|i| i.reason.clone()).unwrap_or_default(),
            field: info
                .and_then(|i| i.metadata.get("field"))
                .filter(|f| !f.is_empty())
                .cloned(),
            violations: details
                .bad_request()
                .map(|b| b.field_violations.clone())
                .unwrap_or_default(),
            retry_after: details
                .retry_info()
                .and_then(|r| r.retry_delay)
                .map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0)),
        }
    }
}

/// A refusal as an HTTP answer: its status, its door's JSON body and, when known,
/// `Retry-After`.
fn refusal_response(
    status: StatusCode,
    body: impl Serialize,
    retry_after: Option<u64>,
) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
    }
    response
}

/// A request body as read, or why it could not be (too large, cut off).
type RawBody = Result<Bytes, BytesRejection>;

/// Why a request's body or query could not be read as the path's JSON: each door writes it
/// in its own error shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRequest {
    /// 400, 413 for a body over [`MAX_REQUEST_BYTES`], or 408 for a body that did not
    /// arrive within the deadline ([`body_deadline`]).
    pub status: StatusCode,
    /// What was wrong.
    pub detail: String,
    /// Where reading stopped (`changes[0].adjustment.quantity`), when known.
    pub field: Option<String>,
}

impl UnreadableRequest {
    /// Whether the body was over the size limit.
    pub fn too_large(&self) -> bool {
        self.status == StatusCode::PAYLOAD_TOO_LARGE
    }

    /// Whether the body did not arrive within the deadline.
    pub fn timed_out(&self) -> bool {
        self.status == StatusCode::REQUEST_TIMEOUT
    }
}

/// A JSON body of type `T`, or where and why it is not one. An empty body is `{}`.
fn read_json<T: DeserializeOwned>(raw: &RawBody) -> Result<T, UnreadableRequest> {
    let bytes = raw.as_ref().map_err(|rejection| {
        if let Some(timed_out) = body_deadline::timed_out(rejection) {
            return UnreadableRequest {
                status: StatusCode::REQUEST_TIMEOUT,
                detail: timed_out.to_string(),
                field: None,
            };
        }
        let status = rejection.status();
        UnreadableRequest {
            status,
            detail: if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the body must be at most {MAX_REQUEST_BYTES} bytes")
            } else {
                rejection.body_text()
            },
            field: None,
        }
    })?;
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        UnreadableRequest {
            status: StatusCode::BAD_REQUEST,
            detail: e.into_inner().to_string(),
            field: (path != ".").then_some(path),
        }
    })
}

/// A query string of type `T`, or why it is not one.
fn read_query<T: DeserializeOwned>(uri: &Uri) -> Result<T, UnreadableRequest> {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).map_err(|e| UnreadableRequest {
        status: StatusCode::BAD_REQUEST,
        detail: format!("the query string cannot be read: {e}"),
        field: None,
    })
}

/// A comma-separated list of a query (`location_ids=a,b`), blanks and empty entries dropped.
fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GET /healthz`, for load balancers and orchestrators: 200 while the database answers,
/// 503 when it does not, with the gRPC health service's verdicts as JSON
/// (`{"status":"SERVING","writes":"SERVING"}`; `writes` is `NOT_SERVING` while the disk is
/// full). No token needed; it says nothing of any merchant.
pub const HEALTHZ_PATH: &str = "/healthz";

async fn healthz(State(gateway): State<Gateway>) -> Response {
    let readiness = *gateway.health.borrow();
    healthz_answer(readiness)
}

/// What `/healthz` answers for `readiness`: 200 or 503, and the verdicts in JSON.
pub fn healthz_answer(readiness: Readiness) -> Response {
    let word = |yes: bool| if yes { "SERVING" } else { "NOT_SERVING" };
    let code = if readiness.serving {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": word(readiness.serving),
        "writes": word(readiness.writes),
    });
    (code, axum::Json(body)).into_response()
}

/// Both front doors, the console, `/healthz` and the OpenAPI document; any other path is answered in the error shape
/// of the door its prefix belongs to. A request body must arrive whole within
/// `body_timeout` of its headers, or the request is answered 408.
pub fn router(gateway: Gateway, body_timeout: Duration) -> Router {
    // Made once; each answer shares the bytes.
    let document = Bytes::from(openapi::document_json());
    Router::new()
        .merge(square::router())
        .merge(shopify::router())
        .merge(console::router())
        .route(HEALTHZ_PATH, get(healthz))
        .route(
            openapi::PATH,
            get(move || async move {
                (
                    [(http::header::CONTENT_TYPE, "application/json")],
                    document.clone(),
                )
                    .into_response()
            }),
        )
        .fallback(not_served)
        .layer(axum::middleware::from_fn(counted))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(axum::middleware::map_request(move |request| async move {
            body_deadline::read_within(request, body_timeout)
        }))
        .with_state(gateway)
}

/// Counts each request in the metrics under its route template (`unmatched` for a path no
/// route serves), with its status and duration; serves it in its `http` span, which names
/// the route and, once authentication has run, the merchant. When traces are exported the
/// span is the request's OpenTelemetry span, child of the caller's W3C `traceparent`.
async fn counted(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let span = crate::telemetry::call_span!("http", route = %route);
    if crate::telemetry::traces_on() {
        let method = request.method().as_str().to_owned();
        crate::telemetry::server_span(
            &span,
            request.headers(),
            &format!("{method} {route}"),
            &[
                ("http.request.method", method.as_str()),
                ("http.route", route.as_str()),
            ],
        );
    }
    let started = std::time::Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    crate::metrics::http_request(&route, status.as_u16(), started.elapsed());
    let code = i64::from(status.as_u16());
    crate::telemetry::server_span_ended(
        &span,
        code,
        ("http.response.status_code", code),
        status.is_server_error().then_some(status.as_str()),
    );
    response
}

async fn not_served(uri: Uri) -> Response {
    if shopify::owns(uri.path()) {
        shopify::not_found().into_response()
    } else {
        square::not_served().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_lists() {
        assert_eq!(comma_list(Some("a, b,,c")), ["a", "b", "c"]);
        assert_eq!(comma_list(Some(" , ")), Vec::<String>::new());
        assert!(comma_list(None).is_empty());
    }
}
