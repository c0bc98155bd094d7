//! Square's Inventory JSON (Connect v2) ⇄ Stockledger's proto messages, and Square's error
//! envelope for a refused call. Pure conversions, no rules: every value is passed on to the
//! gRPC service implementation, which validates it (an unknown state name becomes an
//! enum number the service refuses with INVALID_ENUM_VALUE at the same field path). Only
//! what cannot be written in a proto message at all — a time that is not RFC 3339 — is
//! refused here (INVALID_TIME).
//!
//! Encodings (docs/square.md): snake_case names as Square spells them; states, types and
//! products without the proto's prefix (`"IN_STOCK"`, `"ADJUSTMENT"`, `"EXTERNAL_API"`);
//! quantities as decimal strings; times as RFC 3339 strings; `Money` as an integer amount
//! in the currency's minor units (ISO 4217 exponent) plus the currency code.

use http::StatusCode;
use iso_currency::Currency;
use prost_types::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use tonic::{Code, Status};
use utoipa::ToSchema;

use crate::api::convert::{rfc3339, timestamp_from_rfc3339};
use crate::domain::error::{Violation, reasons};
use crate::domain::ledger;
use crate::domain::list::{MAX_FILTER_ENTRIES, check_length, distinct};
use crate::domain::text::quote;
use crate::gateway::RefusalDetails;
use crate::proto::v1 as pb;

/// An enum value no proto enum has: how an unknown name is passed on, so that the service
/// refuses it (INVALID_ENUM_VALUE) with its field path, as it refuses an unknown number.
const UNKNOWN_ENUM: i32 = i32::MAX;

fn is_empty<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Square's `Money`: an integer amount in the currency's smallest unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Minor units (cents for USD, yen for JPY).
    #[serde(default)]
    pub amount: i64,
    /// ISO 4217 code.
    #[serde(default)]
    pub currency: String,
}

/// Square's `SourceApplication` (read-only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceApplication {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub application_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub name: String,
}

/// Square's `InventoryAdjustment`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryAdjustment {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub reference_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_state: Option<String>,
    /// Square's model before 2026: the one location of the adjustment.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub location_id: String,
    /// Square's 2026 model: where the stock was before the adjustment.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub from_location_id: String,
    /// Square's 2026 model: where the stock is after the adjustment.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub to_location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_type: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub quantity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_price_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceApplication>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub employee_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub team_member_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub transaction_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub refund_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub purchase_order_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub goods_receipt_id: String,
}

/// Square's `InventoryPhysicalCount`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryPhysicalCount {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub reference_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub quantity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceApplication>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub employee_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub team_member_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// Square's `InventoryTransfer`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryTransfer {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub reference_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub from_location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub to_location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_type: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub quantity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceApplication>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub employee_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub team_member_id: String,
}

/// Square's `InventoryChange`: a type and one of the three kinds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryChange {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub change_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_count: Option<InventoryPhysicalCount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<InventoryAdjustment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<InventoryTransfer>,
}

/// Square's `InventoryCount`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InventoryCount {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub quantity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculated_at: Option<String>,
    #[serde(default)]
    pub is_estimated: bool,
}

/// Body of `POST /v2/inventory/changes/batch-create` (and `/batch-change`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchChangeInventoryRequest {
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub changes: Vec<InventoryChange>,
    #[serde(default)]
    pub ignore_unchanged_counts: Option<bool>,
}

/// Body of `POST /v2/inventory/counts/batch-retrieve` (and `/batch-retrieve-counts`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRetrieveInventoryCountsRequest {
    #[serde(default)]
    pub catalog_object_ids: Vec<String>,
    #[serde(default)]
    pub location_ids: Vec<String>,
    #[serde(default)]
    pub updated_after: Option<String>,
    #[serde(default)]
    pub cursor: String,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub limit: Option<i32>,
}

/// Body of `POST /v2/inventory/changes/batch-retrieve` (and `/batch-retrieve-changes`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRetrieveInventoryChangesRequest {
    #[serde(default)]
    pub catalog_object_ids: Vec<String>,
    #[serde(default)]
    pub location_ids: Vec<String>,
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub updated_after: Option<String>,
    #[serde(default)]
    pub updated_before: Option<String>,
    #[serde(default)]
    pub cursor: String,
    #[serde(default)]
    pub limit: Option<i32>,
    /// Square 2026: `{"field": "OCCURRED_AT", "order": "ASC" | "DESC"}`.
    #[serde(default)]
    pub sort: Option<ChangesSort>,
}

/// Square's `BatchRetrieveInventoryChangesSort`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesSort {
    /// Only `OCCURRED_AT` (the default).
    #[serde(default)]
    pub field: Option<String>,
    /// `ASC` (the default) or `DESC`.
    #[serde(default)]
    pub order: Option<String>,
}

/// The ledger's order of a `sort`: by `occurred_at` (then the server's sequence).
fn sort_order(sort: &Option<ChangesSort>) -> Result<i32, Refusal> {
    let Some(sort) = sort else { return Ok(0) };
    if let Some(field) = sort.field.as_deref().filter(|f| *f != "OCCURRED_AT") {
        return Err(Refusal::invalid_value(
            "sort.field",
            &format!(
                "changes are sorted by OCCURRED_AT only, not {}",
                quote(field)
            ),
        ));
    }
    match sort.order.as_deref() {
        None | Some("ASC") => Ok(pb::SortOrder::OldestFirst as i32),
        Some("DESC") => Ok(pb::SortOrder::NewestFirst as i32),
        Some(other) => Err(Refusal::invalid_value(
            "sort.order",
            &format!("must be ASC or DESC, not {}", quote(other)),
        )),
    }
}

/// A response holding counts: batch-create's, batch-retrieve counts', GET an item's counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CountsResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<InventoryCount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<InventoryChange>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub cursor: String,
}

/// A response holding changes: batch-retrieve changes', GET an item's changes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangesResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<InventoryChange>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub cursor: String,
}

/// Answer of `GET /v2/inventory/adjustments/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<InventoryAdjustment>,
}

/// Answer of `GET /v2/inventory/physical-counts/{id}`: Square names the physical count
/// `count`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PhysicalCountResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<InventoryPhysicalCount>,
}

/// Answer of `GET /v2/inventory/transfers/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransferResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<InventoryTransfer>,
}

/// One error of Square's envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SquareError {
    pub category: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Square's error envelope: `{"errors": [...]}`, sent with [`Refusal::status`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = SquareErrorEnvelope)]
pub struct ErrorEnvelope {
    pub errors: Vec<SquareError>,
}

/// A refused call: its HTTP status and Square's envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub envelope: ErrorEnvelope,
    /// Whole seconds after which a retry may succeed (sent as `Retry-After`), if known.
    pub retry_after: Option<u64>,
}

impl From<Violation> for Refusal {
    /// A rule the request broke, found by the door itself: 400, its reason as the code.
    fn from(violation: Violation) -> Refusal {
        Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            violation.reason,
            violation.description,
            Some(violation.field),
        )
    }
}

impl Refusal {
    /// One error of `category`/`code` about `field`.
    pub fn one(
        status: StatusCode,
        category: &str,
        code: &str,
        detail: impl Into<String>,
        field: Option<String>,
    ) -> Refusal {
        Refusal {
            status,
            envelope: ErrorEnvelope {
                errors: vec![SquareError {
                    category: category.into(),
                    code: code.into(),
                    detail: detail.into(),
                    field,
                }],
            },
            retry_after: None,
        }
    }

    /// A value Square's JSON can hold but the ledger's request cannot, at `field`.
    fn invalid_value(field: &str, detail: &str) -> Refusal {
        Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "INVALID_VALUE",
            detail,
            Some(field.into()),
        )
    }

    /// A time that is not RFC 3339, at `field`.
    fn invalid_time(field: &str) -> Refusal {
        Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "INVALID_TIME",
            "must be an RFC 3339 time, e.g. 2026-11-27T09:30:00Z",
            Some(field.into()),
        )
    }
}

pub const INVALID_REQUEST_ERROR: &str = "INVALID_REQUEST_ERROR";
pub const AUTHENTICATION_ERROR: &str = "AUTHENTICATION_ERROR";
pub const RATE_LIMIT_ERROR: &str = "RATE_LIMIT_ERROR";
pub const API_ERROR: &str = "API_ERROR";

/// Square's code for one of Stockledger's reasons: the same word where Square has one,
/// else Square's nearest code (docs/square.md lists each).
pub fn square_code(reason: &str) -> &str {
    match reason {
        reasons::INVALID_ID
        | reasons::INVALID_COUNTRY
        | reasons::INVALID_FIELD_MASK
        | reasons::COUNT_OUT_OF_RANGE
        | ledger::INVALID_STATE_TRANSITION
        | ledger::ITEM_NOT_TRACKED
        | ledger::LOCATION_INACTIVE => "INVALID_VALUE",
        reasons::READ_ONLY_FIELD => "UNEXPECTED_VALUE",
        reasons::ALREADY_EXISTS | reasons::CONCURRENT_WRITES => "CONFLICT",
        reasons::SHUTTING_DOWN | reasons::OVERLOADED => "SERVICE_UNAVAILABLE",
        reasons::TOO_MANY_STREAMS => "RATE_LIMITED",
        reasons::REQUEST_TOO_LARGE => "REQUEST_ENTITY_TOO_LARGE",
        reasons::MALFORMED_REQUEST => "BAD_REQUEST",
        reasons::INTERNAL => "INTERNAL_SERVER_ERROR",
        other => other,
    }
}

/// The HTTP status, Square category and fallback code of a gRPC status code.
fn square_class(code: Code, reason: &str) -> (StatusCode, &'static str, &'static str) {
    match code {
        Code::InvalidArgument | Code::FailedPrecondition => (
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "BAD_REQUEST",
        ),
        Code::OutOfRange => (
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "INVALID_VALUE",
        ),
        Code::NotFound => (StatusCode::NOT_FOUND, INVALID_REQUEST_ERROR, "NOT_FOUND"),
        Code::AlreadyExists if reason == reasons::IDEMPOTENCY_KEY_REUSED => (
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "IDEMPOTENCY_KEY_REUSED",
        ),
        Code::AlreadyExists | Code::Aborted => {
            (StatusCode::CONFLICT, INVALID_REQUEST_ERROR, "CONFLICT")
        }
        Code::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            AUTHENTICATION_ERROR,
            "UNAUTHORIZED",
        ),
        Code::PermissionDenied => (
            StatusCode::FORBIDDEN,
            AUTHENTICATION_ERROR,
            "INSUFFICIENT_SCOPES",
        ),
        Code::ResourceExhausted if reason == reasons::REQUEST_TOO_LARGE => (
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_REQUEST_ERROR,
            "REQUEST_ENTITY_TOO_LARGE",
        ),
        Code::ResourceExhausted => (
            StatusCode::TOO_MANY_REQUESTS,
            RATE_LIMIT_ERROR,
            "RATE_LIMITED",
        ),
        Code::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            API_ERROR,
            "SERVICE_UNAVAILABLE",
        ),
        Code::DeadlineExceeded | Code::Cancelled => {
            (StatusCode::GATEWAY_TIMEOUT, API_ERROR, "GATEWAY_TIMEOUT")
        }
        Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, API_ERROR, "NOT_IMPLEMENTED"),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            API_ERROR,
            "INTERNAL_SERVER_ERROR",
        ),
    }
}

/// Square's envelope for a status the services answered: its ErrorInfo's reason picks the
/// code, each BadRequest field violation becomes one error with its field and description
/// (a refusal without violations is one error with the ErrorInfo's `field`, if any).
pub fn refusal_from_status(status: &Status) -> Refusal {
    let details = RefusalDetails::of(status);
    let reason = details.reason.as_str();
    let (http, category, fallback) = square_class(status.code(), reason);
    let code_of = |reason: &str| {
        if reason.is_empty() {
            fallback.to_owned()
        } else {
            square_code(reason).to_owned()
        }
    };
    // Where Square's code is not Stockledger's reason, the detail keeps the reason.
    let detail_of = |description: &str, reason: &str, code: &str| {
        if reason.is_empty() || reason == code {
            description.to_owned()
        } else {
            format!("{description} ({reason})")
        }
    };
    let errors = if details.violations.is_empty() {
        let code = code_of(reason);
        vec![SquareError {
            category: category.into(),
            detail: detail_of(status.message(), reason, &code),
            code,
            field: details.field.clone(),
        }]
    } else {
        details
            .violations
            .iter()
            .map(|v| {
                let reason = if v.reason.is_empty() {
                    reason
                } else {
                    &v.reason
                };
                let code = code_of(reason);
                SquareError {
                    category: category.into(),
                    detail: detail_of(&v.description, reason, &code),
                    code,
                    field: Some(v.field.clone()).filter(|f| !f.is_empty()),
                }
            })
            .collect()
    };
    Refusal {
        status: http,
        envelope: ErrorEnvelope { errors },
        retry_after: details.retry_after,
    }
}

// ---- names of enums ----

fn state_name(raw: i32) -> Option<String> {
    match pb::InventoryState::try_from(raw) {
        Ok(pb::InventoryState::Unspecified) | Err(_) => None,
        Ok(state) => Some(state.as_str_name()["INVENTORY_STATE_".len()..].to_owned()),
    }
}

fn state_number(name: &Option<String>) -> i32 {
    match name.as_deref() {
        None => 0,
        Some(name) => enum_number(name, "INVENTORY_STATE_", |full| {
            pb::InventoryState::from_str_name(full).map(|s| s as i32)
        }),
    }
}

fn type_name(raw: i32) -> Option<String> {
    match pb::InventoryChangeType::try_from(raw) {
        Ok(pb::InventoryChangeType::Unspecified) | Err(_) => None,
        Ok(t) => Some(t.as_str_name()["INVENTORY_CHANGE_TYPE_".len()..].to_owned()),
    }
}

fn type_number(name: &str) -> i32 {
    enum_number(name, "INVENTORY_CHANGE_TYPE_", |full| {
        pb::InventoryChangeType::from_str_name(full).map(|t| t as i32)
    })
}

/// The number of Square's `name` of a proto enum whose names start with `prefix`; an
/// unknown name (and the proto's UNSPECIFIED) is [`UNKNOWN_ENUM`], for the service to refuse.
fn enum_number(name: &str, prefix: &str, lookup: impl Fn(&str) -> Option<i32>) -> i32 {
    if name == "UNSPECIFIED" {
        return UNKNOWN_ENUM;
    }
    lookup(&format!("{prefix}{name}")).unwrap_or(UNKNOWN_ENUM)
}

fn product_name(raw: i32) -> Option<String> {
    match pb::Product::try_from(raw) {
        Ok(pb::Product::Unspecified) | Err(_) => None,
        Ok(p) => Some(p.as_str_name()["PRODUCT_".len()..].to_owned()),
    }
}

fn product_number(name: &Option<String>) -> i32 {
    match name.as_deref() {
        None => 0,
        Some(name) => enum_number(name, "PRODUCT_", |full| {
            pb::Product::from_str_name(full).map(|p| p as i32)
        }),
    }
}

// ---- times ----

/// An RFC 3339 time with `Z`, as precise as the time is (Square writes milliseconds;
/// Stockledger keeps microseconds).
fn time_from_json(field: &str, value: &Option<String>) -> Result<Option<Timestamp>, Refusal> {
    value
        .as_deref()
        .map(|text| timestamp_from_rfc3339(text).map_err(|_| Refusal::invalid_time(field)))
        .transpose()
}

fn times_to_json(ts: &Option<Timestamp>) -> Option<String> {
    ts.as_ref().and_then(rfc3339)
}

// ---- money ----

/// Minor units per unit of `currency`, as a power of ten (ISO 4217; 0 for a code the list
/// does not know or one without minor units, for the service to judge).
fn exponent(currency: &str) -> u32 {
    Currency::from_code(currency)
        .and_then(|c| c.exponent())
        .map(u32::from)
        .unwrap_or(0)
}

/// Square's integer minor units as Stockledger's decimal string: 1999 USD → "19.99".
pub fn money_from_json(money: &Money) -> pb::Money {
    pb::Money {
        amount: Decimal::new(money.amount, exponent(&money.currency)).to_string(),
        currency: money.currency.clone(),
    }
}

/// Stockledger's decimal string as Square's integer minor units: "19.99" USD → 1999. An
/// amount finer than the currency's minor unit (Stockledger keeps 5 decimal places) is
/// rounded half away from zero, as Square's integer field cannot say more.
pub fn money_to_json(money: &pb::Money) -> Money {
    let amount = money
        .amount
        .parse::<Decimal>()
        .ok()
        .and_then(|d| d.checked_mul(Decimal::from(10i64.pow(exponent(&money.currency)))))
        .map(|d| d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
        .and_then(|d| d.to_i64())
        .unwrap_or(0);
    Money {
        amount,
        currency: money.currency.clone(),
    }
}

// ---- objects ----

fn source_to_json(source: &Option<pb::SourceApplication>) -> Option<SourceApplication> {
    source.as_ref().map(|s| SourceApplication {
        product: product_name(s.product),
        application_id: s.application_id.clone(),
        name: s.name.clone(),
    })
}

fn source_from_json(source: &Option<SourceApplication>) -> Option<pb::SourceApplication> {
    source.as_ref().map(|s| pb::SourceApplication {
        product: product_number(&s.product),
        application_id: s.application_id.clone(),
        name: s.name.clone(),
    })
}

/// An adjustment as Square answers it: its location under both models' names
/// (`location_id`, and the 2026 `from_location_id` = `to_location_id`).
pub fn adjustment_to_json(a: &pb::InventoryAdjustment) -> InventoryAdjustment {
    InventoryAdjustment {
        id: a.id.clone(),
        reference_id: a.reference_id.clone(),
        from_state: state_name(a.from_state),
        to_state: state_name(a.to_state),
        location_id: a.location_id.clone(),
        from_location_id: a.location_id.clone(),
        to_location_id: a.location_id.clone(),
        catalog_object_id: a.catalog_object_id.clone(),
        catalog_object_type: a.catalog_object_type.clone(),
        quantity: a.quantity.clone(),
        total_price_money: a.total_price_money.as_ref().map(money_to_json),
        occurred_at: times_to_json(&a.occurred_at),
        created_at: times_to_json(&a.created_at),
        source: source_to_json(&a.source),
        employee_id: a.employee_id.clone(),
        team_member_id: a.team_member_id.clone(),
        transaction_id: a.transaction_id.clone(),
        refund_id: a.refund_id.clone(),
        purchase_order_id: a.purchase_order_id.clone(),
        goods_receipt_id: a.goods_receipt_id.clone(),
    }
}

/// A transfer as Square's 2026 model writes it: an adjustment between two locations that
/// keeps its state.
pub fn transfer_as_adjustment(t: &pb::InventoryTransfer) -> InventoryAdjustment {
    InventoryAdjustment {
        id: t.id.clone(),
        reference_id: t.reference_id.clone(),
        from_state: state_name(t.state),
        to_state: state_name(t.state),
        from_location_id: t.from_location_id.clone(),
        to_location_id: t.to_location_id.clone(),
        catalog_object_id: t.catalog_object_id.clone(),
        catalog_object_type: t.catalog_object_type.clone(),
        quantity: t.quantity.clone(),
        occurred_at: times_to_json(&t.occurred_at),
        created_at: times_to_json(&t.created_at),
        source: source_to_json(&t.source),
        employee_id: t.employee_id.clone(),
        team_member_id: t.team_member_id.clone(),
        ..InventoryAdjustment::default()
    }
}

/// Where an adjustment of a request takes place: Square's older `location_id`, or the 2026
/// `from_location_id` / `to_location_id`, which name two locations when stock moves.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// One location (empty when none is named: the service refuses the missing location).
    At(String),
    /// From one location to another.
    Between { from: String, to: String },
}

fn adjustment_place(field: &str, a: &InventoryAdjustment) -> Result<Place, Refusal> {
    let mut named: Vec<&String> = [&a.location_id, &a.from_location_id, &a.to_location_id]
        .into_iter()
        .filter(|id| !id.is_empty())
        .collect();
    named.dedup();
    match named.as_slice() {
        [] => Ok(Place::At(String::new())),
        [one] => Ok(Place::At((*one).clone())),
        [from, to] if a.location_id.is_empty() => Ok(Place::Between {
            from: (*from).clone(),
            to: (*to).clone(),
        }),
        _ => Err(Refusal::invalid_value(
            &format!("{field}.location_id"),
            "location_id, from_location_id and to_location_id name different locations",
        )),
    }
}

/// An adjustment of a request: at one location, the ledger's adjustment; between two, the
/// ledger's transfer (which keeps its state and holds no sale or purchase fields).
fn adjustment_change_from_json(
    field: &str,
    a: &InventoryAdjustment,
) -> Result<(pb::InventoryChangeType, pb::inventory_change::Change), Refusal> {
    use pb::inventory_change::Change;
    let (from, to) = match adjustment_place(field, a)? {
        Place::At(location) => {
            let adjustment = adjustment_from_json(field, a, location)?;
            return Ok((
                pb::InventoryChangeType::Adjustment,
                Change::Adjustment(adjustment),
            ));
        }
        Place::Between { from, to } => (from, to),
    };
    let state = a.from_state.clone().or_else(|| a.to_state.clone());
    if a.to_state.is_some() && a.to_state != state {
        return Err(Refusal::invalid_value(
            &format!("{field}.to_state"),
            "an adjustment between two locations keeps its state: to_state must be from_state",
        ));
    }
    let sale_or_purchase = [
        ("total_price_money", a.total_price_money.is_some()),
        ("transaction_id", !a.transaction_id.is_empty()),
        ("refund_id", !a.refund_id.is_empty()),
        ("purchase_order_id", !a.purchase_order_id.is_empty()),
        ("goods_receipt_id", !a.goods_receipt_id.is_empty()),
    ];
    if let Some((name, _)) = sale_or_purchase.iter().find(|(_, set)| *set) {
        return Err(Refusal::invalid_value(
            &format!("{field}.{name}"),
            "is not kept on an adjustment between two locations",
        ));
    }
    let transfer = InventoryTransfer {
        id: a.id.clone(),
        reference_id: a.reference_id.clone(),
        state,
        from_location_id: from,
        to_location_id: to,
        catalog_object_id: a.catalog_object_id.clone(),
        catalog_object_type: a.catalog_object_type.clone(),
        quantity: a.quantity.clone(),
        occurred_at: a.occurred_at.clone(),
        created_at: a.created_at.clone(),
        source: a.source.clone(),
        employee_id: a.employee_id.clone(),
        team_member_id: a.team_member_id.clone(),
    };
    Ok((
        pb::InventoryChangeType::Transfer,
        Change::Transfer(transfer_from_json(field, &transfer)?),
    ))
}

fn adjustment_from_json(
    field: &str,
    a: &InventoryAdjustment,
    location_id: String,
) -> Result<pb::InventoryAdjustment, Refusal> {
    Ok(pb::InventoryAdjustment {
        id: a.id.clone(),
        reference_id: a.reference_id.clone(),
        from_state: state_number(&a.from_state),
        to_state: state_number(&a.to_state),
        location_id,
        catalog_object_id: a.catalog_object_id.clone(),
        catalog_object_type: a.catalog_object_type.clone(),
        quantity: a.quantity.clone(),
        total_price_money: a.total_price_money.as_ref().map(money_from_json),
        occurred_at: time_from_json(&format!("{field}.occurred_at"), &a.occurred_at)?,
        created_at: time_from_json(&format!("{field}.created_at"), &a.created_at)?,
        source: source_from_json(&a.source),
        employee_id: a.employee_id.clone(),
        team_member_id: a.team_member_id.clone(),
        transaction_id: a.transaction_id.clone(),
        refund_id: a.refund_id.clone(),
        purchase_order_id: a.purchase_order_id.clone(),
        goods_receipt_id: a.goods_receipt_id.clone(),
    })
}

pub fn physical_count_to_json(c: &pb::InventoryPhysicalCount) -> InventoryPhysicalCount {
    InventoryPhysicalCount {
        id: c.id.clone(),
        reference_id: c.reference_id.clone(),
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: c.catalog_object_type.clone(),
        state: state_name(c.state),
        location_id: c.location_id.clone(),
        quantity: c.quantity.clone(),
        source: source_to_json(&c.source),
        employee_id: c.employee_id.clone(),
        team_member_id: c.team_member_id.clone(),
        occurred_at: times_to_json(&c.occurred_at),
        created_at: times_to_json(&c.created_at),
    }
}

fn physical_count_from_json(
    field: &str,
    c: &InventoryPhysicalCount,
) -> Result<pb::InventoryPhysicalCount, Refusal> {
    Ok(pb::InventoryPhysicalCount {
        id: c.id.clone(),
        reference_id: c.reference_id.clone(),
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: c.catalog_object_type.clone(),
        state: state_number(&c.state),
        location_id: c.location_id.clone(),
        quantity: c.quantity.clone(),
        source: source_from_json(&c.source),
        employee_id: c.employee_id.clone(),
        team_member_id: c.team_member_id.clone(),
        occurred_at: time_from_json(&format!("{field}.occurred_at"), &c.occurred_at)?,
        created_at: time_from_json(&format!("{field}.created_at"), &c.created_at)?,
    })
}

pub fn transfer_to_json(t: &pb::InventoryTransfer) -> InventoryTransfer {
    InventoryTransfer {
        id: t.id.clone(),
        reference_id: t.reference_id.clone(),
        state: state_name(t.state),
        from_location_id: t.from_location_id.clone(),
        to_location_id: t.to_location_id.clone(),
        catalog_object_id: t.catalog_object_id.clone(),
        catalog_object_type: t.catalog_object_type.clone(),
        quantity: t.quantity.clone(),
        occurred_at: times_to_json(&t.occurred_at),
        created_at: times_to_json(&t.created_at),
        source: source_to_json(&t.source),
        employee_id: t.employee_id.clone(),
        team_member_id: t.team_member_id.clone(),
    }
}

fn transfer_from_json(
    field: &str,
    t: &InventoryTransfer,
) -> Result<pb::InventoryTransfer, Refusal> {
    Ok(pb::InventoryTransfer {
        id: t.id.clone(),
        reference_id: t.reference_id.clone(),
        state: state_number(&t.state),
        from_location_id: t.from_location_id.clone(),
        to_location_id: t.to_location_id.clone(),
        catalog_object_id: t.catalog_object_id.clone(),
        catalog_object_type: t.catalog_object_type.clone(),
        quantity: t.quantity.clone(),
        occurred_at: time_from_json(&format!("{field}.occurred_at"), &t.occurred_at)?,
        created_at: time_from_json(&format!("{field}.created_at"), &t.created_at)?,
        source: source_from_json(&t.source),
        employee_id: t.employee_id.clone(),
        team_member_id: t.team_member_id.clone(),
    })
}

pub fn change_to_json(c: &pb::InventoryChange) -> InventoryChange {
    use pb::inventory_change::Change;
    let mut json = InventoryChange {
        change_type: type_name(c.r#type),
        ..InventoryChange::default()
    };
    match &c.change {
        Some(Change::Adjustment(a)) => json.adjustment = Some(adjustment_to_json(a)),
        Some(Change::PhysicalCount(p)) => json.physical_count = Some(physical_count_to_json(p)),
        // Square's 2026 model has no transfers: stock moves by an adjustment between two
        // locations (the deprecated transfer paths still answer them as transfers).
        Some(Change::Transfer(t)) => {
            json.change_type = Some("ADJUSTMENT".to_owned());
            json.adjustment = Some(transfer_as_adjustment(t));
        }
        None => {}
    }
    json
}

/// A change of a request at `changes[index]`. Square's JSON may set several kinds at once;
/// the proto's oneof holds one, so more than one is refused here (INVALID_REQUEST_ERROR,
/// the same words the service uses for a type that contradicts its member).
pub fn change_from_json(index: usize, c: &InventoryChange) -> Result<pb::InventoryChange, Refusal> {
    use pb::inventory_change::Change;
    let field = format!("changes[{index}]");
    let set = [
        c.adjustment.is_some(),
        c.physical_count.is_some(),
        c.transfer.is_some(),
    ];
    if set.iter().filter(|s| **s).count() > 1 {
        return Err(Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "INVALID_VALUE",
            "must set exactly one of adjustment, physical_count and transfer",
            Some(field),
        ));
    }
    let mut change_type = c.change_type.as_deref().map(type_number).unwrap_or(0);
    let change = if let Some(a) = &c.adjustment {
        let (kind, change) = adjustment_change_from_json(&format!("{field}.adjustment"), a)?;
        // A move between locations is the ledger's transfer; its declared type follows.
        if kind == pb::InventoryChangeType::Transfer
            && change_type == pb::InventoryChangeType::Adjustment as i32
        {
            change_type = kind as i32;
        }
        Some(change)
    } else if let Some(p) = &c.physical_count {
        Some(Change::PhysicalCount(physical_count_from_json(
            &format!("{field}.physical_count"),
            p,
        )?))
    } else if let Some(t) = &c.transfer {
        Some(Change::Transfer(transfer_from_json(
            &format!("{field}.transfer"),
            t,
        )?))
    } else {
        None
    };
    Ok(pb::InventoryChange {
        r#type: change_type,
        change,
    })
}

pub fn count_to_json(c: &pb::InventoryCount) -> InventoryCount {
    InventoryCount {
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: c.catalog_object_type.clone(),
        state: state_name(c.state),
        location_id: c.location_id.clone(),
        quantity: c.quantity.clone(),
        calculated_at: times_to_json(&c.calculated_at),
        is_estimated: c.is_estimated,
    }
}

// ---- requests and responses ----

/// A refusal of a batch named as the caller sent it: a move written as a Square 2026
/// adjustment between two locations is the ledger's transfer, so the service names its
/// fields `changes[i].transfer.…`; they become `changes[i].adjustment.…` (the transfer's
/// `state` being the adjustment's `from_state`).
pub fn refusal_as_sent(mut refusal: Refusal, sent: &BatchChangeInventoryRequest) -> Refusal {
    for error in &mut refusal.envelope.errors {
        let Some(field) = &error.field else { continue };
        let Some((index, rest)) = field
            .strip_prefix("changes[")
            .and_then(|f| f.split_once("].transfer"))
        else {
            continue;
        };
        let written_as_adjustment = index
            .parse::<usize>()
            .ok()
            .and_then(|i| sent.changes.get(i))
            .is_some_and(|c| c.adjustment.is_some());
        if written_as_adjustment {
            let rest = if rest == ".state" {
                ".from_state"
            } else {
                rest
            };
            error.field = Some(format!("changes[{index}].adjustment{rest}"));
        }
    }
    refusal
}

pub fn batch_change_from_json(
    r: &BatchChangeInventoryRequest,
) -> Result<pb::BatchChangeInventoryRequest, Refusal> {
    Ok(pb::BatchChangeInventoryRequest {
        idempotency_key: r.idempotency_key.clone(),
        changes: r
            .changes
            .iter()
            .enumerate()
            .map(|(i, c)| change_from_json(i, c))
            .collect::<Result<_, _>>()?,
        ignore_unchanged_counts: r.ignore_unchanged_counts,
    })
}

pub fn batch_change_to_json(r: &pb::BatchChangeInventoryResponse) -> CountsResponse {
    CountsResponse {
        counts: r.counts.iter().map(count_to_json).collect(),
        changes: r.changes.iter().map(change_to_json).collect(),
        cursor: String::new(),
    }
}

pub fn counts_request_from_json(
    r: &BatchRetrieveInventoryCountsRequest,
) -> Result<pb::BatchRetrieveInventoryCountsRequest, Refusal> {
    Ok(pb::BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: r.catalog_object_ids.clone(),
        location_ids: r.location_ids.clone(),
        updated_after: time_from_json("updated_after", &r.updated_after)?,
        cursor: r.cursor.clone(),
        states: r
            .states
            .iter()
            .map(|s| state_number(&Some(s.clone())))
            .collect(),
        limit: r.limit.unwrap_or(0),
    })
}

pub fn counts_to_json(counts: &[pb::InventoryCount], cursor: &str) -> CountsResponse {
    CountsResponse {
        counts: counts.iter().map(count_to_json).collect(),
        changes: Vec::new(),
        cursor: cursor.to_owned(),
    }
}

/// The ledger's types of a `types` filter: in Square's 2026 model an `ADJUSTMENT` includes
/// moves between locations, the ledger's transfers. The list is bounded as the service
/// bounds it (checked here, on the list as sent, since the transfer is added to it), and
/// each type is sent once.
fn changes_types(types: &[String]) -> Result<Vec<i32>, Refusal> {
    check_length("types", types.len(), MAX_FILTER_ENTRIES, "types").map_err(Refusal::from)?;
    let mut numbers = distinct(types.iter().map(|t| type_number(t)).collect());
    let transfer = pb::InventoryChangeType::Transfer as i32;
    if numbers.contains(&(pb::InventoryChangeType::Adjustment as i32))
        && !numbers.contains(&transfer)
    {
        numbers.push(transfer);
    }
    Ok(numbers)
}

pub fn changes_request_from_json(
    r: &BatchRetrieveInventoryChangesRequest,
) -> Result<pb::BatchRetrieveInventoryChangesRequest, Refusal> {
    Ok(pb::BatchRetrieveInventoryChangesRequest {
        catalog_object_ids: r.catalog_object_ids.clone(),
        location_ids: r.location_ids.clone(),
        types: changes_types(&r.types)?,
        states: r
            .states
            .iter()
            .map(|s| state_number(&Some(s.clone())))
            .collect(),
        updated_after: time_from_json("updated_after", &r.updated_after)?,
        updated_before: time_from_json("updated_before", &r.updated_before)?,
        cursor: r.cursor.clone(),
        limit: r.limit.unwrap_or(0),
        sort_order: sort_order(&r.sort)?,
    })
}

pub fn changes_to_json(changes: &[pb::InventoryChange], cursor: &str) -> ChangesResponse {
    ChangesResponse {
        changes: changes.iter().map(change_to_json).collect(),
        cursor: cursor.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::api::ApiError;
    use crate::domain::error::{Violation, Violations};
    use crate::domain::scope::Scope;

    fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos })
    }

    fn source() -> Option<pb::SourceApplication> {
        Some(pb::SourceApplication {
            product: pb::Product::ExternalApi as i32,
            application_id: "app-1".into(),
            name: "Till".into(),
        })
    }

    const SOURCE_JSON: &str =
        r#"{"product": "EXTERNAL_API", "application_id": "app-1", "name": "Till"}"#;

    fn adjustment() -> pb::InventoryAdjustment {
        pb::InventoryAdjustment {
            id: "adj-1".into(),
            reference_id: "ref-1".into(),
            from_state: pb::InventoryState::InStock as i32,
            to_state: pb::InventoryState::Sold as i32,
            location_id: "loc-1".into(),
            catalog_object_id: "item-1".into(),
            catalog_object_type: "INVENTORY_ITEM".into(),
            quantity: "3".into(),
            total_price_money: Some(pb::Money {
                amount: "29.97".into(),
                currency: "USD".into(),
            }),
            occurred_at: ts(1_795_000_000, 123_000_000),
            created_at: ts(1_795_000_001, 0),
            source: source(),
            employee_id: "emp-1".into(),
            team_member_id: "tm-1".into(),
            transaction_id: "tx-1".into(),
            refund_id: "rf-1".into(),
            purchase_order_id: "po-1".into(),
            goods_receipt_id: "gr-1".into(),
        }
    }

    fn adjustment_json() -> Value {
        json!({
            "id": "adj-1",
            "reference_id": "ref-1",
            "from_state": "IN_STOCK",
            "to_state": "SOLD",
            "location_id": "loc-1",
            "from_location_id": "loc-1",
            "to_location_id": "loc-1",
            "catalog_object_id": "item-1",
            "catalog_object_type": "INVENTORY_ITEM",
            "quantity": "3",
            "total_price_money": {"amount": 2997, "currency": "USD"},
            "occurred_at": "2026-11-18T11:06:40.123Z",
            "created_at": "2026-11-18T11:06:41Z",
            "source": serde_json::from_str::<Value>(SOURCE_JSON).unwrap(),
            "employee_id": "emp-1",
            "team_member_id": "tm-1",
            "transaction_id": "tx-1",
            "refund_id": "rf-1",
            "purchase_order_id": "po-1",
            "goods_receipt_id": "gr-1",
        })
    }

    fn physical_count() -> pb::InventoryPhysicalCount {
        pb::InventoryPhysicalCount {
            id: "pc-1".into(),
            reference_id: "ref-2".into(),
            catalog_object_id: "item-1".into(),
            catalog_object_type: "INVENTORY_ITEM".into(),
            state: pb::InventoryState::InStock as i32,
            location_id: "loc-1".into(),
            quantity: "93".into(),
            source: source(),
            employee_id: "emp-2".into(),
            team_member_id: "tm-2".into(),
            occurred_at: ts(1_795_000_000, 500),
            created_at: ts(1_795_000_002, 0),
        }
    }

    fn physical_count_json() -> Value {
        json!({
            "id": "pc-1",
            "reference_id": "ref-2",
            "catalog_object_id": "item-1",
            "catalog_object_type": "INVENTORY_ITEM",
            "state": "IN_STOCK",
            "location_id": "loc-1",
            "quantity": "93",
            "source": serde_json::from_str::<Value>(SOURCE_JSON).unwrap(),
            "employee_id": "emp-2",
            "team_member_id": "tm-2",
            "occurred_at": "2026-11-18T11:06:40.000000500Z",
            "created_at": "2026-11-18T11:06:42Z",
        })
    }

    fn transfer() -> pb::InventoryTransfer {
        pb::InventoryTransfer {
            id: "tr-1".into(),
            reference_id: "ref-3".into(),
            state: pb::InventoryState::Waste as i32,
            from_location_id: "loc-1".into(),
            to_location_id: "loc-2".into(),
            catalog_object_id: "item-1".into(),
            catalog_object_type: "INVENTORY_ITEM".into(),
            quantity: "0.5".into(),
            occurred_at: ts(1_795_000_000, 1_000),
            created_at: ts(1_795_000_003, 0),
            source: source(),
            employee_id: "emp-3".into(),
            team_member_id: "tm-3".into(),
        }
    }

    fn transfer_json() -> Value {
        json!({
            "id": "tr-1",
            "reference_id": "ref-3",
            "state": "WASTE",
            "from_location_id": "loc-1",
            "to_location_id": "loc-2",
            "catalog_object_id": "item-1",
            "catalog_object_type": "INVENTORY_ITEM",
            "quantity": "0.5",
            "occurred_at": "2026-11-18T11:06:40.000001Z",
            "created_at": "2026-11-18T11:06:43Z",
            "source": serde_json::from_str::<Value>(SOURCE_JSON).unwrap(),
            "employee_id": "emp-3",
            "team_member_id": "tm-3",
        })
    }

    fn transfer_as_adjustment_json() -> Value {
        json!({
            "id": "tr-1",
            "reference_id": "ref-3",
            "from_state": "WASTE",
            "to_state": "WASTE",
            "from_location_id": "loc-1",
            "to_location_id": "loc-2",
            "catalog_object_id": "item-1",
            "catalog_object_type": "INVENTORY_ITEM",
            "quantity": "0.5",
            "occurred_at": "2026-11-18T11:06:40.000001Z",
            "created_at": "2026-11-18T11:06:43Z",
            "source": serde_json::from_str::<Value>(SOURCE_JSON).unwrap(),
            "employee_id": "emp-3",
            "team_member_id": "tm-3",
        })
    }

    fn to_value<T: Serialize>(value: &T) -> Value {
        serde_json::to_value(value).unwrap()
    }

    /// Every field of each kind of change, both ways: proto → Square JSON is exactly the
    /// expected object, and that object read back is the proto again.
    #[test]
    fn every_field_of_every_change_both_ways() {
        use pb::inventory_change::Change;
        let table: [(pb::InventoryChange, Value); 3] = [
            (
                pb::InventoryChange {
                    r#type: pb::InventoryChangeType::Adjustment as i32,
                    change: Some(Change::Adjustment(adjustment())),
                },
                json!({"type": "ADJUSTMENT", "adjustment": adjustment_json()}),
            ),
            (
                pb::InventoryChange {
                    r#type: pb::InventoryChangeType::PhysicalCount as i32,
                    change: Some(Change::PhysicalCount(physical_count())),
                },
                json!({"type": "PHYSICAL_COUNT", "physical_count": physical_count_json()}),
            ),
            (
                pb::InventoryChange {
                    r#type: pb::InventoryChangeType::Transfer as i32,
                    change: Some(Change::Transfer(transfer())),
                },
                // Square's 2026 model: a move is an adjustment between two locations.
                json!({"type": "ADJUSTMENT", "adjustment": transfer_as_adjustment_json()}),
            ),
        ];
        for (proto, expected) in table {
            assert_eq!(to_value(&change_to_json(&proto)), expected);
            let read: InventoryChange = serde_json::from_value(expected.clone()).unwrap();
            assert_eq!(change_from_json(0, &read).unwrap(), proto, "{expected}");
        }
        // The older TRANSFER change is still read, for integrations written before 2026.
        let read: InventoryChange =
            serde_json::from_value(json!({"type": "TRANSFER", "transfer": transfer_json()}))
                .unwrap();
        assert_eq!(
            change_from_json(0, &read).unwrap(),
            pb::InventoryChange {
                r#type: pb::InventoryChangeType::Transfer as i32,
                change: Some(Change::Transfer(transfer())),
            }
        );
        assert_eq!(
            to_value(&transfer_to_json(&transfer())),
            transfer_json(),
            "the deprecated transfer paths answer a transfer"
        );
    }

    /// Where an adjustment of a request takes place, under each model's names.
    #[test]
    fn adjustment_locations_of_both_models() {
        use pb::inventory_change::Change;
        // The change type and locations read, or the field refused.
        type Expected = Result<(i32, &'static str, &'static str), &'static str>;
        let table: Vec<(Value, Expected)> = vec![
            (json!({"location_id": "a"}), Ok((1, "a", ""))),
            (json!({"to_location_id": "a"}), Ok((1, "a", ""))),
            (json!({"from_location_id": "a"}), Ok((1, "a", ""))),
            (
                json!({"from_location_id": "a", "to_location_id": "a"}),
                Ok((1, "a", "")),
            ),
            (
                json!({"location_id": "a", "from_location_id": "a", "to_location_id": "a"}),
                Ok((1, "a", "")),
            ),
            (json!({}), Ok((1, "", ""))),
            (
                json!({"from_location_id": "a", "to_location_id": "b", "from_state": "IN_STOCK", "to_state": "IN_STOCK"}),
                Ok((3, "a", "b")),
            ),
            (
                json!({"from_location_id": "a", "to_location_id": "b", "from_state": "IN_STOCK"}),
                Ok((3, "a", "b")),
            ),
            (
                json!({"location_id": "a", "to_location_id": "b"}),
                Err("changes[0].adjustment.location_id"),
            ),
            (
                json!({"from_location_id": "a", "to_location_id": "b", "from_state": "IN_STOCK", "to_state": "SOLD"}),
                Err("changes[0].adjustment.to_state"),
            ),
            (
                json!({"from_location_id": "a", "to_location_id": "b", "from_state": "IN_STOCK", "refund_id": "r"}),
                Err("changes[0].adjustment.refund_id"),
            ),
        ];
        for (adjustment, expected) in table {
            let read: InventoryChange =
                serde_json::from_value(json!({"type": "ADJUSTMENT", "adjustment": adjustment}))
                    .unwrap();
            let got = change_from_json(0, &read);
            match expected {
                Ok((change_type, from, to)) => {
                    let change = got.unwrap_or_else(|r| panic!("{adjustment}: {r:?}"));
                    assert_eq!(change.r#type, change_type, "{adjustment}");
                    let place = match change.change {
                        Some(Change::Adjustment(a)) => (a.location_id, String::new()),
                        Some(Change::Transfer(t)) => (t.from_location_id, t.to_location_id),
                        other => panic!("{adjustment}: {other:?}"),
                    };
                    assert_eq!(place, (from.to_owned(), to.to_owned()), "{adjustment}");
                }
                Err(field) => {
                    let refusal = got.unwrap_err();
                    assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{adjustment}");
                    assert_eq!(refusal.envelope.errors[0].code, "INVALID_VALUE");
                    assert_eq!(
                        refusal.envelope.errors[0].field.as_deref(),
                        Some(field),
                        "{adjustment}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_refused_move_is_named_as_sent() {
        let sent: BatchChangeInventoryRequest = serde_json::from_value(json!({
            "changes": [
                {"adjustment": {"from_location_id": "a", "to_location_id": "b"}},
                {"transfer": {"from_location_id": "a", "to_location_id": "b"}},
            ]
        }))
        .unwrap();
        let refusal = refusal_from_status(&Status::from(ApiError::from(Violations(vec![
            Violation::new(
                "changes[0].transfer.quantity",
                reasons::VALUE_TOO_LOW,
                "low",
            ),
            Violation::new(
                "changes[0].transfer.state",
                reasons::INVALID_ENUM_VALUE,
                "no",
            ),
            Violation::new(
                "changes[1].transfer.quantity",
                reasons::VALUE_TOO_LOW,
                "low",
            ),
            Violation::new("idempotency_key", reasons::MISSING_REQUIRED_PARAMETER, "no"),
        ]))));
        let fields: Vec<_> = refusal_as_sent(refusal, &sent)
            .envelope
            .errors
            .into_iter()
            .map(|e| e.field.unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "changes[0].adjustment.quantity",
                "changes[0].adjustment.from_state",
                "changes[1].transfer.quantity",
                "idempotency_key",
            ]
        );
    }

    #[test]
    fn square_2026_sort_of_changes() {
        let table: [(Value, Result<i32, &str>); 7] = [
            (json!({}), Ok(0)),
            (json!({"sort": {}}), Ok(1)),
            (json!({"sort": {"order": "ASC"}}), Ok(1)),
            (
                json!({"sort": {"field": "OCCURRED_AT", "order": "DESC"}}),
                Ok(2),
            ),
            (json!({"sort": {"order": "DESC"}}), Ok(2)),
            (json!({"sort": {"order": "desc"}}), Err("sort.order")),
            (json!({"sort": {"field": "CREATED_AT"}}), Err("sort.field")),
        ];
        for (body, expected) in table {
            let request: BatchRetrieveInventoryChangesRequest =
                serde_json::from_value(body.clone()).unwrap();
            let got = changes_request_from_json(&request);
            match expected {
                Ok(order) => assert_eq!(got.unwrap().sort_order, order, "{body}"),
                Err(field) => assert_eq!(
                    got.unwrap_err().envelope.errors[0].field.as_deref(),
                    Some(field),
                    "{body}"
                ),
            }
        }
    }

    #[test]
    fn an_adjustment_filter_includes_moves_between_locations() {
        let request = BatchRetrieveInventoryChangesRequest {
            types: vec!["ADJUSTMENT".into()],
            ..Default::default()
        };
        assert_eq!(
            changes_request_from_json(&request).unwrap().types,
            [
                pb::InventoryChangeType::Adjustment as i32,
                pb::InventoryChangeType::Transfer as i32
            ]
        );
        let request = BatchRetrieveInventoryChangesRequest {
            types: vec!["PHYSICAL_COUNT".into()],
            ..Default::default()
        };
        assert_eq!(
            changes_request_from_json(&request).unwrap().types,
            [pb::InventoryChangeType::PhysicalCount as i32]
        );
    }

    #[test]
    fn every_field_of_a_count() {
        let count = pb::InventoryCount {
            catalog_object_id: "item-1".into(),
            catalog_object_type: "INVENTORY_ITEM".into(),
            state: pb::InventoryState::InStock as i32,
            location_id: "loc-1".into(),
            quantity: "93".into(),
            calculated_at: ts(1_795_000_000, 0),
            is_estimated: false,
        };
        assert_eq!(
            to_value(&count_to_json(&count)),
            json!({
                "catalog_object_id": "item-1",
                "catalog_object_type": "INVENTORY_ITEM",
                "state": "IN_STOCK",
                "location_id": "loc-1",
                "quantity": "93",
                "calculated_at": "2026-11-18T11:06:40Z",
                "is_estimated": false,
            })
        );
    }

    /// Empty proto fields are left out of Square's JSON, and absent JSON fields are empty.
    #[test]
    fn empty_fields_are_left_out() {
        let empty = pb::InventoryChange {
            r#type: pb::InventoryChangeType::Adjustment as i32,
            change: Some(pb::inventory_change::Change::Adjustment(
                pb::InventoryAdjustment::default(),
            )),
        };
        let json = json!({"type": "ADJUSTMENT", "adjustment": {}});
        assert_eq!(to_value(&change_to_json(&empty)), json);
        let read: InventoryChange = serde_json::from_value(json).unwrap();
        assert_eq!(change_from_json(0, &read).unwrap(), empty);
    }

    #[test]
    fn every_state_type_and_product_by_name() {
        for raw in 1..=17 {
            let name = state_name(raw).unwrap();
            assert!(!name.starts_with("INVENTORY_STATE_"), "{name}");
            assert_eq!(state_number(&Some(name)), raw);
        }
        for (raw, name) in [(1, "ADJUSTMENT"), (2, "PHYSICAL_COUNT"), (3, "TRANSFER")] {
            assert_eq!(type_name(raw).as_deref(), Some(name));
            assert_eq!(type_number(name), raw);
        }
        for raw in 1..=11 {
            let name = product_name(raw).unwrap();
            assert_eq!(product_number(&Some(name)), raw);
        }
        // Unknown names (and the proto's own spellings) go on as a number the service refuses.
        for name in [
            "UNSPECIFIED",
            "in_stock",
            "INVENTORY_STATE_IN_STOCK",
            "BOGUS",
            "",
        ] {
            assert_eq!(state_number(&Some(name.into())), UNKNOWN_ENUM, "{name}");
        }
        assert_eq!(
            type_number("INVENTORY_CHANGE_TYPE_ADJUSTMENT"),
            UNKNOWN_ENUM
        );
        assert_eq!(state_number(&None), 0);
        assert_eq!(state_name(0), None);
        assert_eq!(state_name(99), None);
    }

    #[test]
    fn money_in_minor_units_by_currency() {
        // (Square's amount, currency, Stockledger's decimal)
        for (minor, currency, decimal) in [
            (1999, "USD", "19.99"),
            (0, "USD", "0.00"),
            (500, "JPY", "500"),
            (1234, "KWD", "1.234"),
            (7, "EUR", "0.07"),
            (42, "XAU", "42"),
            (42, "ABC", "42"),
            (-5, "USD", "-0.05"),
        ] {
            let square = Money {
                amount: minor,
                currency: currency.into(),
            };
            let ours = money_from_json(&square);
            assert_eq!(ours.amount, decimal, "{minor} {currency}");
            assert_eq!(ours.currency, currency);
            assert_eq!(money_to_json(&ours), square, "{decimal} {currency}");
        }
        // Finer than the minor unit: rounded half away from zero.
        for (decimal, currency, minor) in [
            ("19.995", "USD", 2000),
            ("19.99499", "USD", 1999),
            ("0.5", "JPY", 1),
            ("19.99", "USD", 1999),
        ] {
            let ours = pb::Money {
                amount: decimal.into(),
                currency: currency.into(),
            };
            assert_eq!(money_to_json(&ours).amount, minor, "{decimal} {currency}");
        }
    }

    #[test]
    fn times_are_rfc3339() {
        for (text, seconds, nanos) in [
            ("2026-11-27T09:30:00Z", 1_795_771_800, 0),
            ("2026-11-27T09:30:00.250Z", 1_795_771_800, 250_000_000),
            ("2026-11-27T10:30:00+01:00", 1_795_771_800, 0),
        ] {
            let read = time_from_json("occurred_at", &Some(text.into())).unwrap();
            assert_eq!(read, ts(seconds, nanos), "{text}");
        }
        for bad in ["2026-11-27", "yesterday", "2026-11-27 09:30:00", ""] {
            let refusal =
                time_from_json("changes[0].adjustment.occurred_at", &Some(bad.into())).unwrap_err();
            assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
            let error = &refusal.envelope.errors[0];
            assert_eq!(error.code, "INVALID_TIME");
            assert_eq!(
                error.field.as_deref(),
                Some("changes[0].adjustment.occurred_at")
            );
        }
    }

    #[test]
    fn requests_map_every_field() {
        let body = json!({
            "catalog_object_ids": ["item-1"],
            "location_ids": ["loc-1", "loc-2"],
            "types": ["PHYSICAL_COUNT"],
            "states": ["IN_STOCK", "WASTE"],
            "updated_after": "2026-11-27T09:30:00Z",
            "updated_before": "2026-11-27T10:30:00Z",
            "cursor": "c",
            "limit": 7,
        });
        let read: BatchRetrieveInventoryChangesRequest = serde_json::from_value(body).unwrap();
        assert_eq!(
            changes_request_from_json(&read).unwrap(),
            pb::BatchRetrieveInventoryChangesRequest {
                catalog_object_ids: vec!["item-1".into()],
                location_ids: vec!["loc-1".into(), "loc-2".into()],
                types: vec![pb::InventoryChangeType::PhysicalCount as i32],
                states: vec![
                    pb::InventoryState::InStock as i32,
                    pb::InventoryState::Waste as i32
                ],
                updated_after: ts(1_795_771_800, 0),
                updated_before: ts(1_795_775_400, 0),
                cursor: "c".into(),
                limit: 7,
                sort_order: 0,
            }
        );
        let body = json!({
            "catalog_object_ids": ["item-1"],
            "location_ids": ["loc-1"],
            "states": ["IN_STOCK"],
            "updated_after": "2026-11-27T09:30:00Z",
            "cursor": "c",
            "limit": 1000,
        });
        let read: BatchRetrieveInventoryCountsRequest = serde_json::from_value(body).unwrap();
        assert_eq!(
            counts_request_from_json(&read).unwrap(),
            pb::BatchRetrieveInventoryCountsRequest {
                catalog_object_ids: vec!["item-1".into()],
                location_ids: vec!["loc-1".into()],
                updated_after: ts(1_795_771_800, 0),
                cursor: "c".into(),
                states: vec![pb::InventoryState::InStock as i32],
                limit: 1000,
            }
        );
        let body = json!({
            "idempotency_key": "k",
            "changes": [{"type": "ADJUSTMENT", "adjustment": adjustment_json()}],
            "ignore_unchanged_counts": false,
        });
        let read: BatchChangeInventoryRequest = serde_json::from_value(body).unwrap();
        let request = batch_change_from_json(&read).unwrap();
        assert_eq!(request.idempotency_key, "k");
        assert_eq!(request.ignore_unchanged_counts, Some(false));
        assert_eq!(request.changes.len(), 1);
    }

    #[test]
    fn unknown_fields_and_two_kinds_are_refused() {
        let unknown = serde_json::from_value::<InventoryChange>(
            json!({"adjustment": {"quantity": "1", "reason_id": "x"}}),
        );
        assert!(unknown.is_err());
        let two: InventoryChange = serde_json::from_value(json!({
            "adjustment": {}, "physical_count": {}
        }))
        .unwrap();
        let refusal = change_from_json(3, &two).unwrap_err();
        assert_eq!(
            refusal.envelope.errors[0].field.as_deref(),
            Some("changes[3]")
        );
        assert_eq!(refusal.envelope.errors[0].code, "INVALID_VALUE");
    }

    /// Each kind of refusal the services answer, as Square's envelope.
    #[test]
    fn refusals_in_squares_envelope() {
        let table: Vec<(ApiError, StatusCode, &str, &str, Option<&str>)> = vec![
            (
                Violation::new(
                    "changes[0].adjustment.quantity",
                    reasons::VALUE_TOO_LOW,
                    "low",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "VALUE_TOO_LOW",
                Some("changes[0].adjustment.quantity"),
            ),
            (
                Violation::new("adjustment_id", reasons::INVALID_ID, "bad").into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("adjustment_id"),
            ),
            (
                Violation::new(
                    "changes[0].adjustment.to_state",
                    ledger::INVALID_STATE_TRANSITION,
                    "RESERVED_FOR_SALE is read-only",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("changes[0].adjustment.to_state"),
            ),
            (
                Violation::new(
                    "changes[0].adjustment.catalog_object_id",
                    ledger::ITEM_NOT_TRACKED,
                    "untracked",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("changes[0].adjustment.catalog_object_id"),
            ),
            (
                Violation::new(
                    "changes[0].adjustment.location_id",
                    ledger::LOCATION_INACTIVE,
                    "archived",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("changes[0].adjustment.location_id"),
            ),
            (
                Violation::new("cursor", reasons::INVALID_CURSOR, "bad").into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_CURSOR",
                Some("cursor"),
            ),
            (
                Violation::new("changes[0].adjustment.id", reasons::READ_ONLY_FIELD, "ro").into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "UNEXPECTED_VALUE",
                Some("changes[0].adjustment.id"),
            ),
            (
                ApiError::not_found("inventory adjustment", "adjustment_id", "x"),
                StatusCode::NOT_FOUND,
                INVALID_REQUEST_ERROR,
                "NOT_FOUND",
                Some("adjustment_id"),
            ),
            (
                ApiError::AlreadyExists {
                    reason: reasons::IDEMPOTENCY_KEY_REUSED,
                    field: "idempotency_key".into(),
                    message: "the idempotency key was already used for a different request".into(),
                },
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "IDEMPOTENCY_KEY_REUSED",
                Some("idempotency_key"),
            ),
            (
                ApiError::Aborted {
                    reason: reasons::CONCURRENT_WRITES,
                    message: "the call met concurrent writes too often; retry it (with the same \
                              idempotency key for a batch)"
                        .into(),
                },
                StatusCode::CONFLICT,
                INVALID_REQUEST_ERROR,
                "CONFLICT",
                None,
            ),
            (
                ApiError::Unavailable {
                    reason: reasons::SHUTTING_DOWN,
                    message: "the server is shutting down; retry (with the same idempotency key \
                              for a batch)"
                        .into(),
                    retry_after: None,
                },
                StatusCode::SERVICE_UNAVAILABLE,
                API_ERROR,
                "SERVICE_UNAVAILABLE",
                None,
            ),
            (
                ApiError::Unauthenticated {
                    reason: reasons::ACCESS_TOKEN_EXPIRED,
                    message: "expired",
                },
                StatusCode::UNAUTHORIZED,
                AUTHENTICATION_ERROR,
                "ACCESS_TOKEN_EXPIRED",
                None,
            ),
            (
                ApiError::Unauthenticated {
                    reason: reasons::UNAUTHORIZED,
                    message: "no token",
                },
                StatusCode::UNAUTHORIZED,
                AUTHENTICATION_ERROR,
                "UNAUTHORIZED",
                None,
            ),
            (
                ApiError::PermissionDenied {
                    scope: Scope::InventoryWrite,
                },
                StatusCode::FORBIDDEN,
                AUTHENTICATION_ERROR,
                "INSUFFICIENT_SCOPES",
                None,
            ),
            (
                ApiError::ResourceExhausted {
                    reason: reasons::RATE_LIMITED,
                    message: "slow down".into(),
                    retry_after: None,
                },
                StatusCode::TOO_MANY_REQUESTS,
                RATE_LIMIT_ERROR,
                "RATE_LIMITED",
                None,
            ),
            (
                ApiError::Internal("boom".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
                API_ERROR,
                "INTERNAL_SERVER_ERROR",
                None,
            ),
        ];
        for (error, http, category, code, field) in table {
            let described = format!("{error:?}");
            let refusal = refusal_from_status(&Status::from(error));
            assert_eq!(refusal.status, http, "{described}");
            let first = &refusal.envelope.errors[0];
            assert_eq!(first.category, category, "{described}");
            assert_eq!(first.code, code, "{described}");
            assert_eq!(first.field.as_deref(), field, "{described}");
            assert!(!first.detail.is_empty(), "{described}");
        }
        // Several violations: one error each, in order.
        let many = crate::domain::error::Violations(vec![
            Violation::new(
                "changes[0].adjustment.quantity",
                reasons::VALUE_TOO_HIGH,
                "high",
            ),
            Violation::new(
                "changes[1].adjustment.to_state",
                reasons::INVALID_ENUM_VALUE,
                "?",
            ),
        ]);
        let refusal = refusal_from_status(&Status::from(ApiError::from(many)));
        let codes: Vec<_> = refusal
            .envelope
            .errors
            .iter()
            .map(|e| (e.code.as_str(), e.field.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            codes,
            [
                ("VALUE_TOO_HIGH", "changes[0].adjustment.quantity"),
                ("INVALID_ENUM_VALUE", "changes[1].adjustment.to_state")
            ]
        );
        // Where the codes differ, the detail keeps Stockledger's reason.
        let refusal = refusal_from_status(&Status::from(ApiError::from(Violation::new(
            "adjustment_id",
            reasons::INVALID_ID,
            "\"x\" is not a valid id",
        ))));
        assert_eq!(
            refusal.envelope.errors[0].detail,
            "\"x\" is not a valid id (INVALID_ID)"
        );
        // A rate limit's retry delay, rounded up to whole seconds.
        let limited = refusal_from_status(&Status::from(ApiError::ResourceExhausted {
            reason: reasons::RATE_LIMITED,
            message: "slow down".into(),
            retry_after: Some(std::time::Duration::from_millis(1500)),
        }));
        assert_eq!(limited.retry_after, Some(2));
        // A plain status without details still has Square's shape.
        let plain = refusal_from_status(&Status::deadline_exceeded("late"));
        assert_eq!(plain.status, StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(plain.envelope.errors[0].code, "GATEWAY_TIMEOUT");
        assert_eq!(
            serde_json::to_value(&plain.envelope).unwrap(),
            json!({"errors": [{"category": "API_ERROR", "code": "GATEWAY_TIMEOUT", "detail": "late"}]})
        );
    }
}
