//! Shopify's REST paths for inventory items and levels (docs/shopify.md): each handler reads
//! Shopify's JSON or query into the proto request ([`json`]), calls the RPC it stands for
//! through [`Gateway::call`] with the `X-Shopify-Access-Token` as the bearer token, and
//! writes the answer, or the refusal, as Shopify does — pages linked by a `Link` header.

pub mod graphql;
pub mod json;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::Status;

use super::headers::{self, BadHeader};
use super::{
    Gateway, RawBody, Rpc, UnreadableRequest, comma_list, read_json, read_query, refusal_response,
};
use crate::domain::validate::check_idempotency_key;
use crate::proto::v1::{
    self as pb, inventory_item_service_server::InventoryItemService as _,
    inventory_service_server::InventoryService as _,
};
use json::Refusal;

/// The header Shopify's SDKs send the access token in.
pub const TOKEN_HEADER: &str = "x-shopify-access-token";
/// The header a caller may name a retry of `set.json` or `adjust.json` with.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Whether `path` belongs to this door (for the error shape of an unknown path).
pub fn owns(path: &str) -> bool {
    path.starts_with("/admin/")
}

/// The answer to an unknown path under `/admin/`.
pub fn not_found() -> Refusal {
    Refusal::message(StatusCode::NOT_FOUND, "Not Found")
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refusal_response(self.status, self.envelope(), self.retry_after)
    }
}

impl From<UnreadableRequest> for Refusal {
    fn from(unreadable: UnreadableRequest) -> Refusal {
        // About the body as a whole: no field to name.
        if unreadable.too_large() || unreadable.timed_out() {
            return Refusal::message(unreadable.status, unreadable.detail);
        }
        let field = unreadable
            .field
            .as_deref()
            .map_or_else(|| "base".to_owned(), |f| json::shopify_field(f, "quantity"));
        let mut refusal = Refusal::invalid(&field, unreadable.detail);
        refusal.status = StatusCode::BAD_REQUEST;
        refusal
    }
}

impl From<BadHeader> for Refusal {
    /// A header sent but unusable: 400 naming it.
    fn from(bad: BadHeader) -> Refusal {
        let mut refusal = Refusal::invalid(bad.name, bad.detail);
        refusal.status = StatusCode::BAD_REQUEST;
        refusal
    }
}

/// The headers [`Gateway::call`] authenticates: Shopify's token header read as the bearer
/// token (an `Authorization` header, if sent, wins). A token header that cannot be a token
/// (not text, sent twice, not visible ASCII) is refused as an unknown token would be, saying
/// why, rather than taken as absent.
fn bearer(headers: &HeaderMap) -> Result<HeaderMap, Refusal> {
    let mut headers = headers.clone();
    if headers.contains_key(http::header::AUTHORIZATION) {
        return Ok(headers);
    }
    let unreadable = |detail: &str| {
        Refusal::message(
            StatusCode::UNAUTHORIZED,
            format!("[API] X-Shopify-Access-Token {detail}: send a Stockledger token"),
        )
    };
    let token = headers::utf8(&headers, TOKEN_HEADER).map_err(|bad| unreadable(&bad.detail))?;
    if let Some(token) = token {
        let value = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| unreadable("must be visible ASCII"))?;
        headers.insert(http::header::AUTHORIZATION, value);
    }
    Ok(headers)
}

/// Calls `rpc` as [`Gateway::call`] does, refusals written in Shopify's shape with a
/// change's `quantity` named `quantity_field`.
async fn call<Req, Res, F, Fut>(
    g: &Gateway,
    headers: &HeaderMap,
    rpc: Rpc,
    message: Req,
    quantity_field: &str,
    call: F,
) -> Result<Res, Refusal>
where
    F: FnOnce(tonic::Request<Req>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<Res>, Status>>,
{
    let sent_token =
        headers.contains_key(TOKEN_HEADER) || headers.contains_key(http::header::AUTHORIZATION);
    g.call(&bearer(headers)?, rpc, message, call)
        .await
        .map_err(|status| {
            if status.code() == tonic::Code::Unauthenticated && !sent_token {
                return Refusal::message(
                    StatusCode::UNAUTHORIZED,
                    "[API] Invalid API key or access token (unrecognized login or wrong \
                     password): send a Stockledger token in X-Shopify-Access-Token",
                );
            }
            json::refusal_from_status(&status, quantity_field)
        })
}

fn body<T: DeserializeOwned>(raw: &RawBody) -> Result<T, Refusal> {
    Ok(read_json(raw)?)
}

fn query<T: DeserializeOwned>(uri: &Uri) -> Result<T, Refusal> {
    Ok(read_query(uri)?)
}

/// A `limit` of the query: absent is the service's default.
fn limit(value: Option<&str>) -> Result<i32, Refusal> {
    value.map_or(Ok(0), |v| {
        v.trim()
            .parse()
            .map_err(|_| Refusal::invalid("limit", "must be a whole number"))
    })
}

/// The `limit` of `inventory_levels.json`: 1–250 as on Shopify, 50 when absent.
fn levels_limit(value: Option<&str>) -> Result<i32, Refusal> {
    match limit(value)? {
        0 if value.is_none() => Ok(json::LEVELS_DEFAULT_LIMIT),
        n if (1..=json::LEVELS_MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(Refusal::invalid(
            "limit",
            format!("must be between 1 and {}", json::LEVELS_MAX_LIMIT),
        )),
    }
}

/// Shopify's `Link` header to the next page: this path again with `page_info`, `limit` and
/// `carried` (the filters the cursor may need sent again), after `origin`
/// ([`headers::link_origin`]: the validated host the caller used, or empty for a relative
/// link).
fn next_link(origin: &str, uri: &Uri, cursor: &str, carried: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = carried
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect();
    pairs.push(("page_info", cursor.to_owned()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("<{origin}{}?{query}>; rel=\"next\"", uri.path())
}

/// A page's answer: 200 with its JSON and, when there is a next page, its `Link`.
fn page<T: Serialize>(result: Result<(T, Option<String>), Refusal>) -> Response {
    match result {
        Ok((value, link)) => {
            let mut response = (StatusCode::OK, axum::Json(value)).into_response();
            if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
                response.headers_mut().insert(http::header::LINK, link);
            }
            response
        }
        Err(refusal) => refusal.into_response(),
    }
}

fn answer<T: Serialize>(result: Result<T, Refusal>) -> Response {
    page(result.map(|value| (value, None)))
}

/// The query of GET `inventory_items.json`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsQuery {
    ids: Option<String>,
    limit: Option<String>,
    page_info: Option<String>,
}

#[utoipa::path(get, path = "/admin/api/{version}/inventory_items.json", tag = "shopify",
    operation_id = "ListInventoryItems",
    summary = "Lists inventory items, optionally by ids; the next page is in the Link header",
    params(("version" = String, Path, description = "Shopify API version, e.g. 2025-10 (every version is answered alike)"),
        ("ids" = Option<String>, Query, description = "Comma-separated item ids, at most 100"),
        ("limit" = Option<i32>, Query, description = "1–250, default 50"),
        ("page_info" = Option<String>, Query, description = "From the previous page's Link header")),
    responses((status = 200, description = "One page of items", body = json::InventoryItemsResponse,
        headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))), (status = "default", description = "A refusal: the HTTP status and Shopify's `{\"errors\": …}`", body = json::ErrorEnvelope)),
    security(("shopify_token" = [])))]
pub(crate) async fn list_items(
    State(g): State<Gateway>,
    headers: HeaderMap,
    uri: Uri,
    Path(_version): Path<String>,
) -> Response {
    page(
        async {
            let origin = headers::link_origin(&headers, &uri)?;
            let query: ItemsQuery = query(&uri)?;
            let request = pb::ListInventoryItemsRequest {
                ids: comma_list(query.ids.as_deref()),
                limit: limit(query.limit.as_deref())?,
                cursor: query.page_info.clone().unwrap_or_default(),
                ..Default::default()
            };
            let api = g.items();
            let response = call(
                &g,
                &headers,
                Rpc::Items("ListInventoryItems"),
                request,
                "quantity",
                |r| async move { api.list_inventory_items(r).await },
            )
            .await?;
            let link = (!response.cursor.is_empty()).then(|| {
                next_link(
                    &origin,
                    &uri,
                    &response.cursor,
                    &[
                        ("ids", query.ids.unwrap_or_default()),
                        ("limit", query.limit.unwrap_or_default()),
                    ],
                )
            });
            let items = json::InventoryItemsResponse {
                inventory_items: response
                    .inventory_items
                    .iter()
                    .map(json::item_to_json)
                    .collect(),
            };
            Ok((items, link))
        }
        .await,
    )
}

/// The id of `{id}.json`; any other last segment names nothing.
fn item_id(file: &str) -> Result<String, Refusal> {
    file.strip_suffix(".json")
        .map(str::to_owned)
        .ok_or_else(not_found)
}

#[utoipa::path(get, path = "/admin/api/{version}/inventory_items/{id}.json", tag = "shopify",
    operation_id = "GetInventoryItem",
    summary = "Reads one inventory item",
    params(("version" = String, Path, description = "Shopify API version, e.g. 2025-10 (every version is answered alike)"), ("id" = String, Path, description = "The item's id")),
    responses((status = 200, description = "The item", body = json::InventoryItemResponse), (status = "default", description = "A refusal: the HTTP status and Shopify's `{\"errors\": …}`", body = json::ErrorEnvelope)),
    security(("shopify_token" = [])))]
pub(crate) async fn get_item(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path((_version, file)): Path<(String, String)>,
) -> Response {
    answer(
        async {
            let request = pb::GetInventoryItemRequest {
                id: item_id(&file)?,
            };
            let api = g.items();
            let response = call(
                &g,
                &headers,
                Rpc::Items("GetInventoryItem"),
                request,
                "quantity",
                |r| async move { api.get_inventory_item(r).await },
            )
            .await?;
            Ok(json::InventoryItemResponse {
                inventory_item: json::item_to_json(&response.inventory_item.unwrap_or_default()),
            })
        }
        .await,
    )
}

#[utoipa::path(put, path = "/admin/api/{version}/inventory_items/{id}.json", tag = "shopify",
    operation_id = "UpdateInventoryItem",
    summary = "Updates the fields present in the body (null clears)",
    params(("version" = String, Path, description = "Shopify API version, e.g. 2025-10 (every version is answered alike)"), ("id" = String, Path, description = "The item's id")),
    request_body = json::InventoryItemUpdateRequest,
    responses((status = 200, description = "The item as stored", body = json::InventoryItemResponse), (status = "default", description = "A refusal: the HTTP status and Shopify's `{\"errors\": …}`", body = json::ErrorEnvelope)),
    security(("shopify_token" = [])))]
pub(crate) async fn update_item(
    State(g): State<Gateway>,
    headers: HeaderMap,
    Path((_version, file)): Path<(String, String)>,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let id = item_id(&file)?;
            let update: json::InventoryItemUpdateRequest = body(&raw)?;
            let request = json::item_update_from_json(&id, &update.inventory_item);
            let api = g.items();
            let response = call(
                &g,
                &headers,
                Rpc::Items("UpdateInventoryItem"),
                request,
                "quantity",
                |r| async move { api.update_inventory_item(r).await },
            )
            .await?;
            Ok(json::InventoryItemResponse {
                inventory_item: json::item_to_json(&response.inventory_item.unwrap_or_default()),
            })
        }
        .await,
    )
}

/// The query of GET `inventory_levels.json`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelsQuery {
    inventory_item_ids: Option<String>,
    location_ids: Option<String>,
    updated_at_min: Option<String>,
    limit: Option<String>,
    page_info: Option<String>,
}

#[utoipa::path(get, path = "/admin/api/{version}/inventory_levels.json", tag = "shopify",
    operation_id = "ListInventoryLevels",
    summary = "Lists levels: IN_STOCK counts as `available`; the next page is in the Link header",
    params(("version" = String, Path, description = "Shopify API version, e.g. 2025-10 (every version is answered alike)"),
        ("inventory_item_ids" = Option<String>, Query, description = "Comma-separated item ids, at most 50 (this or location_ids is required)"),
        ("location_ids" = Option<String>, Query, description = "Comma-separated location ids, at most 50"),
        ("updated_at_min" = Option<String>, Query, description = "RFC 3339: only levels changed at or after it"),
        ("limit" = Option<i32>, Query, description = "1–250, default 50"),
        ("page_info" = Option<String>, Query, description = "From the previous page's Link header")),
    responses((status = 200, description = "One page of levels", body = json::InventoryLevelsResponse,
        headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))), (status = "default", description = "A refusal: the HTTP status and Shopify's `{\"errors\": …}`", body = json::ErrorEnvelope)),
    security(("shopify_token" = [])))]
pub(crate) async fn list_levels(
    State(g): State<Gateway>,
    headers: HeaderMap,
    uri: Uri,
    Path(_version): Path<String>,
) -> Response {
    page(
        async {
            let origin = headers::link_origin(&headers, &uri)?;
            let query: LevelsQuery = query(&uri)?;
            // Inclusive, as Shopify's: the RPC's `updated_after` is strict, and times are
            // kept to the microsecond.
            let updated_after = query
                .updated_at_min
                .as_deref()
                .map(json::time_from_query)
                .transpose()
                .map_err(|detail| Refusal::invalid("updated_at_min", detail))?
                .map(json::one_microsecond_before);
            let item_ids = comma_list(query.inventory_item_ids.as_deref());
            let location_ids = comma_list(query.location_ids.as_deref());
            json::check_level_filters(&item_ids, &location_ids)?;
            let request = json::levels_request(
                item_ids,
                location_ids,
                updated_after,
                query.page_info.clone().unwrap_or_default(),
                levels_limit(query.limit.as_deref())?,
            );
            let api = g.inventory();
            let response = call(
                &g,
                &headers,
                Rpc::Inventory("BatchRetrieveInventoryCounts"),
                request,
                "available",
                |r| async move { api.batch_retrieve_inventory_counts(r).await },
            )
            .await?;
            let link = (!response.cursor.is_empty()).then(|| {
                next_link(
                    &origin,
                    &uri,
                    &response.cursor,
                    &[
                        (
                            "inventory_item_ids",
                            query.inventory_item_ids.unwrap_or_default(),
                        ),
                        ("location_ids", query.location_ids.unwrap_or_default()),
                        ("updated_at_min", query.updated_at_min.unwrap_or_default()),
                        ("limit", query.limit.unwrap_or_default()),
                    ],
                )
            });
            let levels = json::InventoryLevelsResponse {
                inventory_levels: response.counts.iter().map(json::level_to_json).collect(),
            };
            Ok((levels, link))
        }
        .await,
    )
}

/// The batch's idempotency key: the caller's `Idempotency-Key`, else a new one (Shopify's
/// REST calls have none: without the header a retry is another change, as on Shopify). A
/// key sent is the batch's key, so it follows the key's rules; one that is not UTF-8 text,
/// sent twice or breaks them is refused naming the header — never dropped, which would
/// apply a retry twice.
fn idempotency_key(headers: &HeaderMap) -> Result<String, Refusal> {
    match headers::utf8(headers, IDEMPOTENCY_HEADER)? {
        Some(key) => {
            check_idempotency_key(key).map_err(|v| BadHeader {
                name: IDEMPOTENCY_HEADER,
                detail: v.description,
            })?;
            Ok(key.to_owned())
        }
        None => Ok(format!("shopify-{}", uuid::Uuid::new_v4())),
    }
}

/// Applies a one-change batch standing for a level write; answers the item's level at the
/// location after it.
async fn write_level(
    g: &Gateway,
    headers: &HeaderMap,
    batch: pb::BatchChangeInventoryRequest,
    quantity_field: &str,
    item: &str,
    location: &str,
) -> Result<json::InventoryLevelResponse, Refusal> {
    let api = g.inventory();
    let response = call(
        g,
        headers,
        Rpc::Inventory("BatchChangeInventory"),
        batch,
        quantity_field,
        |r| async move { api.batch_change_inventory(r).await },
    )
    .await?;
    let inventory_level = json::level_of(&response, item, location).ok_or_else(|| {
        Refusal::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the change was recorded but its count was not answered",
        )
    })?;
    Ok(json::InventoryLevelResponse { inventory_level })
}

#[utoipa::path(post, path = "/admin/api/{version}/inventory_levels/set.json", tag = "shopify",
    operation_id = "SetInventoryLevel",
    summary = "Records a physical count of the IN_STOCK quantity",
    params(("version" = String, Path, description = "Shopify API version, e.g. 2025-10 (every version is answered alike)"), ("Idempotency-Key" = Option<String>, Header, description = "Names retries of one call")),
    request_body = json::SetLevelRequest,
    responses((status = 200, description = "The level after the count", body = json::InventoryLevelResponse), (status = "default", description = "A refusal: the HTTP status and Shopify's `{\"errors\": …}`", body = json::ErrorEnvelope)),
    security(("shopify_token" = [])))]
pub(crate) async fn set_level(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let request: json::SetLevelRequest = body(&raw)?;
            let batch = json::set_level_batch(idempotency_key(&headers)?, &request)?;
            write_level(
                &g,
                &headers,
                batch,
                "available",
                &request.inventory_item_id,
                &request.location_id,
            )
            .await
        }
        .await,
    )
}

#[utoipa::path(post, path = "/admin/api/{version}/inventory_levels/adjust.json", tag = "shopify",
    operation_id = "AdjustInventoryLevel",
    summary = "Records a signed correction: in from NONE when positive, out to WASTE when negative",
    params(("version" = String, Path, description = "Shopify API version, e.g. 2025-10 (every version is answered alike)"), ("Idempotency-Key" = Option<String>, Header, description = "Names retries of one call")),
    request_body = json::AdjustLevelRequest,
    responses((status = 200, description = "The level after the correction", body = json::InventoryLevelResponse), (status = "default", description = "A refusal: the HTTP status and Shopify's `{\"errors\": …}`", body = json::ErrorEnvelope)),
    security(("shopify_token" = [])))]
pub(crate) async fn adjust_level(
    State(g): State<Gateway>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    answer(
        async {
            let request: json::AdjustLevelRequest = body(&raw)?;
            let batch = json::adjust_level_batch(idempotency_key(&headers)?, &request)?;
            write_level(
                &g,
                &headers,
                batch,
                "available_adjustment",
                &request.inventory_item_id,
                &request.location_id,
            )
            .await
        }
        .await,
    )
}

async fn method_not_allowed() -> Response {
    Refusal::message(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").into_response()
}

/// Shopify's inventory paths, any API version (`/admin/api/2025-10/…`): every version is
/// answered alike.
pub fn router() -> Router<Gateway> {
    Router::new()
        .route("/admin/api/{version}/inventory_items.json", get(list_items))
        .route("/admin/api/{version}/graphql.json", post(graphql::graphql))
        .route(
            "/admin/api/{version}/inventory_items/{file}",
            get(get_item).put(update_item),
        )
        .route(
            "/admin/api/{version}/inventory_levels.json",
            get(list_levels),
        )
        .route(
            "/admin/api/{version}/inventory_levels/set.json",
            post(set_level),
        )
        .route(
            "/admin/api/{version}/inventory_levels/adjust.json",
            post(adjust_level),
        )
        .method_not_allowed_fallback(method_not_allowed)
}
