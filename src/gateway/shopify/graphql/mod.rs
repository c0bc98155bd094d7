//! Shopify's GraphQL Admin API, inventory subset (docs/shopify.md, "GraphQL"):
//! `POST /admin/api/{version}/graphql.json` on the HTTP listener, with the same tokens,
//! scopes and rate limits as every door. The schema is written in code with async-graphql
//! (introspection on); every resolver reaches the ledger through [`Gateway::call`], the one
//! road to the services, so a query's reads and a mutation's batch are the RPCs they stand
//! for.
//!
//! - [`gid`]: Shopify's Global IDs over Stockledger's ids.
//! - [`quantities`]: the named quantities, as views over the kept counts.
//! - [`objects`]: `InventoryItem`, `Location`, `InventoryLevel` and the queries.
//! - [`mutations`]: the inventory mutations, their `userErrors` and `@idempotent(key:)`.
//!
//! A token the ledger does not know is answered 401 as Shopify does; any other refusal of
//! a query is a GraphQL error whose `extensions.code` says what it was (`ACCESS_DENIED`,
//! `THROTTLED`, …), and a mutation refused by the ledger answers `userErrors` naming the
//! input field. `extensions.cost` tells what the request cost (see [`Cost`]).

pub mod gid;
pub mod mutations;
pub mod objects;
pub mod quantities;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use async_graphql::{EmptySubscription, ErrorExtensions, Schema};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tonic::{Code, Status};

use super::json::Refusal;
use super::{TOKEN_HEADER, bearer};
use crate::gateway::{Gateway, RawBody, RefusalDetails, Rpc, read_json};

/// The schema the door serves.
pub type ShopifySchema = Schema<objects::QueryRoot, mutations::MutationRoot, EmptySubscription>;

/// Deepest query accepted (Shopify's inventory queries need about six levels).
const MAX_DEPTH: usize = 12;
/// Most fields one query may select, connections' sizes included.
const MAX_COMPLEXITY: usize = 5_000;

/// The schema, built once.
pub fn schema() -> &'static ShopifySchema {
    static SCHEMA: OnceLock<ShopifySchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::build(
            objects::QueryRoot,
            mutations::MutationRoot,
            EmptySubscription,
        )
        .directive(mutations::idempotent)
        .extension(async_graphql::extensions::Analyzer)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
    })
}

/// Shopify's API version of the path: `YYYY-MM`, or `unstable` (newer than any).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(u32);

impl ApiVersion {
    /// The version compare-and-swap became mandatory on `inventorySetQuantities`.
    pub const SET_NEEDS_CHANGE_FROM: ApiVersion = ApiVersion::of(2026, 4);
    /// The version compare-and-swap became mandatory on `inventoryAdjustQuantities`.
    pub const ADJUST_NEEDS_CHANGE_FROM: ApiVersion = ApiVersion::of(2026, 7);
    /// The version compare-and-swap became mandatory on both ends of
    /// `inventoryMoveQuantities`' moves (adjust's rule).
    pub const MOVE_NEEDS_CHANGE_FROM: ApiVersion = ApiVersion::of(2026, 7);
    /// The version `@idempotent(key:)` became mandatory on the inventory mutations.
    pub const NEEDS_IDEMPOTENT: ApiVersion = ApiVersion::of(2026, 4);

    const fn of(year: u32, month: u32) -> ApiVersion {
        ApiVersion(year * 100 + month)
    }

    /// Reads `2026-04` or `unstable`.
    pub fn parse(text: &str) -> Option<ApiVersion> {
        if text == "unstable" {
            return Some(ApiVersion(u32::MAX));
        }
        let (year, month) = text.split_once('-')?;
        let digits =
            |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return None;
        }
        let (year, month): (u32, u32) = (year.parse().ok()?, month.parse().ok()?);
        (1..=12)
            .contains(&month)
            .then_some(ApiVersion::of(year, month))
    }
}

/// One request's road to the ledger: the gateway, the caller's headers, the API version, and
/// what the request has cost so far.
pub struct Door {
    gateway: Gateway,
    headers: HeaderMap,
    version: ApiVersion,
    /// Ledger calls made, each one taken from the token's rate limit.
    calls: AtomicU32,
    /// Whether a call found the token unknown (the whole request is then answered 401).
    unauthenticated: AtomicBool,
    /// Calls the token had left in its bucket after the request's last counted call
    /// (`u32::MAX` before any).
    calls_left: AtomicU32,
}

impl Door {
    /// Runs one RPC for this request, through [`Gateway::call`].
    async fn call<Req, Res, F, Fut>(&self, rpc: Rpc, message: Req, call: F) -> Result<Res, Status>
    where
        F: FnOnce(tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Res>, Status>>,
    {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let left = |n| {
            self.calls_left.fetch_min(n, Ordering::Relaxed);
        };
        let result = self
            .gateway
            .call_metered(&self.headers, rpc, message, call, left)
            .await;
        if let Err(status) = &result
            && status.code() == Code::Unauthenticated
        {
            self.unauthenticated.store(true, Ordering::Relaxed);
        }
        result
    }

    /// The request's API version.
    fn version(&self) -> ApiVersion {
        self.version
    }
}

/// The door of the request being resolved.
fn door<'a>(ctx: &async_graphql::Context<'a>) -> &'a Door {
    ctx.data_unchecked::<Arc<Door>>()
}

/// A refusal of a query's read as a GraphQL error: the message, and `extensions.code` in
/// Shopify's words where Shopify has one (`ACCESS_DENIED`, `THROTTLED`), else the gRPC code;
/// Stockledger's reason and field beside it.
fn query_error(status: Status) -> async_graphql::Error {
    let details = RefusalDetails::of(&status);
    let code = match status.code() {
        Code::PermissionDenied => "ACCESS_DENIED",
        Code::ResourceExhausted => "THROTTLED",
        Code::Unauthenticated => "UNAUTHENTICATED",
        Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => "BAD_REQUEST",
        Code::Unavailable => "SERVICE_UNAVAILABLE",
        Code::NotFound => "NOT_FOUND",
        _ => "INTERNAL_SERVER_ERROR",
    };
    async_graphql::Error::new(status.message().to_owned()).extend_with(|_, e| {
        e.set("code", code);
        if !details.reason.is_empty() {
            e.set("reason", details.reason.clone());
        }
        if let Some(field) = &details.field {
            e.set("field", field.clone());
        }
        if let Some(seconds) = details.retry_after {
            e.set("retryAfterSeconds", seconds);
        }
    })
}

/// An argument the door cannot read, as a GraphQL error naming it.
fn bad_argument(argument: &str, detail: impl std::fmt::Display) -> async_graphql::Error {
    async_graphql::Error::new(format!("{argument}: {detail}")).extend_with(|_, e| {
        e.set("code", "BAD_REQUEST");
        e.set("argument", argument);
    })
}

/// What a request cost, as Shopify's clients read it from `extensions.cost`.
///
/// - `requestedQueryCost`: the query's complexity (one per field selected, a connection's
///   fields counted once per node it may return), bounded by [`MAX_COMPLEXITY`];
/// - `actualQueryCost`: the ledger calls the request made — each takes one call from the
///   token's rate limit, which is what throttles here;
/// - `throttleStatus`: the token's bucket (`maximumAvailable` = the burst, `restoreRate` =
///   calls a second, `currentlyAvailable` = the calls left after the request's own).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Cost {
    requested_query_cost: u64,
    actual_query_cost: u32,
    throttle_status: ThrottleStatus,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ThrottleStatus {
    maximum_available: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    currently_available: Option<f64>,
    restore_rate: f64,
}

/// Shopify's answer to a token it does not know.
fn unauthenticated() -> Response {
    Refusal::message(
        StatusCode::UNAUTHORIZED,
        "[API] Invalid API key or access token (unrecognized login or wrong password): send a \
         Stockledger token in X-Shopify-Access-Token",
    )
    .into_response()
}

#[utoipa::path(post, path = "/admin/api/{version}/graphql.json", tag = "shopify",
    operation_id = "ShopifyGraphQL",
    summary = "Shopify's GraphQL Admin API, inventory subset: items, locations, levels with named quantities, and the inventory mutations (docs/shopify.md)",
    params(("version" = String, Path, description = "Shopify API version, e.g. 2026-04 or unstable: compare-and-swap and @idempotent are mandatory from the versions Shopify made them so")),
    request_body(content = Object, description = "`{\"query\": …, \"variables\": {…}, \"operationName\": …}`"),
    responses((status = 200, description = "`{\"data\": …, \"errors\": […], \"extensions\": {\"cost\": …}}`", body = Object),
        (status = 401, description = "No token, or one Stockledger does not know", body = super::json::ErrorEnvelope)),
    security(("shopify_token" = [])))]
pub(crate) async fn graphql(
    State(gateway): State<Gateway>,
    Path(version): Path<String>,
    headers: HeaderMap,
    raw: RawBody,
) -> Response {
    let Some(version) = ApiVersion::parse(&version) else {
        return Refusal::message(
            StatusCode::NOT_FOUND,
            format!("Not Found: `{version}` is not an API version (YYYY-MM or unstable)"),
        )
        .into_response();
    };
    if !headers.contains_key(TOKEN_HEADER) && !headers.contains_key(http::header::AUTHORIZATION) {
        return unauthenticated();
    }
    let headers = match bearer(&headers) {
        Ok(headers) => headers,
        Err(refusal) => return refusal.into_response(),
    };
    let request: async_graphql::Request = match read_json(&raw) {
        Ok(request) => request,
        Err(unreadable) => {
            let refusal = Refusal::message(
                unreadable.status,
                format!("the body is not a GraphQL request: {}", unreadable.detail),
            );
            return refusal.into_response();
        }
    };
    let limit = gateway.authenticator.rate_limit();
    let door = Arc::new(Door {
        gateway,
        headers,
        version,
        calls: AtomicU32::new(0),
        unauthenticated: AtomicBool::new(false),
        calls_left: AtomicU32::new(u32::MAX),
    });
    let answer = schema().execute(request.data(door.clone())).await;
    if door.unauthenticated.load(Ordering::Relaxed) {
        return unauthenticated();
    }
    let mut answer = match serde_json::to_value(&answer) {
        Ok(serde_json::Value::Object(answer)) => answer,
        _ => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let extensions = answer
        .entry("extensions")
        .or_insert_with(|| serde_json::json!({}));
    if let Some(extensions) = extensions.as_object_mut() {
        // The analyzer's complexity is the requested cost; its own entry is not Shopify's.
        let analyzed = extensions.remove("analyzer");
        let requested = analyzed
            .as_ref()
            .and_then(|a| a.get("complexity"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let cost = Cost {
            requested_query_cost: requested,
            actual_query_cost: door.calls.load(Ordering::Relaxed),
            throttle_status: ThrottleStatus {
                maximum_available: f64::from(limit.burst.get()),
                // A request that made no call took nothing: its bucket is unknown here.
                currently_available: Some(door.calls_left.load(Ordering::Relaxed))
                    .filter(|n| *n != u32::MAX)
                    .map(f64::from),
                restore_rate: f64::from(limit.per_second.get()),
            },
        };
        extensions.insert("cost".into(), serde_json::json!(cost));
    }
    (StatusCode::OK, axum::Json(answer)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_order_with_unstable_last() {
        let april = ApiVersion::parse("2026-04").unwrap();
        assert_eq!(april, ApiVersion::SET_NEEDS_CHANGE_FROM);
        assert!(ApiVersion::parse("2025-10").unwrap() < april);
        assert!(ApiVersion::parse("unstable").unwrap() > ApiVersion::parse("2027-01").unwrap());
        for bad in ["2026-4", "26-04", "2026-13", "latest", "2026-04-01"] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
    }
}
