//! Square's v2 Inventory paths (docs/square.md): each handler reads Square's JSON into the
//! proto request ([`json`]), calls the RPC it stands for through [`Gateway::call`] and
//! writes the answer, or the refusal, as Square does.

pub mod json;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::Status;

use super::{
    BatchRefusal, Gateway, RawBody, Rpc, UnreadableRequest, comma_list, read_json, read_query,
    refusal_response,
};
use crate::domain::tenant::Caller;
use crate::proto::v1::{
    self as pb, inventory_service_server::InventoryService as _,
    webhook_service_server::WebhookService as _,
};
use json::Refusal;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refusal_response(self.status, self.envelope, self.retry_after)
    }
}

impl From<Status> for Refusal {
    fn from(status: Status) -> Refusal {
        json::refusal_from_status(&status)
    }
}

impl From<UnreadableRequest> for Refusal {
    fn from(unreadable: UnreadableRequest) -> Refusal {
        Refusal::one(
            unreadable.status,
            json::INVALID_REQUEST_ERROR,
            if unreadable.too_large() {
                "REQUEST_ENTITY_TOO_LARGE"
            } else if unreadable.timed_out() {
                "REQUEST_TIMEOUT"
            } else {
                "BAD_REQUEST"
            },
            unreadable.detail,
            unreadable.field,
        )
    }
}

fn body<T: DeserializeOwned>(raw: &RawBody) -> Result<T, Refusal> {
    Ok(read_json(raw)?)
}

fn answer<T: Serialize>(result: Result<T, Refusal>) -> Response {
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

#[utoipa::path(post, path = "/v2/inventory/changes/batch-create", tag = "square",
    operation_id = "BatchChangeInventory",
    summary = "Applies up to 100 changes atomically (adjustments, physical counts, transfers)",
    request_body = json::BatchChangeInventoryRequest,
    responses((status = 200, description = "The counts touched and the changes recorded", body = json::CountsResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn batch_change(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let sent = body(&raw)?;
            let request = json::batch_change_from_json(&sent)?;
            json::check_not_in_future(&sent, g.square_clock_skew)?;
            let response = g
                .change_inventory(&headers, request)
                .await
                .map_err(|refused| match refused {
                    BatchRefusal::Ledger(refusal) => json::refusal_as_sent(refusal, &sent),
                    BatchRefusal::Status(status) => status.into(),
                })?;
            Ok(json::batch_change_to_json(&response))
        }
        .await,
    )
}

#[utoipa::path(post, path = "/v2/inventory/changes/batch-retrieve", tag = "square",
    operation_id = "BatchRetrieveInventoryChanges",
    summary = "Reads the history of changes, filtered, one page at a time",
    request_body = json::BatchRetrieveInventoryChangesRequest,
    responses((status = 200, description = "One page of changes", body = json::ChangesResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn batch_retrieve_changes(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let request = json::changes_request_from_json(&body(&raw)?)?;
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("BatchRetrieveInventoryChanges"),
                    request,
                    |r| async move { api.batch_retrieve_inventory_changes(r).await },
                )
                .await?;
            Ok(json::changes_to_json(&response.changes, &response.cursor))
        }
        .await,
    )
}

#[utoipa::path(post, path = "/v2/inventory/counts/batch-retrieve", tag = "square",
    operation_id = "BatchRetrieveInventoryCounts",
    summary = "Reads current counts, filtered, one page at a time",
    request_body = json::BatchRetrieveInventoryCountsRequest,
    responses((status = 200, description = "One page of counts", body = json::CountsResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn batch_retrieve_counts(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let Some(request) = json::counts_request_from_json(&body(&raw)?)? else {
                return Ok(json::counts_to_json(&[], ""));
            };
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("BatchRetrieveInventoryCounts"),
                    request,
                    |r| async move { api.batch_retrieve_inventory_counts(r).await },
                )
                .await?;
            Ok(json::counts_to_json(&response.counts, &response.cursor))
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

#[utoipa::path(get, path = "/v2/inventory/{catalog_object_id}", tag = "square",
    operation_id = "RetrieveInventoryCount",
    summary = "Reads one item's current counts",
    params(("catalog_object_id" = String, Path, description = "The item's id"),
        ("location_ids" = Option<String>, Query, description = "Comma-separated location ids"),
        ("cursor" = Option<String>, Query, description = "The previous page's cursor")),
    responses((status = 200, description = "One page of counts", body = json::CountsResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn item_counts(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(catalog_object_id): Path<String>,
    uri: Uri,
) -> Response {
    answer(
        async {
            let query: ItemQuery = read_query(&uri)?;
            let request = pb::RetrieveInventoryCountRequest {
                catalog_object_id,
                location_ids: comma_list(query.location_ids.as_deref()),
                cursor: query.cursor.unwrap_or_default(),
                limit: 0,
                as_of: None,
            };
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("RetrieveInventoryCount"),
                    request,
                    |r| async move { api.retrieve_inventory_count(r).await },
                )
                .await?;
            Ok(json::counts_to_json(&response.counts, &response.cursor))
        }
        .await,
    )
}

/// Square's RetrieveInventoryChanges: one item's changes, newest first, as
/// BatchRetrieveInventoryChanges with that one id.
#[utoipa::path(get, path = "/v2/inventory/{catalog_object_id}/changes", tag = "square",
    operation_id = "RetrieveInventoryChanges",
    summary = "Reads one item's changes, newest first",
    params(("catalog_object_id" = String, Path, description = "The item's id"),
        ("location_ids" = Option<String>, Query, description = "Comma-separated location ids"),
        ("cursor" = Option<String>, Query, description = "The previous page's cursor")),
    responses((status = 200, description = "One page of changes", body = json::ChangesResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn item_changes(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(catalog_object_id): Path<String>,
    uri: Uri,
) -> Response {
    answer(
        async {
            let query: ItemQuery = read_query(&uri)?;
            let request = pb::BatchRetrieveInventoryChangesRequest {
                catalog_object_ids: vec![catalog_object_id],
                location_ids: comma_list(query.location_ids.as_deref()),
                cursor: query.cursor.unwrap_or_default(),
                sort_order: pb::SortOrder::NewestFirst as i32,
                ..Default::default()
            };
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("BatchRetrieveInventoryChanges"),
                    request,
                    |r| async move { api.batch_retrieve_inventory_changes(r).await },
                )
                .await?;
            Ok(json::changes_to_json(&response.changes, &response.cursor))
        }
        .await,
    )
}

#[utoipa::path(get, path = "/v2/inventory/adjustments/{id}", tag = "square",
    operation_id = "RetrieveInventoryAdjustment",
    summary = "Reads one adjustment by id",
    params(("id" = String, Path, description = "The adjustment's id")),
    responses((status = 200, description = "The adjustment", body = json::AdjustmentResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn adjustment(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(adjustment_id): Path<String>,
) -> Response {
    answer(
        async {
            let request = pb::RetrieveInventoryAdjustmentRequest {
                adjustment_id: adjustment_id.clone(),
            };
            let api = g.inventory();
            // One call, authenticated and counted once: an adjustment, or else (in Square's
            // 2026 model a move between locations is an adjustment) the ledger's transfer.
            let found = g
                .call(
                    &headers,
                    Rpc::Inventory("RetrieveInventoryAdjustment"),
                    request,
                    |r| async move {
                        let caller = r.extensions().get::<Caller>().cloned();
                        let not_an_adjustment = match api.retrieve_inventory_adjustment(r).await {
                            Ok(response) => {
                                return Ok(response.map(|r| json::AdjustmentResponse {
                                    adjustment: r.adjustment.as_ref().map(json::adjustment_to_json),
                                }));
                            }
                            Err(status) if status.code() == tonic::Code::NotFound => status,
                            Err(status) => return Err(status),
                        };
                        let mut request =
                            tonic::Request::new(pb::RetrieveInventoryTransferRequest {
                                transfer_id: adjustment_id,
                            });
                        if let Some(caller) = caller {
                            request.extensions_mut().insert(caller);
                        }
                        match api.retrieve_inventory_transfer(request).await {
                            Ok(response) => Ok(response.map(|t| json::AdjustmentResponse {
                                adjustment: t.transfer.as_ref().map(json::transfer_as_adjustment),
                            })),
                            Err(_) => Err(not_an_adjustment),
                        }
                    },
                )
                .await?;
            Ok(found)
        }
        .await,
    )
}

#[utoipa::path(get, path = "/v2/inventory/physical-counts/{id}", tag = "square",
    operation_id = "RetrieveInventoryPhysicalCount",
    summary = "Reads one physical count by id",
    params(("id" = String, Path, description = "The physical count's id")),
    responses((status = 200, description = "The physical count, named `count`", body = json::PhysicalCountResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn physical_count(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(physical_count_id): Path<String>,
) -> Response {
    answer(
        async {
            let request = pb::RetrieveInventoryPhysicalCountRequest { physical_count_id };
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("RetrieveInventoryPhysicalCount"),
                    request,
                    |r| async move { api.retrieve_inventory_physical_count(r).await },
                )
                .await?;
            Ok(json::PhysicalCountResponse {
                count: response
                    .physical_count
                    .as_ref()
                    .map(json::physical_count_to_json),
            })
        }
        .await,
    )
}

#[utoipa::path(get, path = "/v2/inventory/transfers/{id}", tag = "square",
    operation_id = "RetrieveInventoryTransfer",
    summary = "Reads one transfer by id",
    params(("id" = String, Path, description = "The transfer's id")),
    responses((status = 200, description = "The transfer", body = json::TransferResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn transfer(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(transfer_id): Path<String>,
) -> Response {
    answer(
        async {
            let request = pb::RetrieveInventoryTransferRequest { transfer_id };
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("RetrieveInventoryTransfer"),
                    request,
                    |r| async move { api.retrieve_inventory_transfer(r).await },
                )
                .await?;
            Ok(json::TransferResponse {
                transfer: response.transfer.as_ref().map(json::transfer_to_json),
            })
        }
        .await,
    )
}

/// The query of `GET /v2/inventory/adjustment-reasons`.
#[derive(Debug, Default, serde::Deserialize)]
struct ReasonsQuery {
    include_deleted: Option<bool>,
    include_system_codes: Option<bool>,
}

#[utoipa::path(get, path = "/v2/inventory/adjustment-reasons", tag = "square",
    operation_id = "ListInventoryAdjustmentReasons",
    summary = "Lists the standard adjustment reasons and the seller's custom ones",
    params(("include_deleted" = Option<bool>, Query, description = "Also deleted custom reasons"),
        ("include_system_codes" = Option<bool>, Query, description = "Also Square's system codes (SALE, RECOUNT, …)")),
    responses((status = 200, description = "The reasons", body = json::AdjustmentReasonsResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn list_reasons(
    State(g): State<Gateway>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    answer(
        async {
            let query: ReasonsQuery = read_query(&uri)?;
            let request = pb::ListInventoryAdjustmentReasonsRequest {
                include_deleted: query.include_deleted.unwrap_or(false),
                include_system_codes: query.include_system_codes.unwrap_or(false),
            };
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("ListInventoryAdjustmentReasons"),
                    request,
                    |r| async move { api.list_inventory_adjustment_reasons(r).await },
                )
                .await?;
            Ok(json::reasons_to_json(&response.adjustment_reasons))
        }
        .await,
    )
}

#[utoipa::path(post, path = "/v2/inventory/adjustment-reasons/create", tag = "square",
    operation_id = "CreateInventoryAdjustmentReason",
    summary = "Creates a custom adjustment reason",
    request_body = json::CreateAdjustmentReasonRequest,
    responses((status = 200, description = "The reason created", body = json::AdjustmentReasonResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn create_reason(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let sent: json::CreateAdjustmentReasonRequest = body(&raw)?;
            let request = json::create_reason_from_json(&sent);
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("CreateInventoryAdjustmentReason"),
                    request,
                    |r| async move { api.create_inventory_adjustment_reason(r).await },
                )
                .await?;
            Ok(json::reason_answer(response.adjustment_reason.as_ref()))
        }
        .await,
    )
}

#[utoipa::path(put, path = "/v2/inventory/adjustment-reasons/update", tag = "square",
    operation_id = "UpdateInventoryAdjustmentReason",
    summary = "Renames a custom adjustment reason",
    request_body = json::UpdateAdjustmentReasonRequest,
    responses((status = 200, description = "The reason as updated", body = json::AdjustmentReasonResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn update_reason(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let sent: json::UpdateAdjustmentReasonRequest = body(&raw)?;
            let request = pb::UpdateInventoryAdjustmentReasonRequest {
                reason_id: sent
                    .reason_id
                    .as_ref()
                    .map(|r| json::square_reason_id("reason_id", r))
                    .transpose()?,
                adjustment_reason: sent.adjustment_reason.as_ref().map(json::reason_from_json),
            };
            let api = g.inventory();
            let response = g
                .call(
                    &headers,
                    Rpc::Inventory("UpdateInventoryAdjustmentReason"),
                    request,
                    |r| async move { api.update_inventory_adjustment_reason(r).await },
                )
                .await?;
            Ok(json::reason_answer(response.adjustment_reason.as_ref()))
        }
        .await,
    )
}

/// Which of the three `reason_id` paths: retrieve, delete or restore.
#[derive(Clone, Copy)]
enum ReasonAction {
    Retrieve,
    Delete,
    Restore,
}

/// Retrieve, delete or restore: each a body holding one `reason_id`, answered with the
/// reason.
async fn reason_action(
    g: Gateway,
    headers: HeaderMap,
    raw: RawBody,
    action: ReasonAction,
) -> Response {
    answer(
        async {
            let sent: json::AdjustmentReasonIdRequest = body(&raw)?;
            let reason_id = sent
                .reason_id
                .as_ref()
                .map(|r| json::square_reason_id("reason_id", r))
                .transpose()?;
            let api = g.inventory();
            // The three calls differ only in their request and method.
            macro_rules! reason_call {
                ($request:ident, $rpc:literal, $method:ident) => {
                    g.call(
                        &headers,
                        Rpc::Inventory($rpc),
                        pb::$request { reason_id },
                        |r| async move { api.$method(r).await },
                    )
                    .await?
                    .adjustment_reason
                };
            }
            let reason = match action {
                ReasonAction::Retrieve => reason_call!(
                    RetrieveInventoryAdjustmentReasonRequest,
                    "RetrieveInventoryAdjustmentReason",
                    retrieve_inventory_adjustment_reason
                ),
                ReasonAction::Delete => reason_call!(
                    DeleteInventoryAdjustmentReasonRequest,
                    "DeleteInventoryAdjustmentReason",
                    delete_inventory_adjustment_reason
                ),
                ReasonAction::Restore => reason_call!(
                    RestoreInventoryAdjustmentReasonRequest,
                    "RestoreInventoryAdjustmentReason",
                    restore_inventory_adjustment_reason
                ),
            };
            Ok(json::reason_answer(reason.as_ref()))
        }
        .await,
    )
}

#[utoipa::path(post, path = "/v2/inventory/adjustment-reasons/retrieve", tag = "square",
    operation_id = "RetrieveInventoryAdjustmentReason",
    summary = "Reads one adjustment reason, standard or custom (deleted too)",
    request_body = json::AdjustmentReasonIdRequest,
    responses((status = 200, description = "The reason", body = json::AdjustmentReasonResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn retrieve_reason(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    reason_action(g, headers, raw, ReasonAction::Retrieve).await
}

#[utoipa::path(post, path = "/v2/inventory/adjustment-reasons/delete", tag = "square",
    operation_id = "DeleteInventoryAdjustmentReason",
    summary = "Soft-deletes a custom adjustment reason",
    request_body = json::AdjustmentReasonIdRequest,
    responses((status = 200, description = "The reason, deleted", body = json::AdjustmentReasonResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn delete_reason(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    reason_action(g, headers, raw, ReasonAction::Delete).await
}

#[utoipa::path(post, path = "/v2/inventory/adjustment-reasons/restore", tag = "square",
    operation_id = "RestoreInventoryAdjustmentReason",
    summary = "Restores a soft-deleted custom adjustment reason",
    request_body = json::AdjustmentReasonIdRequest,
    responses((status = 200, description = "The reason, restored", body = json::AdjustmentReasonResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn restore_reason(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    reason_action(g, headers, raw, ReasonAction::Restore).await
}

async fn method_not_allowed() -> Response {
    Refusal::one(
        StatusCode::METHOD_NOT_ALLOWED,
        json::INVALID_REQUEST_ERROR,
        "METHOD_NOT_ALLOWED",
        "this path is served with another method (docs/square.md)",
        None,
    )
    .into_response()
}

/// The answer to a path no door serves.
pub fn not_served() -> Refusal {
    Refusal::one(
        StatusCode::NOT_FOUND,
        json::INVALID_REQUEST_ERROR,
        "NOT_FOUND",
        "this path is not served by Stockledger's Square front door (docs/square.md)",
        None,
    )
}

/// Every path of this door with its current name, and the deprecated names still served:
/// the routes below and the OpenAPI document ([`super::openapi`]) are both made from it.
pub const ALIASES: &[(&str, &str)] = &[
    (
        "/v2/inventory/changes/batch-create",
        "/v2/inventory/batch-change",
    ),
    (
        "/v2/inventory/changes/batch-retrieve",
        "/v2/inventory/batch-retrieve-changes",
    ),
    (
        "/v2/inventory/counts/batch-retrieve",
        "/v2/inventory/batch-retrieve-counts",
    ),
    (
        "/v2/inventory/adjustments/{id}",
        "/v2/inventory/adjustment/{id}",
    ),
    (
        "/v2/inventory/physical-counts/{id}",
        "/v2/inventory/physical-count/{id}",
    ),
    (
        "/v2/inventory/transfers/{id}",
        "/v2/inventory/transfer/{id}",
    ),
];

#[utoipa::path(post, path = "/v2/webhooks/subscriptions", tag = "square",
    operation_id = "CreateWebhookSubscription",
    summary = "Subscribes a URL to inventory events, delivered in Square's form (docs/webhooks.md)",
    request_body = json::CreateWebhookSubscriptionRequest,
    responses((status = 200, description = "The subscription, with its signature key", body = json::WebhookSubscriptionResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn create_webhook_subscription(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let sent: json::CreateWebhookSubscriptionRequest = body(&raw)?;
            let subscription =
                json::subscription_from_json(&sent.subscription.unwrap_or_default())?;
            let request = pb::CreateWebhookSubscriptionRequest {
                subscription: Some(subscription),
                from_sequence: 0,
            };
            let api = g.webhooks();
            let response = g
                .call(
                    &headers,
                    Rpc::Webhooks("CreateWebhookSubscription"),
                    request,
                    |r| async move { api.create_webhook_subscription(r).await },
                )
                .await?;
            Ok(subscription_answer(response.subscription))
        }
        .await,
    )
}

#[utoipa::path(get, path = "/v2/webhooks/subscriptions", tag = "square",
    operation_id = "ListWebhookSubscriptions",
    summary = "Lists the merchant's Square-form webhook subscriptions, oldest first",
    responses((status = 200, description = "The subscriptions, without their signature keys", body = json::WebhookSubscriptionsResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn list_webhook_subscriptions(
    State(g): State<Gateway>,
    headers: HeaderMap,
) -> Response {
    answer(
        async {
            let api = g.webhooks();
            let response = g
                .call(
                    &headers,
                    Rpc::Webhooks("ListWebhookSubscriptions"),
                    pb::ListWebhookSubscriptionsRequest {},
                    |r| async move { api.list_webhook_subscriptions(r).await },
                )
                .await?;
            Ok(json::WebhookSubscriptionsResponse {
                subscriptions: response
                    .subscriptions
                    .iter()
                    .filter(|s| s.format == pb::WebhookFormat::Square as i32)
                    .map(json::subscription_to_json)
                    .collect(),
            })
        }
        .await,
    )
}

#[utoipa::path(get, path = "/v2/webhooks/subscriptions/{subscription_id}", tag = "square",
    operation_id = "RetrieveWebhookSubscription",
    summary = "Reads one webhook subscription, with its signature key",
    params(("subscription_id" = String, Path, description = "The subscription's id")),
    responses((status = 200, description = "The subscription", body = json::WebhookSubscriptionResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn retrieve_webhook_subscription(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let api = g.webhooks();
            let response = g
                .call(
                    &headers,
                    Rpc::Webhooks("GetWebhookSubscription"),
                    pb::GetWebhookSubscriptionRequest { id },
                    |r| async move { api.get_webhook_subscription(r).await },
                )
                .await?;
            Ok(subscription_answer(response.subscription))
        }
        .await,
    )
}

#[utoipa::path(delete, path = "/v2/webhooks/subscriptions/{subscription_id}", tag = "square",
    operation_id = "DeleteWebhookSubscription",
    summary = "Stops and removes a webhook subscription",
    params(("subscription_id" = String, Path, description = "The subscription's id")),
    responses((status = 200, description = "Deleted", body = json::DeleteWebhookSubscriptionResponse), (status = "default", description = "A refusal: the HTTP status and Square's error envelope", body = json::ErrorEnvelope)),
    security(("bearer" = [])))]
pub(crate) async fn delete_webhook_subscription(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let api = g.webhooks();
            g.call(
                &headers,
                Rpc::Webhooks("DeleteWebhookSubscription"),
                pb::DeleteWebhookSubscriptionRequest { id },
                |r| async move { api.delete_webhook_subscription(r).await },
            )
            .await?;
            Ok(json::DeleteWebhookSubscriptionResponse {})
        }
        .await,
    )
}

/// `{"subscription": …}` of a create or retrieve.
fn subscription_answer(
    subscription: Option<pb::WebhookSubscription>,
) -> json::WebhookSubscriptionResponse {
    json::WebhookSubscriptionResponse {
        subscription: subscription
            .as_ref()
            .map(json::subscription_to_json)
            .unwrap_or_default(),
    }
}

/// The deprecated name of a current path, if Square had one.
pub fn alias_of(path: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(current, _)| *current == path)
        .map(|(_, alias)| *alias)
}

/// Square's v2 inventory paths, current and deprecated.
pub fn router() -> Router<Gateway> {
    let current: [(&str, MethodRouter<Gateway>); 16] = [
        ("/v2/inventory/changes/batch-create", post(batch_change)),
        (
            "/v2/inventory/changes/batch-retrieve",
            post(batch_retrieve_changes),
        ),
        (
            "/v2/inventory/counts/batch-retrieve",
            post(batch_retrieve_counts),
        ),
        ("/v2/inventory/adjustments/{id}", get(adjustment)),
        ("/v2/inventory/physical-counts/{id}", get(physical_count)),
        ("/v2/inventory/transfers/{id}", get(transfer)),
        ("/v2/inventory/adjustment-reasons", get(list_reasons)),
        (
            "/v2/inventory/adjustment-reasons/create",
            post(create_reason),
        ),
        (
            "/v2/inventory/adjustment-reasons/retrieve",
            post(retrieve_reason),
        ),
        (
            "/v2/inventory/adjustment-reasons/update",
            put(update_reason),
        ),
        (
            "/v2/inventory/adjustment-reasons/delete",
            post(delete_reason),
        ),
        (
            "/v2/inventory/adjustment-reasons/restore",
            post(restore_reason),
        ),
        ("/v2/inventory/{catalog_object_id}", get(item_counts)),
        (
            "/v2/inventory/{catalog_object_id}/changes",
            get(item_changes),
        ),
        (
            "/v2/webhooks/subscriptions",
            post(create_webhook_subscription).get(list_webhook_subscriptions),
        ),
        (
            "/v2/webhooks/subscriptions/{subscription_id}",
            get(retrieve_webhook_subscription).delete(delete_webhook_subscription),
        ),
    ];
    current
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            let router = match alias_of(path) {
                Some(alias) => router.route(alias, handler.clone()),
                None => router,
            };
            router.route(path, handler)
        })
        .method_not_allowed_fallback(method_not_allowed)
}
