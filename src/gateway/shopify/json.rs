//! Shopify's REST JSON for inventory items and inventory levels ⇄ Stockledger's proto
//! messages, and Shopify's error shape. Pure conversions, no rules: every value is passed
//! on to the gRPC service implementation, which validates it; only what cannot be written
//! in a proto message at all (a level quantity that is not a number) is refused here.
//!
//! Encodings (docs/shopify.md): Shopify's snake_case names; absent values as `null`; cost as
//! a decimal string with at least two decimals (`"25.00"`); level quantities as exact JSON
//! numbers (`94`, `0.5`), read as written, never through a float; times as RFC 3339; ids
//! as Stockledger's UUID strings where Shopify has integers.

use std::str::FromStr;

use http::StatusCode;
use prost_types::{FieldMask, Timestamp};
use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use tonic::{Code, Status};
use utoipa::ToSchema;

use crate::api::convert::{rfc3339, timestamp_from_rfc3339};
use crate::domain::error::reasons;
use crate::domain::id::canonical_id;
use crate::gateway::RefusalDetails;
use crate::gateway::shopify::graphql::gid::{Kind, gid, level_gid};
use crate::proto::v1 as pb;

/// Shopify's `InventoryItem`, as answered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InventoryItem {
    /// Stockledger's item id (a UUID; Shopify's are integers).
    pub id: String,
    /// The item's Global ID in the GraphQL door (`gid://shopify/InventoryItem/<id>`).
    pub admin_graphql_api_id: String,
    /// Stock keeping unit; `null` when the item has none.
    pub sku: Option<String>,
    /// Unit cost, a decimal string with at least two decimals (`"25.00"`); `null` if none.
    pub cost: Option<String>,
    /// ISO 3166-1 alpha-2; `null` if unknown.
    pub country_code_of_origin: Option<String>,
    /// ISO 3166-2 subdivision (`"QC"`); `null` if unknown.
    pub province_code_of_origin: Option<String>,
    /// General HS code, 6–13 digits; `null` if none.
    pub harmonized_system_code: Option<String>,
    /// HS codes per destination country.
    pub country_harmonized_system_codes: Vec<CountryHarmonizedSystemCode>,
    /// Whether the ledger tracks this item's stock.
    pub tracked: bool,
    /// Whether shipping it needs a shipping address.
    pub requires_shipping: bool,
    /// RFC 3339, UTC.
    pub created_at: Option<String>,
    /// RFC 3339, UTC.
    pub updated_at: Option<String>,
}

/// One country's HS code of an item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountryHarmonizedSystemCode {
    /// 6–13 digits, starting with the item's general code when it has one.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub harmonized_system_code: String,
    /// ISO 3166-1 alpha-2 of the destination. `null` (or absent) in a PUT, as Shopify has
    /// it: the entry is the item's general code (docs/items.md), never answered so.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(value_type = Option<String>)]
    pub country_code: String,
}

/// `{"inventory_item": …}`: the answer of GET and PUT `inventory_items/{id}.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InventoryItemResponse {
    /// The item.
    pub inventory_item: InventoryItem,
}

/// `{"inventory_items": […]}`: the answer of GET `inventory_items.json` (the next page's URL
/// is in the `Link` header).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InventoryItemsResponse {
    /// One page of items, in creation order.
    pub inventory_items: Vec<InventoryItem>,
}

/// Reads a text that may be `null` (as Shopify writes an entry's missing country) as empty,
/// which the services read as "not set".
fn null_as_empty<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(de).map(Option::unwrap_or_default)
}

/// Reads a field that may be absent (`None`), `null` (`Some(None)`) or set.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    de: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(de).map(Some)
}

/// The item of a PUT: the fields present are the fields updated (`null` or `""` clears);
/// the read-only fields Shopify answers with are accepted and ignored, as Shopify does, so
/// that an item read, changed and saved whole by an SDK is taken as it is sent.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryItemUpdate {
    /// Read-only: ignored (the path names the item).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub id: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub sku: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub cost: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub country_code_of_origin: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub province_code_of_origin: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub harmonized_system_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<CountryHarmonizedSystemCode>>)]
    pub country_harmonized_system_codes: Option<Option<Vec<CountryHarmonizedSystemCode>>>,
    /// `null` leaves it unchanged.
    #[serde(default)]
    pub tracked: Option<bool>,
    /// `null` leaves it unchanged.
    #[serde(default)]
    pub requires_shipping: Option<bool>,
    /// Read-only: ignored.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub created_at: Option<IgnoredAny>,
    /// Read-only: ignored.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<IgnoredAny>,
    /// Shopify's GraphQL id, read-only: ignored.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub admin_graphql_api_id: Option<IgnoredAny>,
}

/// Body of PUT `inventory_items/{id}.json`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryItemUpdateRequest {
    /// The fields to change.
    pub inventory_item: InventoryItemUpdate,
}

/// Shopify's `InventoryLevel`: an item's `available` quantity (the IN_STOCK count) at one
/// location.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InventoryLevel {
    /// The item's id.
    pub inventory_item_id: String,
    /// The location's id.
    pub location_id: String,
    /// The IN_STOCK count, exact (`94`, `0.5`).
    #[schema(value_type = f64)]
    pub available: Box<RawValue>,
    /// When the count last changed (RFC 3339, UTC).
    pub updated_at: Option<String>,
    /// The level's Global ID in the GraphQL door
    /// (`gid://shopify/InventoryLevel/<location id>?inventory_item_id=<item id>`).
    pub admin_graphql_api_id: String,
}

impl PartialEq for InventoryLevel {
    fn eq(&self, other: &Self) -> bool {
        self.admin_graphql_api_id == other.admin_graphql_api_id
            && self.inventory_item_id == other.inventory_item_id
            && self.location_id == other.location_id
            && self.available.get() == other.available.get()
            && self.updated_at == other.updated_at
    }
}

/// `{"inventory_levels": […]}`: the answer of GET `inventory_levels.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InventoryLevelsResponse {
    /// One page of levels.
    pub inventory_levels: Vec<InventoryLevel>,
}

/// `{"inventory_level": …}`: the answer of `set.json` and `adjust.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InventoryLevelResponse {
    /// The level after the change.
    pub inventory_level: InventoryLevel,
}

/// Body of POST `inventory_levels/set.json`: a physical count of the IN_STOCK quantity.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLevelRequest {
    #[serde(default)]
    pub location_id: String,
    #[serde(default)]
    pub inventory_item_id: String,
    /// The quantity counted: a JSON number (or a decimal string), read exactly.
    #[schema(value_type = f64)]
    pub available: Box<RawValue>,
    /// Accepted for compatibility; levels need no connecting in Stockledger.
    #[serde(default)]
    pub disconnect_if_necessary: Option<bool>,
}

/// Body of POST `inventory_levels/adjust.json`: a signed correction of the IN_STOCK quantity.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustLevelRequest {
    #[serde(default)]
    pub location_id: String,
    #[serde(default)]
    pub inventory_item_id: String,
    /// The signed change: a JSON number (or a decimal string), read exactly.
    #[schema(value_type = f64)]
    pub available_adjustment: Box<RawValue>,
}

// ---- items ----

fn some_text(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn time_to_json(ts: &Option<Timestamp>) -> Option<String> {
    ts.as_ref().and_then(rfc3339)
}

/// A time of a query (`updated_at_min`), RFC 3339; `Err` names what is wrong.
pub fn time_from_query(value: &str) -> Result<Timestamp, String> {
    timestamp_from_rfc3339(value)
        .map_err(|_| "must be an RFC 3339 time, e.g. 2026-11-27T09:30:00Z".to_owned())
}

/// Shopify writes money with at least two decimals: `"25"` is `"25.00"`, `"25.5"` is
/// `"25.50"`; finer costs keep every stored decimal.
pub fn cost_to_json(cost: &str) -> Option<String> {
    let value = Decimal::from_str(cost).ok()?;
    let scale = value.scale().max(2);
    let mut shown = value;
    shown.rescale(scale);
    Some(shown.to_string())
}

/// An item as Shopify answers it.
pub fn item_to_json(item: &pb::InventoryItem) -> InventoryItem {
    InventoryItem {
        id: item.id.clone(),
        admin_graphql_api_id: gid(Kind::InventoryItem, &item.id),
        sku: some_text(&item.sku),
        cost: some_text(&item.cost).and_then(|c| cost_to_json(&c).or(Some(c))),
        country_code_of_origin: some_text(&item.country_code_of_origin),
        province_code_of_origin: some_text(&item.province_code_of_origin),
        harmonized_system_code: some_text(&item.harmonized_system_code),
        country_harmonized_system_codes: item
            .country_harmonized_system_codes
            .iter()
            .map(|c| CountryHarmonizedSystemCode {
                harmonized_system_code: c.harmonized_system_code.clone(),
                country_code: c.country_code.clone(),
            })
            .collect(),
        tracked: item.tracked.unwrap_or(true),
        requires_shipping: item.requires_shipping.unwrap_or(true),
        created_at: time_to_json(&item.created_at),
        updated_at: time_to_json(&item.updated_at),
    }
}

/// The UpdateInventoryItem request of a PUT: the fields present, and only those, in the
/// update mask (`null` clears, as an empty value under an explicit mask does).
pub fn item_update_from_json(
    id: &str,
    update: &InventoryItemUpdate,
) -> pb::UpdateInventoryItemRequest {
    let mut paths = Vec::new();
    let mut item = pb::InventoryItem {
        id: id.to_owned(),
        ..Default::default()
    };
    let mut text = |name: &str, value: &Option<Option<String>>, slot: &mut String| {
        if let Some(value) = value {
            paths.push(name.to_owned());
            *slot = value.clone().unwrap_or_default();
        }
    };
    text("sku", &update.sku, &mut item.sku);
    text("cost", &update.cost, &mut item.cost);
    text(
        "country_code_of_origin",
        &update.country_code_of_origin,
        &mut item.country_code_of_origin,
    );
    text(
        "province_code_of_origin",
        &update.province_code_of_origin,
        &mut item.province_code_of_origin,
    );
    text(
        "harmonized_system_code",
        &update.harmonized_system_code,
        &mut item.harmonized_system_code,
    );
    if let Some(codes) = &update.country_harmonized_system_codes {
        paths.push("country_harmonized_system_codes".to_owned());
        item.country_harmonized_system_codes = codes
            .iter()
            .flatten()
            .map(|c| pb::CountryHarmonizedSystemCode {
                harmonized_system_code: c.harmonized_system_code.clone(),
                country_code: c.country_code.clone(),
            })
            .collect();
    }
    if let Some(tracked) = update.tracked {
        paths.push("tracked".to_owned());
        item.tracked = Some(tracked);
    }
    if let Some(requires_shipping) = update.requires_shipping {
        paths.push("requires_shipping".to_owned());
        item.requires_shipping = Some(requires_shipping);
    }
    pb::UpdateInventoryItemRequest {
        inventory_item: Some(item),
        // No field present is an empty update, not "every set field": send a mask that
        // names nothing the service would change.
        update_mask: Some(FieldMask { paths }),
    }
}

// ---- levels ----

/// A level quantity as written in the request: a JSON number or a decimal string, as the
/// exact decimal text the service judges; `Err` when it is neither.
pub fn quantity_from_json(raw: &RawValue) -> Result<String, String> {
    let text = raw.get().trim();
    let unquoted = match serde_json::from_str::<String>(text) {
        Ok(string) => string,
        Err(_) => text.to_owned(),
    };
    let looks_numeric = !unquoted.is_empty()
        && unquoted
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    if looks_numeric {
        Ok(unquoted)
    } else {
        Err("must be a number, e.g. 42 or 0.5".to_owned())
    }
}

/// A quantity of the ledger (a decimal string) as an exact JSON number.
pub fn quantity_to_json(quantity: &str) -> Box<RawValue> {
    let number = Decimal::from_str(quantity)
        .map(|d| d.normalize().to_string())
        .unwrap_or_else(|_| "0".to_owned());
    RawValue::from_string(number).unwrap_or_else(|_| zero())
}

fn zero() -> Box<RawValue> {
    RawValue::from_string("0".to_owned()).expect("0 is JSON")
}

/// The level of a count (its IN_STOCK quantity).
pub fn level_to_json(count: &pb::InventoryCount) -> InventoryLevel {
    InventoryLevel {
        inventory_item_id: count.catalog_object_id.clone(),
        location_id: count.location_id.clone(),
        available: quantity_to_json(&count.quantity),
        updated_at: time_to_json(&count.calculated_at),
        admin_graphql_api_id: level_gid(&count.location_id, &count.catalog_object_id),
    }
}

/// Most ids of each filter of `inventory_levels.json`, as on Shopify.
pub const LEVELS_MAX_IDS: usize = 50;
/// Largest `limit` of `inventory_levels.json`, as on Shopify.
pub const LEVELS_MAX_LIMIT: i32 = 250;
/// The `limit` of `inventory_levels.json` when none is sent, as on Shopify.
pub const LEVELS_DEFAULT_LIMIT: i32 = 50;

/// Shopify's rules for the filters of `inventory_levels.json`: items or locations must be
/// named (a shop's every level is not one request), at most [`LEVELS_MAX_IDS`] of each.
pub fn check_level_filters(item_ids: &[String], location_ids: &[String]) -> Result<(), Refusal> {
    if item_ids.is_empty() && location_ids.is_empty() {
        return Err(Refusal::invalid(
            "base",
            "inventory_item_ids or location_ids must be given",
        ));
    }
    for (field, ids) in [
        ("inventory_item_ids", item_ids),
        ("location_ids", location_ids),
    ] {
        if ids.len() > LEVELS_MAX_IDS {
            return Err(Refusal::invalid(
                field,
                format!("at most {LEVELS_MAX_IDS} ids (got {})", ids.len()),
            ));
        }
    }
    Ok(())
}

/// The time one microsecond before `time` (the finest the ledger keeps), so that a strict
/// "after" filter includes `time` itself.
pub fn one_microsecond_before(time: Timestamp) -> Timestamp {
    // Rounded up first: a time between two microseconds includes only the later one.
    let micros = time.seconds * 1_000_000 + (i64::from(time.nanos) + 999) / 1_000 - 1;
    Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1_000) as i32,
    }
}

/// The counts request of GET `inventory_levels.json`: IN_STOCK counts only.
pub fn levels_request(
    inventory_item_ids: Vec<String>,
    location_ids: Vec<String>,
    updated_after: Option<Timestamp>,
    cursor: String,
    limit: i32,
) -> pb::BatchRetrieveInventoryCountsRequest {
    pb::BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: inventory_item_ids,
        location_ids,
        updated_after,
        cursor,
        states: vec![pb::InventoryState::InStock as i32],
        limit,
        as_of: None,
    }
}

/// The batch of `set.json`: one physical count of IN_STOCK, occurring now (no
/// `occurred_at`: the server's time, so that a retry is the same request).
pub fn set_level_batch(
    idempotency_key: String,
    request: &SetLevelRequest,
) -> Result<pb::BatchChangeInventoryRequest, Refusal> {
    let quantity = quantity_from_json(&request.available)
        .map_err(|detail| Refusal::invalid("available", detail))?;
    let count = pb::InventoryPhysicalCount {
        catalog_object_id: request.inventory_item_id.clone(),
        location_id: request.location_id.clone(),
        state: pb::InventoryState::InStock as i32,
        quantity,
        ..Default::default()
    };
    Ok(pb::BatchChangeInventoryRequest {
        idempotency_key,
        changes: vec![pb::InventoryChange {
            r#type: pb::InventoryChangeType::PhysicalCount as i32,
            change: Some(pb::inventory_change::Change::PhysicalCount(count)),
            expected_quantity: None,
        }],
        ignore_unchanged_counts: Some(true),
        forbid_negative_counts: None,
    })
}

/// The batch of `adjust.json`: a positive correction moves stock in from `NONE` (a
/// receipt), a negative one out to `WASTE` (nothing moves to `NONE`: stock that leaves
/// without a sale is a loss); zero is refused by the service like any zero quantity.
pub fn adjust_level_batch(
    idempotency_key: String,
    request: &AdjustLevelRequest,
) -> Result<pb::BatchChangeInventoryRequest, Refusal> {
    let signed = quantity_from_json(&request.available_adjustment)
        .map_err(|detail| Refusal::invalid("available_adjustment", detail))?;
    let (from, to, quantity) = match signed.strip_prefix('-') {
        Some(magnitude) => (
            pb::InventoryState::InStock,
            pb::InventoryState::Waste,
            magnitude.to_owned(),
        ),
        None => (
            pb::InventoryState::None,
            pb::InventoryState::InStock,
            signed.trim_start_matches('+').to_owned(),
        ),
    };
    let adjustment = pb::InventoryAdjustment {
        catalog_object_id: request.inventory_item_id.clone(),
        location_id: request.location_id.clone(),
        from_state: from as i32,
        to_state: to as i32,
        quantity,
        ..Default::default()
    };
    Ok(pb::BatchChangeInventoryRequest {
        idempotency_key,
        changes: vec![pb::InventoryChange {
            r#type: pb::InventoryChangeType::Adjustment as i32,
            change: Some(pb::inventory_change::Change::Adjustment(adjustment)),
            expected_quantity: None,
        }],
        ignore_unchanged_counts: None,
        forbid_negative_counts: None,
    })
}

/// The level a batch answered for `item` at `location`: its IN_STOCK count.
pub fn level_of(
    response: &pb::BatchChangeInventoryResponse,
    item: &str,
    location: &str,
) -> Option<InventoryLevel> {
    // The answer spells ids canonically; the request may have spelled them otherwise.
    let item = canonical_id("inventory_item_id", item).ok()?;
    let location = canonical_id("location_id", location).ok()?;
    response
        .counts
        .iter()
        .find(|c| {
            c.catalog_object_id == item
                && c.location_id == location
                && c.state == pb::InventoryState::InStock as i32
        })
        .map(level_to_json)
}

// ---- errors ----

/// A refused call: its HTTP status and Shopify's `{"errors": …}` — a string for a refusal
/// of the whole call, `{field: [messages]}` for invalid fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub status: StatusCode,
    pub errors: serde_json::Value,
    /// Whole seconds after which a retry may succeed (sent as `Retry-After`), if known.
    pub retry_after: Option<u64>,
}

/// Shopify's error envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = ShopifyErrorEnvelope)]
pub struct ErrorEnvelope {
    /// A message, or messages per field.
    #[schema(value_type = Object)]
    pub errors: serde_json::Value,
}

impl Refusal {
    /// A refusal of the whole call: `{"errors": "message"}`.
    pub fn message(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            errors: serde_json::Value::String(message.into()),
            retry_after: None,
        }
    }

    /// One invalid field: 422 `{"errors": {field: [detail]}}`.
    pub fn invalid(field: &str, detail: impl Into<String>) -> Refusal {
        Refusal::fields(
            StatusCode::UNPROCESSABLE_ENTITY,
            [(field.to_owned(), detail.into())],
        )
    }

    fn fields(status: StatusCode, messages: impl IntoIterator<Item = (String, String)>) -> Refusal {
        let mut map = serde_json::Map::new();
        for (field, message) in messages {
            let entry = map
                .entry(field)
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(list) = entry {
                list.push(serde_json::Value::String(message));
            }
        }
        Refusal {
            status,
            errors: serde_json::Value::Object(map),
            retry_after: None,
        }
    }

    /// The envelope sent.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            errors: self.errors.clone(),
        }
    }
}

/// Shopify's name for a field path of the services' requests: the last name of the path
/// without its index (`inventory_item.sku` is `sku`, `ids[3]` is `ids`), in Shopify's words
/// (`catalog_object_id` is `inventory_item_id`, a change's `quantity` is `quantity_field`,
/// the name the call used for it).
pub fn shopify_field(path: &str, quantity_field: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    let name = last.split('[').next().unwrap_or(last);
    match name {
        "catalog_object_id" => "inventory_item_id",
        "catalog_object_ids" => "inventory_item_ids",
        "updated_after" => "updated_at_min",
        "cursor" => "page_info",
        "quantity" => quantity_field,
        other => other,
    }
    .to_owned()
}

/// A message with Stockledger's reason, which Shopify's shape has no place for.
fn with_reason(message: &str, reason: &str) -> String {
    if reason.is_empty() {
        message.to_owned()
    } else {
        format!("{message} ({reason})")
    }
}

/// Shopify's answer to a status the services gave: invalid fields as 422 with Shopify's
/// field names, everything else as a status and a message.
pub fn refusal_from_status(status: &Status, quantity_field: &str) -> Refusal {
    let details = RefusalDetails::of(status);
    let reason = details.reason.as_str();
    let violations = &details.violations;
    let field = details.field.as_deref();
    let mut refusal = match status.code() {
        Code::InvalidArgument
        | Code::OutOfRange
        | Code::FailedPrecondition
        | Code::AlreadyExists
            if !violations.is_empty() =>
        {
            Refusal::fields(
                StatusCode::UNPROCESSABLE_ENTITY,
                violations.iter().map(|v| {
                    let reason = if v.reason.is_empty() {
                        reason
                    } else {
                        &v.reason
                    };
                    (
                        shopify_field(&v.field, quantity_field),
                        with_reason(&v.description, reason),
                    )
                }),
            )
        }
        Code::InvalidArgument
        | Code::OutOfRange
        | Code::FailedPrecondition
        | Code::AlreadyExists => Refusal::fields(
            StatusCode::UNPROCESSABLE_ENTITY,
            [(
                field.map_or_else(|| "base".to_owned(), |f| shopify_field(f, quantity_field)),
                with_reason(status.message(), reason),
            )],
        ),
        Code::NotFound => Refusal::message(StatusCode::NOT_FOUND, "Not Found"),
        Code::Unauthenticated => Refusal::message(
            StatusCode::UNAUTHORIZED,
            format!("[API] {}", with_reason(status.message(), reason)),
        ),
        Code::PermissionDenied => Refusal::message(
            StatusCode::FORBIDDEN,
            format!("[API] {}", with_reason(status.message(), reason)),
        ),
        Code::ResourceExhausted if reason == reasons::REQUEST_TOO_LARGE => {
            Refusal::message(StatusCode::PAYLOAD_TOO_LARGE, status.message())
        }
        Code::ResourceExhausted => Refusal::message(
            StatusCode::TOO_MANY_REQUESTS,
            with_reason(status.message(), reason),
        ),
        Code::Aborted => {
            Refusal::message(StatusCode::CONFLICT, with_reason(status.message(), reason))
        }
        Code::Unavailable => Refusal::message(
            StatusCode::SERVICE_UNAVAILABLE,
            with_reason(status.message(), reason),
        ),
        Code::DeadlineExceeded | Code::Cancelled => {
            Refusal::message(StatusCode::GATEWAY_TIMEOUT, status.message())
        }
        _ => Refusal::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            with_reason(status.message(), reason),
        ),
    };
    refusal.retry_after = details.retry_after;
    refusal
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

    fn full_item() -> pb::InventoryItem {
        pb::InventoryItem {
            id: "01a20c5a-8f67-7031-9d39-e3d5cae5d630".into(),
            sku: "MUG-RED".into(),
            cost: "12.5".into(),
            country_code_of_origin: "CA".into(),
            province_code_of_origin: "QC".into(),
            harmonized_system_code: "691200".into(),
            country_harmonized_system_codes: vec![pb::CountryHarmonizedSystemCode {
                harmonized_system_code: "6912004400".into(),
                country_code: "US".into(),
            }],
            tracked: Some(false),
            requires_shipping: Some(false),
            created_at: ts(1_795_000_000, 0),
            updated_at: ts(1_795_000_001, 250_000_000),
        }
    }

    /// Every field of an item as Shopify answers it, set and empty.
    #[test]
    fn every_field_of_an_item() {
        let table = [
            (
                full_item(),
                json!({
                    "id": "01a20c5a-8f67-7031-9d39-e3d5cae5d630",
                    "sku": "MUG-RED",
                    "cost": "12.50",
                    "country_code_of_origin": "CA",
                    "province_code_of_origin": "QC",
                    "harmonized_system_code": "691200",
                    "country_harmonized_system_codes": [
                        {"harmonized_system_code": "6912004400", "country_code": "US"}
                    ],
                    "tracked": false,
                    "requires_shipping": false,
                    "created_at": "2026-11-18T11:06:40Z",
                    "updated_at": "2026-11-18T11:06:41.250Z",
                    "admin_graphql_api_id":
                        "gid://shopify/InventoryItem/01a20c5a-8f67-7031-9d39-e3d5cae5d630",
                }),
            ),
            (
                pb::InventoryItem {
                    id: "01a20c5a-8f67-7031-9d39-e3d5cae5d630".into(),
                    ..Default::default()
                },
                json!({
                    "id": "01a20c5a-8f67-7031-9d39-e3d5cae5d630",
                    "sku": null,
                    "cost": null,
                    "country_code_of_origin": null,
                    "province_code_of_origin": null,
                    "harmonized_system_code": null,
                    "country_harmonized_system_codes": [],
                    "tracked": true,
                    "requires_shipping": true,
                    "created_at": null,
                    "updated_at": null,
                    "admin_graphql_api_id":
                        "gid://shopify/InventoryItem/01a20c5a-8f67-7031-9d39-e3d5cae5d630",
                }),
            ),
        ];
        for (item, expected) in table {
            assert_eq!(serde_json::to_value(item_to_json(&item)).unwrap(), expected);
        }
    }

    #[test]
    fn cost_has_at_least_two_decimals() {
        for (stored, shown) in [
            ("25", "25.00"),
            ("25.5", "25.50"),
            ("0", "0.00"),
            ("1.23456", "1.23456"),
            ("92233720368547.75807", "92233720368547.75807"),
            ("12345678901234.5", "12345678901234.50"),
        ] {
            assert_eq!(cost_to_json(stored).as_deref(), Some(shown), "{stored}");
        }
    }

    /// Each field of a PUT: absent leaves it out of the mask, null clears it, a value sets
    /// it; read-only fields are ignored.
    #[test]
    fn every_field_of_an_update() {
        let id = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";
        let table: Vec<(Value, Vec<&str>, pb::InventoryItem)> = vec![
            (json!({}), vec![], pb::InventoryItem::default()),
            (
                json!({"id": 5, "created_at": "x", "updated_at": null, "admin_graphql_api_id": "gid://shopify/InventoryItem/1"}),
                vec![],
                pb::InventoryItem::default(),
            ),
            (
                json!({"sku": "A-1"}),
                vec!["sku"],
                pb::InventoryItem {
                    sku: "A-1".into(),
                    ..Default::default()
                },
            ),
            (
                json!({"sku": null}),
                vec!["sku"],
                pb::InventoryItem::default(),
            ),
            (
                json!({"cost": "30.00"}),
                vec!["cost"],
                pb::InventoryItem {
                    cost: "30.00".into(),
                    ..Default::default()
                },
            ),
            (
                json!({"cost": null}),
                vec!["cost"],
                pb::InventoryItem::default(),
            ),
            (
                json!({"country_code_of_origin": "FR", "province_code_of_origin": null}),
                vec!["country_code_of_origin", "province_code_of_origin"],
                pb::InventoryItem {
                    country_code_of_origin: "FR".into(),
                    ..Default::default()
                },
            ),
            (
                json!({"harmonized_system_code": "691200"}),
                vec!["harmonized_system_code"],
                pb::InventoryItem {
                    harmonized_system_code: "691200".into(),
                    ..Default::default()
                },
            ),
            (
                json!({"country_harmonized_system_codes": [{"harmonized_system_code": "6912004400", "country_code": "US"}]}),
                vec!["country_harmonized_system_codes"],
                pb::InventoryItem {
                    country_harmonized_system_codes: vec![pb::CountryHarmonizedSystemCode {
                        harmonized_system_code: "6912004400".into(),
                        country_code: "US".into(),
                    }],
                    ..Default::default()
                },
            ),
            (
                json!({"country_harmonized_system_codes": [{"harmonized_system_code": "691200", "country_code": null}]}),
                vec!["country_harmonized_system_codes"],
                pb::InventoryItem {
                    country_harmonized_system_codes: vec![pb::CountryHarmonizedSystemCode {
                        harmonized_system_code: "691200".into(),
                        country_code: String::new(),
                    }],
                    ..Default::default()
                },
            ),
            (
                json!({"country_harmonized_system_codes": null}),
                vec!["country_harmonized_system_codes"],
                pb::InventoryItem::default(),
            ),
            (
                json!({"tracked": false, "requires_shipping": true}),
                vec!["tracked", "requires_shipping"],
                pb::InventoryItem {
                    tracked: Some(false),
                    requires_shipping: Some(true),
                    ..Default::default()
                },
            ),
            (
                json!({"tracked": null}),
                vec![],
                pb::InventoryItem::default(),
            ),
        ];
        for (body, mask, mut expected) in table {
            let update: InventoryItemUpdateRequest =
                serde_json::from_value(json!({ "inventory_item": body.clone() })).unwrap();
            let request = item_update_from_json(id, &update.inventory_item);
            expected.id = id.into();
            assert_eq!(request.inventory_item, Some(expected), "{body}");
            assert_eq!(request.update_mask.unwrap().paths, mask, "{body}");
        }
    }

    #[test]
    fn unknown_and_mistyped_update_fields_are_refused() {
        for body in [
            json!({"inventory_item": {"weight": 1}}),
            json!({"inventory_item": {"cost": 25.5}}),
            json!({"inventory_item": {"tracked": "yes"}}),
            json!({"item": {}}),
        ] {
            assert!(
                serde_json::from_value::<InventoryItemUpdateRequest>(body.clone()).is_err(),
                "{body}"
            );
        }
    }

    /// Level quantities are read exactly as written, never through a float.
    #[test]
    fn level_quantities_are_exact() {
        let table: [(&str, Result<&str, ()>); 9] = [
            ("42", Ok("42")),
            ("-2", Ok("-2")),
            ("0.5", Ok("0.5")),
            ("0.30000000000000004", Ok("0.30000000000000004")),
            ("\"40.5\"", Ok("40.5")),
            (
                "123456789012345678901234567890",
                Ok("123456789012345678901234567890"),
            ),
            ("\"abc\"", Err(())),
            ("true", Err(())),
            ("null", Err(())),
        ];
        for (json_text, expected) in table {
            let raw = RawValue::from_string(json_text.to_owned()).unwrap();
            assert_eq!(
                quantity_from_json(&raw).as_deref().map_err(|_| ()),
                expected,
                "{json_text}"
            );
        }
        for (quantity, number) in [("94", "94"), ("40.50000", "40.5"), ("-3", "-3"), ("0", "0")] {
            assert_eq!(quantity_to_json(quantity).get(), number, "{quantity}");
        }
    }

    #[test]
    fn every_field_of_a_level() {
        let count = pb::InventoryCount {
            catalog_object_id: "item-1".into(),
            catalog_object_type: "INVENTORY_ITEM".into(),
            state: pb::InventoryState::InStock as i32,
            location_id: "loc-1".into(),
            quantity: "40.5".into(),
            calculated_at: ts(1_795_000_000, 0),
            is_estimated: false,
        };
        assert_eq!(
            serde_json::to_string(&level_to_json(&count)).unwrap(),
            concat!(
                r#"{"inventory_item_id":"item-1","location_id":"loc-1","available":40.5,"#,
                r#""updated_at":"2026-11-18T11:06:40Z","#,
                r#""admin_graphql_api_id":"gid://shopify/InventoryLevel/loc-1?inventory_item_id=item-1"}"#
            )
        );
    }

    #[test]
    fn set_is_a_physical_count_and_adjust_a_signed_adjustment() {
        use pb::inventory_change::Change;
        let set: SetLevelRequest = serde_json::from_str(
            r#"{"location_id": "loc-1", "inventory_item_id": "item-1", "available": 42, "disconnect_if_necessary": false}"#,
        )
        .unwrap();
        let batch = set_level_batch("k".into(), &set).unwrap();
        assert_eq!(batch.idempotency_key, "k");
        assert_eq!(
            batch.changes[0].change,
            Some(Change::PhysicalCount(pb::InventoryPhysicalCount {
                catalog_object_id: "item-1".into(),
                location_id: "loc-1".into(),
                state: pb::InventoryState::InStock as i32,
                quantity: "42".into(),
                ..Default::default()
            }))
        );
        let table = [
            (
                "5",
                pb::InventoryState::None,
                pb::InventoryState::InStock,
                "5",
            ),
            (
                "+5",
                pb::InventoryState::None,
                pb::InventoryState::InStock,
                "5",
            ),
            (
                "-2.5",
                pb::InventoryState::InStock,
                pb::InventoryState::Waste,
                "2.5",
            ),
            (
                "0",
                pb::InventoryState::None,
                pb::InventoryState::InStock,
                "0",
            ),
        ];
        for (signed, from, to, quantity) in table {
            let adjust: AdjustLevelRequest = serde_json::from_str(&format!(
                r#"{{"location_id": "loc-1", "inventory_item_id": "item-1", "available_adjustment": {signed}}}"#
            ))
            .unwrap_or_else(|_| {
                serde_json::from_str(&format!(
                    r#"{{"location_id": "loc-1", "inventory_item_id": "item-1", "available_adjustment": "{signed}"}}"#
                ))
                .unwrap()
            });
            let batch = adjust_level_batch("k".into(), &adjust).unwrap();
            assert_eq!(
                batch.changes[0].change,
                Some(Change::Adjustment(pb::InventoryAdjustment {
                    catalog_object_id: "item-1".into(),
                    location_id: "loc-1".into(),
                    from_state: from as i32,
                    to_state: to as i32,
                    quantity: quantity.into(),
                    ..Default::default()
                })),
                "{signed}"
            );
        }
        let bad: SetLevelRequest = serde_json::from_str(
            r#"{"location_id": "l", "inventory_item_id": "i", "available": [1]}"#,
        )
        .unwrap();
        let refusal = set_level_batch("k".into(), &bad).unwrap_err();
        assert_eq!(refusal.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refusal.errors["available"].is_array(),
            "{:?}",
            refusal.errors
        );
    }

    #[test]
    fn field_paths_in_shopifys_words() {
        for (path, quantity_field, name) in [
            ("inventory_item.sku", "quantity", "sku"),
            (
                "inventory_item.country_harmonized_system_codes[1].country_code",
                "quantity",
                "country_code",
            ),
            ("ids[3]", "quantity", "ids"),
            (
                "changes[0].adjustment.quantity",
                "available_adjustment",
                "available_adjustment",
            ),
            (
                "changes[0].physical_count.quantity",
                "available",
                "available",
            ),
            (
                "changes[0].adjustment.catalog_object_id",
                "available",
                "inventory_item_id",
            ),
            (
                "changes[0].adjustment.location_id",
                "available",
                "location_id",
            ),
            ("catalog_object_ids[0]", "available", "inventory_item_ids"),
            ("updated_after", "available", "updated_at_min"),
            ("cursor", "available", "page_info"),
            ("limit", "available", "limit"),
        ] {
            assert_eq!(shopify_field(path, quantity_field), name, "{path}");
        }
    }

    /// Each kind of refusal the services answer, in Shopify's shape.
    #[test]
    fn refusals_in_shopifys_shape() {
        let table: Vec<(ApiError, StatusCode, Value)> = vec![
            (
                Violation::new(
                    "inventory_item.cost",
                    reasons::VALUE_TOO_LOW,
                    "must be at least 0",
                )
                .into(),
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"cost": ["must be at least 0 (VALUE_TOO_LOW)"]}),
            ),
            (
                ApiError::AlreadyExists {
                    reason: reasons::ALREADY_EXISTS,
                    field: "location.name".into(),
                    message: "name \"A\" is taken".into(),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"name": ["name \"A\" is taken (ALREADY_EXISTS)"]}),
            ),
            (
                ApiError::not_found("inventory item", "id", "x"),
                StatusCode::NOT_FOUND,
                json!("Not Found"),
            ),
            (
                ApiError::Unauthenticated {
                    reason: reasons::ACCESS_TOKEN_REVOKED,
                    message: "revoked",
                },
                StatusCode::UNAUTHORIZED,
                json!("[API] revoked (ACCESS_TOKEN_REVOKED)"),
            ),
            (
                ApiError::PermissionDenied {
                    scope: Scope::InventoryWrite,
                },
                StatusCode::FORBIDDEN,
                Value::Null,
            ),
            (
                ApiError::Aborted {
                    reason: reasons::CONCURRENT_WRITES,
                    message: "the call met concurrent writes too often; retry it (with the same \
                              idempotency key for a batch)"
                        .into(),
                },
                StatusCode::CONFLICT,
                Value::Null,
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
                Value::Null,
            ),
        ];
        for (error, http, errors) in table {
            let status = Status::from(error);
            let refusal = refusal_from_status(&status, "available");
            assert_eq!(refusal.status, http, "{status:?}");
            if errors.is_null() {
                assert!(refusal.errors.is_string(), "{:?}", refusal.errors);
            } else {
                assert_eq!(refusal.errors, errors, "{status:?}");
            }
        }
        let several: ApiError = Violations(vec![
            Violation::new(
                "changes[0].physical_count.quantity",
                reasons::VALUE_TOO_LOW,
                "low",
            ),
            Violation::new(
                "changes[0].physical_count.location_id",
                reasons::INVALID_ID,
                "bad",
            ),
        ])
        .into();
        assert_eq!(
            refusal_from_status(&Status::from(several), "available").errors,
            json!({"available": ["low (VALUE_TOO_LOW)"], "location_id": ["bad (INVALID_ID)"]})
        );
    }
}
