//! The inventory mutations: `inventoryAdjustQuantities`, `inventorySetQuantities`,
//! `inventoryMoveQuantities` ([`moves`]), `inventoryActivate`, `inventoryDeactivate` and
//! `inventoryItemUpdate`, each one RPC of the ledger.
//!
//! - A mutation's changes are one `BatchChangeInventory` batch: all applied or none. A move
//!   is an adjustment between two names' states at one location, or a transfer of one name
//!   between two locations.
//! - `changeFromQuantity` (and the older `compareQuantity`) is the change's
//!   `expected_quantity`: a stale value refuses the whole batch under the group's locks, so
//!   concurrent writers never lose an update. It is mandatory on set from API version
//!   2026-04 and on adjust and on both ends of a move from 2026-07, as on Shopify (`null`
//!   opts out explicitly). A move's `to` end is compared by a guard that records nothing
//!   ([`moves`]).
//! - `inventoryDeactivate` writes nothing: the ledger keeps no inactive level, so a level
//!   holding stock is refused and an empty one is answered as it is (docs/shopify.md).
//! - `@idempotent(key:)` is the batch's idempotency key (mandatory from 2026-04): a retry
//!   with the same key and input answers the first result again, another input with the
//!   key is `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`.
//! - A refusal of the ledger is `userErrors` with Shopify's code and the input field's
//!   path (`["input", "changes", "0", "changeFromQuantity"]`); refusals before the ledger
//!   (token, scope, rate limit) are GraphQL errors.
//! - `referenceDocumentUri` is kept as each change's `reference_id`; `reason` must be one of
//!   Shopify's reasons, is kept as each change's `reason_id` (the ledger's reason type of the
//!   same name) and is answered back.

pub mod moves;

use async_graphql::{
    Context, CustomDirective, Directive, ID, InputObject, MaybeUndefined, Object, Result,
    SimpleObject,
};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use self::moves::{InventoryMoveQuantitiesInput, InventoryMoveQuantitiesPayload};
use super::gid::{self, Kind};
use super::objects::{InventoryItem, InventoryLevel, level_at};
use super::quantities::QuantityName;
use super::{ApiVersion, bad_argument, door, query_error};
use crate::api::ledger_wire::{reason_type_to_wire, state_to_wire};
use crate::domain::error::reasons;
use crate::domain::guard::{INSUFFICIENT_QUANTITY, QUANTITY_MISMATCH};
use crate::domain::ledger::InventoryState;
use crate::domain::reason::ReasonType;
use crate::domain::validate::check_idempotency_key;
use crate::gateway::{RefusalDetails, Rpc};
use crate::proto::v1::{
    self as pb, inventory_change::Change, inventory_item_service_server::InventoryItemService as _,
    inventory_service_server::InventoryService as _,
};

/// The names `inventoryAdjustQuantities` writes: each its own counted state.
const ADJUSTABLE: [QuantityName; 4] = [
    QuantityName::Available,
    QuantityName::Damaged,
    QuantityName::QualityControl,
    QuantityName::SafetyStock,
];

/// `@idempotent(key:)`: resolution goes on as usual; the mutation reads the key from its
/// field ([`idempotency_key`]).
struct Idempotent;

impl CustomDirective for Idempotent {}

/// Declares `directive @idempotent(key: String!) on FIELD`.
#[Directive(location = "Field")]
pub fn idempotent(key: String) -> impl CustomDirective {
    let _ = key;
    Idempotent
}

/// The batch's idempotency key: the field's `@idempotent(key:)`, or — before it became
/// mandatory — a new one (a retry without a key is another change, as on Shopify).
fn idempotency_key(ctx: &Context<'_>) -> Result<String> {
    let directives = ctx.field().directives()?;
    let sent = directives
        .iter()
        .filter(|d| d.name.node == "idempotent")
        .flat_map(|d| d.arguments.iter())
        .find(|(name, _)| name.node == "key")
        .map(|(_, value)| value.node.clone());
    match sent {
        Some(async_graphql::Value::String(key)) => {
            check_idempotency_key(&key)
                .map_err(|v| bad_argument("@idempotent(key:)", v.description))?;
            Ok(key)
        }
        Some(_) => Err(bad_argument("@idempotent(key:)", "must be a string")),
        None if door(ctx).version() >= ApiVersion::NEEDS_IDEMPOTENT => Err(bad_argument(
            "@idempotent",
            "this mutation needs the @idempotent(key: \"…\") directive from API version \
             2026-04",
        )),
        None => Ok(format!("shopify-graphql-{}", uuid::Uuid::new_v4())),
    }
}

/// A refusal of the input, as Shopify's `userErrors` entry.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// The path to the input field, when one is at fault.
    field: Option<Vec<String>>,
    /// What is wrong.
    message: String,
    /// Shopify's error code (`CHANGE_FROM_QUANTITY_STALE`, `INVALID_INVENTORY_ITEM`, …).
    code: Option<String>,
}

impl UserError {
    fn new(field: &[&str], message: impl Into<String>, code: &str) -> UserError {
        UserError {
            field: Some(field.iter().map(|f| (*f).to_owned()).collect()),
            message: message.into(),
            code: Some(code.to_owned()),
        }
    }
}

/// `inventoryAdjustQuantities`' input.
#[derive(InputObject)]
pub struct InventoryAdjustQuantitiesInput {
    /// The quantity changed: `available`, `damaged`, `quality_control` or `safety_stock`.
    name: String,
    /// One of Shopify's reasons (`correction`, `received`, …).
    reason: String,
    /// Kept as each change's `reference_id`.
    reference_document_uri: Option<String>,
    /// The changes, one batch.
    changes: Vec<InventoryChangeInput>,
}

/// One change of `inventoryAdjustQuantities`.
#[derive(InputObject)]
pub struct InventoryChangeInput {
    /// Signed: positive receives into the name's state (NONE → IN_STOCK for `available`),
    /// negative writes off from it (IN_STOCK → WASTE).
    delta: i32,
    inventory_item_id: ID,
    location_id: ID,
    /// Accepted for Shopify's non-available names; not used for `available`.
    ledger_document_uri: Option<String>,
    /// The `available` quantity expected before the change (`null`: no check).
    change_from_quantity: MaybeUndefined<i32>,
}

/// `inventorySetQuantities`' input.
#[derive(InputObject)]
pub struct InventorySetQuantitiesInput {
    /// `available` (on_hand is not set through Stockledger: set available).
    name: String,
    /// One of Shopify's reasons.
    reason: String,
    /// Kept as each change's `reference_id`.
    reference_document_uri: Option<String>,
    /// The quantities to set, one batch.
    quantities: Vec<InventoryQuantityInput>,
    /// Before 2026-04: `true` skips the compare-and-swap of every quantity.
    ignore_compare_quantity: Option<bool>,
}

/// One quantity of `inventorySetQuantities`.
#[derive(InputObject)]
pub struct InventoryQuantityInput {
    inventory_item_id: ID,
    location_id: ID,
    /// The new quantity (a physical count of IN_STOCK).
    quantity: i32,
    /// The quantity expected now (2026-04 on; `null` opts out).
    change_from_quantity: MaybeUndefined<i32>,
    /// The quantity expected now (before 2026-04).
    compare_quantity: Option<i32>,
}

/// A mutation's recorded batch, as Shopify's `InventoryAdjustmentGroup`.
#[derive(SimpleObject)]
pub struct InventoryAdjustmentGroup {
    /// `gid://shopify/InventoryAdjustmentGroup/<id of the batch's first change>`.
    id: ID,
    /// RFC 3339, UTC.
    created_at: Option<String>,
    /// The reason sent.
    reason: String,
    /// The reference sent.
    reference_document_uri: Option<String>,
    /// One per change sent.
    changes: Vec<InventoryChange>,
}

/// One change of a group.
#[derive(SimpleObject)]
pub struct InventoryChange {
    /// The quantity changed.
    name: String,
    /// How much it changed; `null` for a set without a compare-and-swap (the quantity it
    /// replaced was not checked).
    delta: Option<i32>,
    /// The quantity right after this change.
    quantity_after_change: Option<i32>,
    /// `gid://shopify/InventoryItem/…`.
    item_id: ID,
    /// `gid://shopify/Location/…`.
    location_id: ID,
}

/// `inventoryAdjustQuantities`' answer.
#[derive(SimpleObject)]
pub struct InventoryAdjustQuantitiesPayload {
    inventory_adjustment_group: Option<InventoryAdjustmentGroup>,
    user_errors: Vec<UserError>,
}

/// `inventorySetQuantities`' answer.
#[derive(SimpleObject)]
pub struct InventorySetQuantitiesPayload {
    inventory_adjustment_group: Option<InventoryAdjustmentGroup>,
    user_errors: Vec<UserError>,
}

/// `inventoryActivate`'s answer.
#[derive(SimpleObject)]
pub struct InventoryActivatePayload {
    inventory_level: Option<InventoryLevel>,
    user_errors: Vec<UserError>,
}

/// `inventoryDeactivate`'s answer: Shopify's plain user errors (`field`, `message`; no
/// `code`).
#[derive(SimpleObject)]
pub struct InventoryDeactivatePayload {
    /// Why the level was not deactivated; empty when it holds nothing.
    user_errors: Vec<UserError>,
}

/// `inventoryItemUpdate`'s input: the fields present are updated, `null` clears a text.
#[derive(InputObject)]
pub struct InventoryItemInput {
    sku: MaybeUndefined<String>,
    tracked: Option<bool>,
    requires_shipping: Option<bool>,
    /// A decimal string.
    cost: MaybeUndefined<String>,
    country_code_of_origin: MaybeUndefined<String>,
    province_code_of_origin: MaybeUndefined<String>,
    harmonized_system_code: MaybeUndefined<String>,
}

/// `inventoryItemUpdate`'s answer.
#[derive(SimpleObject)]
pub struct InventoryItemUpdatePayload {
    inventory_item: Option<InventoryItem>,
    user_errors: Vec<UserError>,
}

/// The mutation root.
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Applies signed changes to `available`, all or none.
    async fn inventory_adjust_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventoryAdjustQuantitiesInput,
    ) -> Result<InventoryAdjustQuantitiesPayload> {
        let key = idempotency_key(ctx)?;
        let needs_change_from = door(ctx).version() >= ApiVersion::ADJUST_NEEDS_CHANGE_FROM;
        let plan = plan_adjust(&input, needs_change_from);
        let (group, user_errors) = match plan {
            Ok(changes) => {
                let name = QuantityName::parse(&input.name).unwrap_or(QuantityName::Available);
                let sent = Sent::Adjust { name };
                let reference = input.reference_document_uri.clone();
                write(ctx, key, changes, sent, &input.reason, reference).await?
            }
            Err(errors) => (None, errors),
        };
        Ok(InventoryAdjustQuantitiesPayload {
            inventory_adjustment_group: group,
            user_errors,
        })
    }

    /// Sets `available` to absolute quantities (physical counts), all or none, each
    /// compared first with the quantity the caller expects.
    async fn inventory_set_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventorySetQuantitiesInput,
    ) -> Result<InventorySetQuantitiesPayload> {
        let key = idempotency_key(ctx)?;
        let version = door(ctx).version();
        let (group, user_errors) = match plan_set(&input, version) {
            Ok((changes, sent)) => {
                let reference = input.reference_document_uri.clone();
                write(ctx, key, changes, sent, &input.reason, reference).await?
            }
            Err(errors) => (None, errors),
        };
        Ok(InventorySetQuantitiesPayload {
            inventory_adjustment_group: group,
            user_errors,
        })
    }

    /// Stocks an item at a location: its `available` starts at `available` (default 0).
    /// An item already stocked there is answered as it is, unchanged.
    async fn inventory_activate(
        &self,
        ctx: &Context<'_>,
        inventory_item_id: ID,
        location_id: ID,
        available: Option<i32>,
    ) -> Result<InventoryActivatePayload> {
        let item = gid::parse(Kind::InventoryItem, &inventory_item_id);
        let location = gid::parse(Kind::Location, &location_id);
        let (item, location) = match (item, location) {
            (Ok(item), Ok(location)) => (item, location),
            (Err(e), _) => {
                return Ok(activate_refused(UserError::new(
                    &["inventoryItemId"],
                    e,
                    "INVALID_INVENTORY_ITEM",
                )));
            }
            (_, Err(e)) => {
                return Ok(activate_refused(UserError::new(
                    &["locationId"],
                    e,
                    "INVALID_LOCATION",
                )));
            }
        };
        let quantity = available.unwrap_or(0);
        if quantity < 0 {
            let error = UserError::new(
                &["available"],
                "must not be negative",
                "INVALID_QUANTITY_NEGATIVE",
            );
            return Ok(activate_refused(error));
        }
        // Absent, not zero: a level that exists is never overwritten, however it races.
        let change = physical_count(&item, &location, quantity, Some("ABSENT".into()), None);
        let key = format!("shopify-graphql-activate-{}", uuid::Uuid::new_v4());
        let request = batch(key, vec![change]);
        match submit(ctx, request).await? {
            Ok(_) => {}
            Err(details) if details.reason == QUANTITY_MISMATCH => {}
            Err(details) => {
                let error = user_error(&details, Sent::Activate);
                return Ok(activate_refused(error));
            }
        }
        Ok(InventoryActivatePayload {
            inventory_level: level_at(ctx, item, location).await?,
            user_errors: Vec::new(),
        })
    }

    /// Moves quantities of items between names at one location (an adjustment between
    /// their states) or between locations under one name (a transfer), all or none.
    async fn inventory_move_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventoryMoveQuantitiesInput,
    ) -> Result<InventoryMoveQuantitiesPayload> {
        let key = idempotency_key(ctx)?;
        let needs_change_from = door(ctx).version() >= ApiVersion::MOVE_NEEDS_CHANGE_FROM;
        let (group, user_errors) = match moves::plan(&input, needs_change_from) {
            Ok(changes) => {
                let reference = Some(input.reference_document_uri.clone());
                write(ctx, key, changes, Sent::Move, &input.reason, reference).await?
            }
            Err(errors) => (None, errors),
        };
        Ok(InventoryMoveQuantitiesPayload {
            inventory_adjustment_group: group,
            user_errors,
        })
    }

    /// Deactivates a level that holds nothing: the ledger keeps no inactive level and never
    /// writes stock off on its own, so a level holding stock is refused, and an empty one is
    /// answered without a change (its counts stay, at zero, in the history).
    async fn inventory_deactivate(
        &self,
        ctx: &Context<'_>,
        inventory_level_id: ID,
    ) -> Result<InventoryDeactivatePayload> {
        let refused = |message: String| InventoryDeactivatePayload {
            user_errors: vec![UserError {
                field: Some(vec!["inventoryLevelId".into()]),
                message,
                code: None,
            }],
        };
        let (location, item) = match gid::parse_level(&inventory_level_id) {
            Ok(ids) => ids,
            Err(e) => return Ok(refused(e)),
        };
        let Some(level) = level_at(ctx, item, location).await? else {
            return Ok(refused(
                "the item is not stocked at this location: there is no level to deactivate".into(),
            ));
        };
        let held = level.held();
        if !held.is_empty() {
            return Ok(refused(format!(
                "the level still holds stock ({held}): move it or write it off first — \
                 Stockledger never removes stock from the ledger on its own"
            )));
        }
        Ok(InventoryDeactivatePayload {
            user_errors: Vec::new(),
        })
    }

    /// Updates an item's fields present in `input`.
    async fn inventory_item_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: InventoryItemInput,
    ) -> Result<InventoryItemUpdatePayload> {
        let id = match gid::parse(Kind::InventoryItem, &id) {
            Ok(id) => id,
            Err(e) => {
                return Ok(InventoryItemUpdatePayload {
                    inventory_item: None,
                    user_errors: vec![UserError::new(&["id"], e, "INVALID")],
                });
            }
        };
        let request = item_update(id, input);
        let api = door(ctx).gateway.items();
        let answer = door(ctx)
            .call(Rpc::Items("UpdateInventoryItem"), request, |r| async move {
                api.update_inventory_item(r).await
            })
            .await;
        match answer {
            Ok(answer) => Ok(InventoryItemUpdatePayload {
                inventory_item: answer.inventory_item.map(InventoryItem),
                user_errors: Vec::new(),
            }),
            Err(status) if is_input_refusal(&status) => {
                let details = RefusalDetails::of(&status);
                let field = details
                    .field
                    .as_deref()
                    .map(|f| camel_case(f.rsplit('.').next().unwrap_or(f)));
                let path = match &field {
                    Some(f) if f == "id" => vec!["id".to_owned()],
                    Some(f) => vec!["input".to_owned(), f.clone()],
                    None => vec!["input".to_owned()],
                };
                Ok(InventoryItemUpdatePayload {
                    inventory_item: None,
                    user_errors: vec![UserError {
                        field: Some(path),
                        message: status.message().to_owned(),
                        code: Some(if status.code() == Code::NotFound {
                            "NOT_FOUND".into()
                        } else {
                            "INVALID".into()
                        }),
                    }],
                })
            }
            Err(status) => Err(query_error(status)),
        }
    }
}

fn activate_refused(error: UserError) -> InventoryActivatePayload {
    InventoryActivatePayload {
        inventory_level: None,
        user_errors: vec![error],
    }
}

/// `inventory_item.country_code_of_origin` → `countryCodeOfOrigin`.
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn item_update(id: String, input: InventoryItemInput) -> pb::UpdateInventoryItemRequest {
    let mut item = pb::InventoryItem {
        id,
        ..Default::default()
    };
    let mut paths = Vec::new();
    let mut text = |value: MaybeUndefined<String>, path: &str, slot: &mut String| {
        if !value.is_undefined() {
            *slot = value.take().unwrap_or_default();
            paths.push(path.to_owned());
        }
    };
    text(input.sku, "sku", &mut item.sku);
    text(input.cost, "cost", &mut item.cost);
    text(
        input.country_code_of_origin,
        "country_code_of_origin",
        &mut item.country_code_of_origin,
    );
    text(
        input.province_code_of_origin,
        "province_code_of_origin",
        &mut item.province_code_of_origin,
    );
    text(
        input.harmonized_system_code,
        "harmonized_system_code",
        &mut item.harmonized_system_code,
    );
    if let Some(tracked) = input.tracked {
        item.tracked = Some(tracked);
        paths.push("tracked".into());
    }
    if let Some(requires_shipping) = input.requires_shipping {
        item.requires_shipping = Some(requires_shipping);
        paths.push("requires_shipping".into());
    }
    pb::UpdateInventoryItemRequest {
        inventory_item: Some(item),
        update_mask: Some(prost_types::FieldMask { paths }),
    }
}

/// Which mutation a batch came from, to name its input fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    /// An adjust of the quantity `name`.
    Adjust {
        name: QuantityName,
    },
    /// A set; `compare` when the caller used `compareQuantity` rather than
    /// `changeFromQuantity`.
    Set {
        compare: bool,
    },
    Activate,
    /// A move: its changes' fields are named by [`moves::origins`].
    Move,
}

impl Sent {
    /// The quantity the batch writes.
    fn name(self) -> QuantityName {
        match self {
            Sent::Adjust { name } => name,
            Sent::Set { .. } | Sent::Activate | Sent::Move => QuantityName::Available,
        }
    }

    /// The input path of change `index`'s `leaf` (a proto field name).
    fn field(self, index: Option<usize>, leaf: &str) -> Vec<String> {
        let (list, quantity, expected) = match self {
            Sent::Adjust { .. } => ("changes", "delta", "changeFromQuantity"),
            Sent::Set { compare } => (
                "quantities",
                "quantity",
                if compare {
                    "compareQuantity"
                } else {
                    "changeFromQuantity"
                },
            ),
            // A move's fields are named by its origins (`moves::user_error`), not here.
            Sent::Move => return vec!["input".into(), "changes".into()],
            Sent::Activate => {
                let name = match leaf {
                    "catalog_object_id" => "inventoryItemId",
                    "location_id" => "locationId",
                    _ => "available",
                };
                return vec![name.to_owned()];
            }
        };
        let name = match leaf {
            "catalog_object_id" => "inventoryItemId",
            "location_id" => "locationId",
            "quantity" => quantity,
            "expected_quantity" => expected,
            "reference_id" => return vec!["input".into(), "referenceDocumentUri".into()],
            _ => return vec!["input".into()],
        };
        match index {
            Some(i) => vec!["input".into(), list.into(), i.to_string(), name.into()],
            None => vec!["input".into(), list.into()],
        }
    }
}

/// Checks shared by both mutations: the name, the reason and the reference.
fn check_common(name: &str, reason: &str, writable: &[QuantityName]) -> Vec<UserError> {
    let mut errors = Vec::new();
    match QuantityName::parse(name) {
        Ok(named) if writable.contains(&named) => {}
        Ok(named) => errors.push(UserError::new(
            &["input", "name"],
            format!(
                "`{}` cannot be written by this mutation: it writes {} (reserved moves only \
                 through reservations, on_hand is a sum)",
                named.as_str(),
                writable
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "INVALID_QUANTITY_NAME",
        )),
        Err(e) => errors.push(UserError::new(
            &["input", "name"],
            e,
            "INVALID_QUANTITY_NAME",
        )),
    }
    errors.extend(check_reason(reason));
    errors
}

/// The user error of a reason outside Shopify's list, on `input.reason`.
fn check_reason(reason: &str) -> Option<UserError> {
    ReasonType::from_shopify(reason).is_none().then(|| {
        let mut known: Vec<String> = ReasonType::ALL
            .iter()
            .filter_map(|t| t.shopify_name())
            .collect();
        known.sort();
        UserError::new(
            &["input", "reason"],
            format!(
                "`{reason}` is not one of Shopify's reasons ({})",
                known.join(", ")
            ),
            "INVALID_REASON",
        )
    })
}

/// The id a change names, or the user error naming its field.
fn parse_ids(
    sent: Sent,
    index: usize,
    item: &ID,
    location: &ID,
) -> Result<(String, String), UserError> {
    let item = gid::parse(Kind::InventoryItem, item).map_err(|e| UserError {
        field: Some(sent.field(Some(index), "catalog_object_id")),
        message: e,
        code: Some("INVALID_INVENTORY_ITEM".into()),
    })?;
    let location = gid::parse(Kind::Location, location).map_err(|e| UserError {
        field: Some(sent.field(Some(index), "location_id")),
        message: e,
        code: Some("INVALID_LOCATION".into()),
    })?;
    Ok((item, location))
}

/// A physical count of IN_STOCK.
fn physical_count(
    item: &str,
    location: &str,
    quantity: i32,
    expected: Option<String>,
    reference: Option<&str>,
) -> pb::InventoryChange {
    pb::InventoryChange {
        r#type: pb::InventoryChangeType::PhysicalCount as i32,
        change: Some(Change::PhysicalCount(pb::InventoryPhysicalCount {
            catalog_object_id: item.to_owned(),
            location_id: location.to_owned(),
            state: state_to_wire(InventoryState::InStock),
            quantity: quantity.to_string(),
            reference_id: reference.unwrap_or_default().to_owned(),
            ..Default::default()
        })),
        expected_quantity: expected,
    }
}

/// The changes an adjust stands for, or every user error of its input.
fn plan_adjust(
    input: &InventoryAdjustQuantitiesInput,
    needs_change_from: bool,
) -> Result<Vec<(pb::InventoryChange, Option<i32>)>, Vec<UserError>> {
    let mut errors = check_common(&input.name, &input.reason, &ADJUSTABLE);
    let state = QuantityName::parse(&input.name)
        .ok()
        .and_then(QuantityName::writable_state)
        .unwrap_or(InventoryState::InStock);
    let reference = input.reference_document_uri.as_deref().unwrap_or_default();
    let mut changes = Vec::new();
    for (i, change) in input.changes.iter().enumerate() {
        let (item, location) = match parse_ids(
            Sent::Adjust {
                name: QuantityName::Available,
            },
            i,
            &change.inventory_item_id,
            &change.location_id,
        ) {
            Ok(ids) => ids,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if change.change_from_quantity.is_undefined() && needs_change_from {
            errors.push(UserError::new(
                &["input", "changes", &i.to_string(), "changeFromQuantity"],
                "changeFromQuantity is required from API version 2026-07 (send null to skip \
                 the check)",
                "CHANGE_FROM_QUANTITY_REQUIRED",
            ));
        }
        let (from, to) = if change.delta < 0 {
            (state, InventoryState::Waste)
        } else {
            (InventoryState::None, state)
        };
        let adjustment = pb::InventoryAdjustment {
            catalog_object_id: item,
            location_id: location,
            from_state: state_to_wire(from),
            to_state: state_to_wire(to),
            quantity: change.delta.unsigned_abs().to_string(),
            reference_id: reference.to_owned(),
            ..Default::default()
        };
        let expected = change.change_from_quantity.value().copied();
        changes.push((
            pb::InventoryChange {
                r#type: pb::InventoryChangeType::Adjustment as i32,
                change: Some(Change::Adjustment(adjustment)),
                expected_quantity: expected.map(|q| q.to_string()),
            },
            Some(change.delta),
        ));
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// The physical counts a set stands for, or every user error of its input.
#[allow(clippy::type_complexity)]
fn plan_set(
    input: &InventorySetQuantitiesInput,
    version: ApiVersion,
) -> Result<(Vec<(pb::InventoryChange, Option<i32>)>, Sent), Vec<UserError>> {
    let mut errors = check_common(&input.name, &input.reason, &[QuantityName::Available]);
    let reference = input.reference_document_uri.as_deref();
    let compare = input
        .quantities
        .iter()
        .any(|q| q.compare_quantity.is_some());
    let sent = Sent::Set { compare };
    let modern = version >= ApiVersion::SET_NEEDS_CHANGE_FROM;
    let mut changes = Vec::new();
    for (i, quantity) in input.quantities.iter().enumerate() {
        let index = i.to_string();
        let (item, location) =
            match parse_ids(sent, i, &quantity.inventory_item_id, &quantity.location_id) {
                Ok(ids) => ids,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
        if quantity.quantity < 0 {
            errors.push(UserError::new(
                &["input", "quantities", &index, "quantity"],
                "the quantity can't be negative",
                "INVALID_QUANTITY_NEGATIVE",
            ));
        }
        let expected = if modern {
            if quantity.change_from_quantity.is_undefined() {
                errors.push(UserError::new(
                    &["input", "quantities", &index, "changeFromQuantity"],
                    "changeFromQuantity is required from API version 2026-04 (send null to \
                     skip the check)",
                    "COMPARE_QUANTITY_REQUIRED",
                ));
            }
            quantity.change_from_quantity.value().copied()
        } else if input.ignore_compare_quantity == Some(true) {
            None
        } else {
            if quantity.compare_quantity.is_none() {
                errors.push(UserError::new(
                    &["input", "quantities", &index, "compareQuantity"],
                    "compareQuantity is required unless ignoreCompareQuantity is true",
                    "COMPARE_QUANTITY_REQUIRED",
                ));
            }
            quantity.compare_quantity
        };
        let delta = expected.map(|e| quantity.quantity.saturating_sub(e));
        let change = physical_count(
            &item,
            &location,
            quantity.quantity,
            expected.map(|q| q.to_string()),
            reference,
        );
        changes.push((change, delta));
    }
    if errors.is_empty() {
        Ok((changes, sent))
    } else {
        Err(errors)
    }
}

fn batch(key: String, changes: Vec<pb::InventoryChange>) -> pb::BatchChangeInventoryRequest {
    pb::BatchChangeInventoryRequest {
        idempotency_key: key,
        changes,
        ignore_unchanged_counts: None,
        forbid_negative_counts: None,
    }
}

/// Whether a refusal is about the input (a user error) rather than the call.
fn is_input_refusal(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::InvalidArgument
            | Code::NotFound
            | Code::FailedPrecondition
            | Code::OutOfRange
            | Code::AlreadyExists
    )
}

/// What a refusal of the ledger said, with the ErrorInfo's `actual_quantity`.
struct LedgerRefusal {
    details: RefusalDetails,
    message: String,
    actual: Option<String>,
}

impl std::ops::Deref for LedgerRefusal {
    type Target = RefusalDetails;

    fn deref(&self) -> &RefusalDetails {
        &self.details
    }
}

/// Runs the batch: its answer, the ledger's refusal of its input, or (as a GraphQL error)
/// any other refusal.
async fn submit(
    ctx: &Context<'_>,
    request: pb::BatchChangeInventoryRequest,
) -> Result<Result<pb::BatchChangeInventoryResponse, LedgerRefusal>> {
    let api = door(ctx).gateway.inventory();
    let answer = door(ctx)
        .call(
            Rpc::Inventory("BatchChangeInventory"),
            request,
            |r| async move { api.batch_change_inventory(r).await },
        )
        .await;
    match answer {
        Ok(answer) => Ok(Ok(answer)),
        Err(status) if is_input_refusal(&status) => {
            let actual = status
                .get_error_details()
                .error_info()
                .and_then(|i| i.metadata.get("actual_quantity").cloned());
            Ok(Err(LedgerRefusal {
                details: RefusalDetails::of(&status),
                message: status.message().to_owned(),
                actual,
            }))
        }
        Err(status) => Err(query_error(status)),
    }
}

/// The change index and leaf field of a refusal's field path
/// (`changes[2].adjustment.quantity` is `(Some(2), "quantity")`).
fn change_field(path: &str) -> (Option<usize>, &str) {
    let index = path
        .strip_prefix("changes[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(n, _)| n.parse().ok());
    (index, path.rsplit('.').next().unwrap_or(path))
}

/// Shopify's user error for a refusal of the ledger.
fn user_error(refusal: &LedgerRefusal, sent: Sent) -> UserError {
    let compare = sent == (Sent::Set { compare: true });
    refusal_as_user_error(refusal, compare, |index, leaf| sent.field(index, leaf))
}

/// Shopify's user error for a refusal of the ledger, its field named by `field` from the
/// refused change's index and proto leaf; `compare` when the caller sent `compareQuantity`.
fn refusal_as_user_error(
    refusal: &LedgerRefusal,
    compare: bool,
    field: impl Fn(Option<usize>, &str) -> Vec<String>,
) -> UserError {
    let path = refusal
        .field
        .clone()
        .or_else(|| refusal.violations.first().map(|v| v.field.clone()))
        .unwrap_or_default();
    let (index, leaf) = change_field(&path);
    let reason = refusal.reason.as_str();
    let code = match (reason, leaf) {
        (QUANTITY_MISMATCH, _) if refusal.actual.as_deref() == Some("ABSENT") => {
            "ITEM_NOT_STOCKED_AT_LOCATION"
        }
        (QUANTITY_MISMATCH, _) if compare => "COMPARE_QUANTITY_STALE",
        (QUANTITY_MISMATCH, _) => "CHANGE_FROM_QUANTITY_STALE",
        (INSUFFICIENT_QUANTITY, _) => "INVALID_QUANTITY_TOO_LOW",
        (reasons::IDEMPOTENCY_KEY_REUSED, _) => "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        (reasons::NOT_FOUND, "catalog_object_id") => "INVALID_INVENTORY_ITEM",
        (_, "catalog_object_id") => "NON_MUTABLE_INVENTORY_ITEM",
        (_, "location_id" | "from_location_id" | "to_location_id") => "INVALID_LOCATION",
        (reasons::VALUE_TOO_HIGH, _) => "INVALID_QUANTITY_TOO_HIGH",
        (reasons::COUNT_OUT_OF_RANGE, _) if refusal.message.contains("above") => {
            "INVALID_QUANTITY_TOO_HIGH"
        }
        (_, "quantity") | (reasons::COUNT_OUT_OF_RANGE, _) => "INVALID_QUANTITY_TOO_LOW",
        (_, "reference_id") => "INVALID_REFERENCE_DOCUMENT",
        _ => "INVALID",
    };
    let field = if reason == reasons::IDEMPOTENCY_KEY_REUSED {
        None
    } else {
        Some(field(index, leaf))
    };
    let mut message = refusal.message.clone();
    if let Some(actual) = &refusal.actual {
        message = format!("{message} (the quantity now: {actual})");
    }
    UserError {
        field,
        message,
        code: Some(code.to_owned()),
    }
}

/// Writes the planned changes as one batch; the group it recorded, or the user error of its
/// refusal.
async fn write(
    ctx: &Context<'_>,
    key: String,
    planned: Vec<(pb::InventoryChange, Option<i32>)>,
    sent: Sent,
    reason: &str,
    reference: Option<String>,
) -> Result<(Option<InventoryAdjustmentGroup>, Vec<UserError>)> {
    let deltas: Vec<Option<i32>> = planned.iter().map(|(_, d)| *d).collect();
    let planned = with_reason(planned, reason);
    let origins = if sent == Sent::Move {
        moves::origins(&planned)
    } else {
        Vec::new()
    };
    let mut request = batch(key, planned.into_iter().map(|(c, _)| c).collect());
    let answer = loop {
        match submit(ctx, request.clone()).await? {
            Ok(answer) => break answer,
            Err(refusal) if sent == Sent::Move => {
                match moves::absent_instead_of_zero(&refusal, &request) {
                    Some(again) => request = again,
                    None => return Ok((None, vec![moves::user_error(&refusal, &origins)])),
                }
            }
            Err(refusal) => return Ok((None, vec![user_error(&refusal, sent)])),
        }
    };
    let group = match sent {
        Sent::Move => moves::group(&answer, reason, reference),
        _ => group(&answer, &deltas, sent, reason, reference),
    };
    Ok((Some(group), Vec::new()))
}

/// The changes with Shopify's `reason` kept on each, as the ledger's reason type of the same
/// name (`correction` is CORRECTION; `damaged` and `received` are Square's DAMAGED and
/// RECEIVED), so that the history says why (docs/shopify.md). `reason` was checked to be
/// one of Shopify's.
fn with_reason(
    planned: Vec<(pb::InventoryChange, Option<i32>)>,
    reason: &str,
) -> Vec<(pb::InventoryChange, Option<i32>)> {
    let Some(kind) = ReasonType::from_shopify(reason) else {
        return planned;
    };
    let reason_id = Some(pb::InventoryAdjustmentReasonId {
        r#type: reason_type_to_wire(kind),
        custom_reason_id: String::new(),
    });
    planned
        .into_iter()
        .map(|(mut change, delta)| {
            match &mut change.change {
                Some(Change::Adjustment(a)) => a.reason_id.clone_from(&reason_id),
                Some(Change::PhysicalCount(c)) => c.reason_id.clone_from(&reason_id),
                Some(Change::Transfer(t)) => t.reason_id.clone_from(&reason_id),
                None => {}
            }
            (change, delta)
        })
        .collect()
}

/// The recorded batch as Shopify's group: per change, its delta and the `available`
/// quantity right after it (the final count less the later changes' deltas at the same
/// item and location).
fn group(
    answer: &pb::BatchChangeInventoryResponse,
    deltas: &[Option<i32>],
    sent: Sent,
    reason: &str,
    reference: Option<String>,
) -> InventoryAdjustmentGroup {
    let written = state_to_wire(
        sent.name()
            .writable_state()
            .unwrap_or(InventoryState::InStock),
    );
    let keys: Vec<(String, String, Option<i32>)> = answer
        .changes
        .iter()
        .map(|c| match &c.change {
            Some(Change::Adjustment(a)) => {
                (a.catalog_object_id.clone(), a.location_id.clone(), None)
            }
            Some(Change::PhysicalCount(p)) => (
                p.catalog_object_id.clone(),
                p.location_id.clone(),
                p.quantity.parse::<i32>().ok(),
            ),
            _ => Default::default(),
        })
        .collect();
    let final_of = |item: &str, location: &str| {
        answer
            .counts
            .iter()
            .find(|c| {
                c.catalog_object_id == item && c.location_id == location && c.state == written
            })
            .and_then(|c| crate::domain::decimal::Fixed5::parse(&c.quantity).ok())
            .and_then(|q| super::quantities::to_int(q).ok())
    };
    let changes = keys
        .iter()
        .enumerate()
        .map(|(i, (item, location, set_to))| {
            let after = match (sent, set_to) {
                (Sent::Set { .. }, Some(set_to)) => Some(*set_to),
                _ => {
                    let later: i32 = keys
                        .iter()
                        .zip(deltas)
                        .skip(i + 1)
                        .filter(|((it, lo, _), _)| it == item && lo == location)
                        .map(|(_, d)| d.unwrap_or(0))
                        .sum();
                    final_of(item, location).map(|f| f - later)
                }
            };
            InventoryChange {
                name: sent.name().as_str().into(),
                delta: deltas.get(i).copied().flatten(),
                quantity_after_change: after,
                item_id: ID(gid::gid(Kind::InventoryItem, item)),
                location_id: ID(gid::gid(Kind::Location, location)),
            }
        })
        .collect();
    adjustment_group(answer, reason, reference, changes)
}

/// Shopify's group of a recorded batch: named by its first change (id and time), with the
/// reason and reference sent and the `changes` as Shopify reports them.
fn adjustment_group(
    answer: &pb::BatchChangeInventoryResponse,
    reason: &str,
    reference: Option<String>,
    changes: Vec<InventoryChange>,
) -> InventoryAdjustmentGroup {
    let first = answer.changes.first().map(|c| match &c.change {
        Some(Change::Adjustment(a)) => (a.id.clone(), a.created_at),
        Some(Change::PhysicalCount(p)) => (p.id.clone(), p.created_at),
        Some(Change::Transfer(t)) => (t.id.clone(), t.created_at),
        None => Default::default(),
    });
    let (id, created_at) = first.unwrap_or_default();
    InventoryAdjustmentGroup {
        id: ID(gid::gid(Kind::InventoryAdjustmentGroup, &id)),
        created_at: created_at.as_ref().and_then(crate::api::convert::rfc3339),
        reason: reason.to_owned(),
        reference_document_uri: reference,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_paths_name_the_input_field() {
        assert_eq!(
            change_field("changes[2].adjustment.quantity"),
            (Some(2), "quantity")
        );
        assert_eq!(
            change_field("changes[0].expected_quantity"),
            (Some(0), "expected_quantity")
        );
        assert_eq!(
            Sent::Adjust {
                name: QuantityName::Damaged
            }
            .field(Some(1), "expected_quantity"),
            ["input", "changes", "1", "changeFromQuantity"]
        );
        assert_eq!(
            Sent::Set { compare: true }.field(Some(0), "expected_quantity"),
            ["input", "quantities", "0", "compareQuantity"]
        );
        assert_eq!(
            Sent::Set { compare: false }.field(Some(3), "catalog_object_id"),
            ["input", "quantities", "3", "inventoryItemId"]
        );
    }

    #[test]
    fn names_and_reasons_are_checked() {
        assert!(check_common("available", "correction", &[QuantityName::Available]).is_empty());
        let errors = check_common("reserved", "stolen", &[QuantityName::Available]);
        let codes: Vec<_> = errors.iter().filter_map(|e| e.code.as_deref()).collect();
        assert_eq!(codes, ["INVALID_QUANTITY_NAME", "INVALID_REASON"]);
        let committed = check_common("committed", "other", &ADJUSTABLE);
        assert!(
            committed[0].message.contains("not kept"),
            "{:?}",
            committed[0]
        );
        assert!(check_common("damaged", "damaged", &ADJUSTABLE).is_empty());
        let set_damaged = check_common("damaged", "damaged", &[QuantityName::Available]);
        assert!(
            set_damaged[0].message.contains("cannot be written"),
            "{:?}",
            set_damaged[0]
        );
    }

    #[test]
    fn item_updates_carry_exactly_the_fields_sent() {
        let input = InventoryItemInput {
            sku: MaybeUndefined::Value("A-1".into()),
            tracked: None,
            requires_shipping: Some(false),
            cost: MaybeUndefined::Null,
            country_code_of_origin: MaybeUndefined::Undefined,
            province_code_of_origin: MaybeUndefined::Undefined,
            harmonized_system_code: MaybeUndefined::Undefined,
        };
        let request = item_update("id".into(), input);
        let paths = request.update_mask.unwrap().paths;
        assert_eq!(paths, ["sku", "cost", "requires_shipping"]);
        assert_eq!(camel_case("country_code_of_origin"), "countryCodeOfOrigin");
    }
}
