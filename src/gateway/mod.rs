//! The Square-compatible HTTP/JSON front door (docs/square.md): Square's v2 Inventory paths
//! served on a second listener (`serve --http-listen`), so that Square's own SDKs work
//! against Stockledger unchanged.
//!
//! One implementation of the rules: each path translates Square's JSON to the proto
//! request ([`square`]), authenticates the bearer token exactly as the gRPC auth layer
//! does (the same [`authenticate`] with the RPC's path, so the same scopes, the same token
//! cache and the same per-token rate limit), attaches the caller and calls the gRPC
//! service implementation ([`InventoryApi`]) in-process; its answer, or its refusal's
//! ErrorInfo and BadRequest, is translated back to Square's JSON.

pub mod square;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tonic::Status;
use tonic::server::NamedService;

use crate::api::ApiError;
use crate::api::admission::MAX_REQUEST_BYTES;
use crate::api::authentication::authenticate;
use crate::api::inventory::InventoryApi;
use crate::api::rate_limit::TokenRateLimiter;
use crate::auth::cache::TokenCache;
use crate::proto::v1::{
    self as pb, inventory_service_server::InventoryService,
    inventory_service_server::InventoryServiceServer,
};
use crate::store::Store;
use square::Refusal;

/// What the front door serves from: the gRPC side's service, token cache and rate limiter.
#[derive(Clone)]
pub struct Gateway {
    inventory: InventoryApi,
    store: Store,
    tokens: TokenCache,
    rate: TokenRateLimiter,
    in_flight: Arc<Semaphore>,
    call_timeout: Duration,
}

impl Gateway {
    /// A front door calling `inventory`, authenticating against `store` through `tokens`
    /// and `rate` (share them with the gRPC side), serving at most `max_in_flight` calls at
    /// once (more are refused with 503 SERVICE_UNAVAILABLE) for at most `call_timeout` each.
    pub fn new(
        inventory: InventoryApi,
        store: Store,
        tokens: TokenCache,
        rate: TokenRateLimiter,
        max_in_flight: usize,
        call_timeout: Duration,
    ) -> Gateway {
        Gateway {
            inventory,
            store,
            tokens,
            rate,
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1))),
            call_timeout,
        }
    }

    /// Runs one call of the RPC `method`: admission, authentication, the call with its
    /// caller attached, the deadline; a refusal in Square's envelope.
    async fn call<Req, Res, F, Fut>(
        &self,
        headers: &HeaderMap,
        method: &str,
        message: Req,
        rpc: F,
    ) -> Result<Res, Refusal>
    where
        F: FnOnce(InventoryApi, tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Res>, Status>>,
    {
        let _permit = self.in_flight.try_acquire().map_err(|_| {
            Refusal::one(
                StatusCode::SERVICE_UNAVAILABLE,
                square::API_ERROR,
                "SERVICE_UNAVAILABLE",
                "the server is serving as many calls as it may; retry shortly",
                None,
            )
        })?;
        let path = format!(
            "/{}/{method}",
            <InventoryServiceServer<InventoryApi> as NamedService>::NAME
        );
        let caller = match authenticate(&self.store, &self.tokens, &self.rate, &path, headers).await
        {
            Ok(Some(caller)) => caller,
            Ok(None) => return Err(refused(ApiError::Internal("no caller".into()).into())),
            Err(refusal) => return Err(refused(refusal.into())),
        };
        let mut request = tonic::Request::new(message);
        request.extensions_mut().insert(caller);
        match tokio::time::timeout(self.call_timeout, rpc(self.inventory.clone(), request)).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(refused(status)),
            Err(_) => Err(refused(Status::deadline_exceeded(
                "the call took longer than the server allows",
            ))),
        }
    }
}

fn refused(status: Status) -> Refusal {
    square::refusal_from_status(&status)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.envelope)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        response
    }
}

/// A request body as read, or why it could not be (too large, cut off).
type RawBody = Result<Bytes, BytesRejection>;

/// A JSON body of type `T`; a malformed one is refused with Square's BAD_REQUEST naming
/// the field where it went wrong, one over the size limit with REQUEST_ENTITY_TOO_LARGE.
/// An empty body is `{}`.
fn body<T: DeserializeOwned>(raw: &RawBody) -> Result<T, Refusal> {
    let bytes = raw.as_ref().map_err(|rejection| {
        let too_large = rejection.status() == StatusCode::PAYLOAD_TOO_LARGE;
        Refusal::one(
            rejection.status(),
            square::INVALID_REQUEST_ERROR,
            if too_large {
                "REQUEST_ENTITY_TOO_LARGE"
            } else {
                "BAD_REQUEST"
            },
            if too_large {
                format!("the body must be at most {MAX_REQUEST_BYTES} bytes")
            } else {
                rejection.body_text()
            },
            None,
        )
    })?;
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != ".").then_some(path);
        Refusal::bad_json(e.into_inner().to_string(), field)
    })
}

fn json<T: Serialize>(result: Result<T, Refusal>) -> Response {
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn batch_change(State(g): State<Gateway>, headers: HeaderMap, bytes: RawBody) -> Response {
    json(
        async {
            let request = square::batch_change_from_json(&body(&bytes)?)?;
            let response = g
                .call(
                    &headers,
                    "BatchChangeInventory",
                    request,
                    |api, r| async move { api.batch_change_inventory(r).await },
                )
                .await?;
            Ok(square::batch_change_to_json(&response))
        }
        .await,
    )
}

async fn batch_retrieve_changes(
    State(g): State<Gateway>,
    headers: HeaderMap,
    bytes: RawBody,
) -> Response {
    json(
        async {
            let request = square::changes_request_from_json(&body(&bytes)?)?;
            let response = g
                .call(
                    &headers,
                    "BatchRetrieveInventoryChanges",
                    request,
                    |api, r| async move { api.batch_retrieve_inventory_changes(r).await },
                )
                .await?;
            Ok(square::changes_to_json(&response.changes, &response.cursor))
        }
        .await,
    )
}

async fn batch_retrieve_counts(
    State(g): State<Gateway>,
    headers: HeaderMap,
    bytes: RawBody,
) -> Response {
    json(
        async {
            let request = square::counts_request_from_json(&body(&bytes)?)?;
            let response = g
                .call(
                    &headers,
                    "BatchRetrieveInventoryCounts",
                    request,
                    |api, r| async move { api.batch_retrieve_inventory_counts(r).await },
                )
                .await?;
            Ok(square::counts_to_json(&response.counts, &response.cursor))
        }
        .await,
    )
}

/// The query of `GET /v2/inventory/{catalog_object_id}[/changes]`.
#[derive(Debug, Default, serde::Deserialize)]
struct ItemQuery {
    location_ids: Option<String>,
    cursor: Option<String>,
}

async fn item_counts(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(catalog_object_id): Path<String>,
    Query(query): Query<ItemQuery>,
) -> Response {
    json(
        async {
            let request = pb::RetrieveInventoryCountRequest {
                catalog_object_id,
                location_ids: square::comma_list(query.location_ids.as_deref()),
                cursor: query.cursor.unwrap_or_default(),
                limit: 0,
            };
            let response = g
                .call(
                    &headers,
                    "RetrieveInventoryCount",
                    request,
                    |api, r| async move { api.retrieve_inventory_count(r).await },
                )
                .await?;
            Ok(square::counts_to_json(&response.counts, &response.cursor))
        }
        .await,
    )
}

/// Square's RetrieveInventoryChanges: one item's changes, newest first, as
/// BatchRetrieveInventoryChanges with that one id.
async fn item_changes(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(catalog_object_id): Path<String>,
    Query(query): Query<ItemQuery>,
) -> Response {
    json(
        async {
            let request = pb::BatchRetrieveInventoryChangesRequest {
                catalog_object_ids: vec![catalog_object_id],
                location_ids: square::comma_list(query.location_ids.as_deref()),
                cursor: query.cursor.unwrap_or_default(),
                sort_order: pb::SortOrder::NewestFirst as i32,
                ..Default::default()
            };
            let response = g
                .call(
                    &headers,
                    "BatchRetrieveInventoryChanges",
                    request,
                    |api, r| async move { api.batch_retrieve_inventory_changes(r).await },
                )
                .await?;
            Ok(square::changes_to_json(&response.changes, &response.cursor))
        }
        .await,
    )
}

#[derive(Serialize)]
struct AdjustmentResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    adjustment: Option<square::InventoryAdjustment>,
}

async fn adjustment(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(adjustment_id): Path<String>,
) -> Response {
    json(
        async {
            let request = pb::RetrieveInventoryAdjustmentRequest { adjustment_id };
            let response = g
                .call(
                    &headers,
                    "RetrieveInventoryAdjustment",
                    request,
                    |api, r| async move { api.retrieve_inventory_adjustment(r).await },
                )
                .await?;
            Ok(AdjustmentResponse {
                adjustment: response.adjustment.as_ref().map(square::adjustment_to_json),
            })
        }
        .await,
    )
}

/// Square names the physical count of its response `count`.
#[derive(Serialize)]
struct PhysicalCountResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<square::InventoryPhysicalCount>,
}

async fn physical_count(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(physical_count_id): Path<String>,
) -> Response {
    json(
        async {
            let request = pb::RetrieveInventoryPhysicalCountRequest { physical_count_id };
            let response = g
                .call(
                    &headers,
                    "RetrieveInventoryPhysicalCount",
                    request,
                    |api, r| async move { api.retrieve_inventory_physical_count(r).await },
                )
                .await?;
            Ok(PhysicalCountResponse {
                count: response
                    .physical_count
                    .as_ref()
                    .map(square::physical_count_to_json),
            })
        }
        .await,
    )
}

#[derive(Serialize)]
struct TransferResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer: Option<square::InventoryTransfer>,
}

async fn transfer(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(transfer_id): Path<String>,
) -> Response {
    json(
        async {
            let request = pb::RetrieveInventoryTransferRequest { transfer_id };
            let response = g
                .call(
                    &headers,
                    "RetrieveInventoryTransfer",
                    request,
                    |api, r| async move { api.retrieve_inventory_transfer(r).await },
                )
                .await?;
            Ok(TransferResponse {
                transfer: response.transfer.as_ref().map(square::transfer_to_json),
            })
        }
        .await,
    )
}

async fn method_not_allowed() -> Response {
    Refusal::one(
        StatusCode::METHOD_NOT_ALLOWED,
        square::INVALID_REQUEST_ERROR,
        "METHOD_NOT_ALLOWED",
        "this path is served with another method (docs/square.md)",
        None,
    )
    .into_response()
}

async fn not_served() -> Response {
    Refusal::one(
        StatusCode::NOT_FOUND,
        square::INVALID_REQUEST_ERROR,
        "NOT_FOUND",
        "this path is not served by Stockledger's Square front door (docs/square.md)",
        None,
    )
    .into_response()
}

/// Square's v2 inventory paths, current and deprecated.
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/v2/inventory/changes/batch-create", post(batch_change))
        .route("/v2/inventory/batch-change", post(batch_change))
        .route(
            "/v2/inventory/changes/batch-retrieve",
            post(batch_retrieve_changes),
        )
        .route(
            "/v2/inventory/batch-retrieve-changes",
            post(batch_retrieve_changes),
        )
        .route(
            "/v2/inventory/counts/batch-retrieve",
            post(batch_retrieve_counts),
        )
        .route(
            "/v2/inventory/batch-retrieve-counts",
            post(batch_retrieve_counts),
        )
        .route("/v2/inventory/adjustments/{id}", get(adjustment))
        .route("/v2/inventory/adjustment/{id}", get(adjustment))
        .route("/v2/inventory/physical-counts/{id}", get(physical_count))
        .route("/v2/inventory/physical-count/{id}", get(physical_count))
        .route("/v2/inventory/transfers/{id}", get(transfer))
        .route("/v2/inventory/transfer/{id}", get(transfer))
        .route("/v2/inventory/{catalog_object_id}", get(item_counts))
        .route(
            "/v2/inventory/{catalog_object_id}/changes",
            get(item_changes),
        )
        .fallback(not_served)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(gateway)
}

/// Serves the front door on `listener` until `shutdown` resolves.
pub async fn serve(
    gateway: Gateway,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(gateway))
        .with_graceful_shutdown(shutdown)
        .await
}
