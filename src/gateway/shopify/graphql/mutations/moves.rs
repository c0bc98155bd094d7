//! `inventoryMoveQuantities` on the ledger: each move is one change of one
//! `BatchChangeInventory` batch, so a mutation's moves are applied all or none.
//!
//! | from → to | the ledger's change |
//! |---|---|
//! | one location, two names (`available` → `damaged`) | an adjustment between the names' states (IN_STOCK → DAMAGED) |
//! | two locations, one name (`available` → `available`) | a transfer of the name's state (IN_STOCK) |
//! | two locations, two names | refused: `DIFFERENT_LOCATIONS` (the ledger has no such change) |
//! | one location, one name | refused: `SAME_QUANTITY_NAME` |
//!
//! The names are those `inventoryAdjustQuantities` writes (`available`, `damaged`,
//! `quality_control`, `safety_stock`); any other (`reserved`, `on_hand`, `committed`,
//! `incoming`, an unknown one) is `INVALID_QUANTITY_NAME` on its terminal's `name`.
//!
//! `from.changeFromQuantity` is the move's own `expected_quantity` (the ledger compares the
//! count a change takes from). `to.changeFromQuantity` is compared by a guard placed just
//! before the move: a physical count of the destination's count *to* that quantity, expecting
//! that quantity. When the guard holds the count already is that quantity, so the ledger
//! skips the count as unchanged (`ignore_unchanged_counts`, the batch's default) and records
//! nothing for it; when it does not hold, the whole batch is refused as stale.
//! `changeFromQuantity: 0` on a name other than `available` also holds for a count no change
//! has touched ([`absent_instead_of_zero`]).

use async_graphql::{ID, InputObject, MaybeUndefined, SimpleObject};
use sha2::{Digest, Sha256};

use super::{
    ADJUSTABLE, InventoryAdjustmentGroup, InventoryChange, LedgerRefusal, UserError,
    adjustment_group, change_field, check_reason, refusal_as_user_error,
};
use crate::api::ledger_wire::{state_from_wire, state_to_wire};
use crate::domain::decimal::Fixed5;
use crate::domain::guard::QUANTITY_MISMATCH;
use crate::domain::id::canonical_id;
use crate::domain::ledger::InventoryState;
use crate::gateway::shopify::graphql::gid::{self, Kind};
use crate::gateway::shopify::graphql::quantities::{QuantityName, to_int};
use crate::proto::v1::{self as pb, inventory_change::Change};

/// `inventoryMoveQuantities`' input.
#[derive(InputObject)]
pub struct InventoryMoveQuantitiesInput {
    /// One of Shopify's reasons (`damaged`, `movement_created`, …).
    pub(super) reason: String,
    /// Kept as each change's `reference_id`.
    pub(super) reference_document_uri: String,
    /// The moves, one batch.
    pub(super) changes: Vec<InventoryMoveQuantityChange>,
}

/// One move of `inventoryMoveQuantities`: `quantity` of an item from one (location, name)
/// to another.
#[derive(InputObject)]
pub struct InventoryMoveQuantityChange {
    /// The item moved.
    inventory_item_id: ID,
    /// How much moves: more than 0.
    quantity: i32,
    /// Where it is taken from.
    from: InventoryMoveQuantityTerminalInput,
    /// Where it goes.
    to: InventoryMoveQuantityTerminalInput,
}

/// One end of a move.
#[derive(InputObject)]
pub struct InventoryMoveQuantityTerminalInput {
    /// The location.
    location_id: ID,
    /// The quantity name: `available`, `damaged`, `quality_control` or `safety_stock`.
    name: String,
    /// The quantity expected here before the move (`null`: no check; required from API
    /// version 2026-07). On `to`, 0 or more.
    change_from_quantity: MaybeUndefined<i32>,
    /// Accepted as on Shopify; not kept (the ledger keeps one reference per change:
    /// `referenceDocumentUri`).
    ledger_document_uri: Option<String>,
}

/// `inventoryMoveQuantities`' answer.
#[derive(SimpleObject)]
pub struct InventoryMoveQuantitiesPayload {
    /// The recorded batch: two changes per move, `-quantity` on `from`, `+quantity` on `to`.
    pub(super) inventory_adjustment_group: Option<InventoryAdjustmentGroup>,
    /// Why nothing was applied.
    pub(super) user_errors: Vec<UserError>,
}

/// The input path of a move's field: `["input", "changes", "<i>", …rest]`.
fn path(index: usize, rest: &[&str]) -> Vec<String> {
    let mut path = vec!["input".to_owned(), "changes".to_owned(), index.to_string()];
    path.extend(rest.iter().map(|p| (*p).to_owned()));
    path
}

/// A user error on a move's field.
fn error(index: usize, rest: &[&str], message: impl Into<String>, code: &str) -> UserError {
    UserError {
        field: Some(path(index, rest)),
        message: message.into(),
        code: Some(code.to_owned()),
    }
}

/// The state a terminal's name is written as, or the user error naming its field.
fn terminal_state(
    index: usize,
    side: &str,
    terminal: &InventoryMoveQuantityTerminalInput,
) -> Result<InventoryState, UserError> {
    let refused = |message: String| error(index, &[side, "name"], message, "INVALID_QUANTITY_NAME");
    let name = QuantityName::parse(&terminal.name).map_err(refused)?;
    match name.writable_state() {
        Some(state) if ADJUSTABLE.contains(&name) => Ok(state),
        _ => Err(refused(format!(
            "`{}` cannot be moved: moves write {} (reserved moves only through reservations, \
             on_hand is a sum)",
            name.as_str(),
            ADJUSTABLE.map(QuantityName::as_str).join(", ")
        ))),
    }
}

/// The id a terminal's location names (its canonical spelling when it is a UUID, so two
/// spellings of one location are one location).
fn terminal_location(
    index: usize,
    side: &str,
    terminal: &InventoryMoveQuantityTerminalInput,
) -> Result<String, UserError> {
    let id = gid::parse(Kind::Location, &terminal.location_id)
        .map_err(|e| error(index, &[side, "locationId"], e, "INVALID_LOCATION"))?;
    Ok(canonical_id("location_id", &id).unwrap_or(id))
}

/// The ledger's change for one move, or the user error of its shape.
fn move_change(
    index: usize,
    item: String,
    (from_location, from_state): (String, InventoryState),
    (to_location, to_state): (String, InventoryState),
    quantity: i32,
    reference: &str,
) -> Result<Change, UserError> {
    let quantity = quantity.to_string();
    match (from_location == to_location, from_state == to_state) {
        (true, true) => Err(error(
            index,
            &["to", "name"],
            "a move within one location goes between two different names",
            "SAME_QUANTITY_NAME",
        )),
        (true, false) => Ok(Change::Adjustment(pb::InventoryAdjustment {
            catalog_object_id: item,
            location_id: from_location,
            from_state: state_to_wire(from_state),
            to_state: state_to_wire(to_state),
            quantity,
            reference_id: reference.to_owned(),
            ..Default::default()
        })),
        (false, true) => Ok(Change::Transfer(pb::InventoryTransfer {
            catalog_object_id: item,
            from_location_id: from_location,
            to_location_id: to_location,
            state: state_to_wire(from_state),
            quantity,
            reference_id: reference.to_owned(),
            ..Default::default()
        })),
        (false, false) => Err(error(
            index,
            &["to", "locationId"],
            "a move between two locations keeps its name (a transfer); change the name with \
             a move within one location",
            "DIFFERENT_LOCATIONS",
        )),
    }
}

/// The guard of a move's `to.changeFromQuantity`: a physical count of the destination's
/// count to `expected`, expecting `expected` — skipped as unchanged when it holds, refusing
/// the batch as stale when it does not.
fn destination_guard(
    item: &str,
    location: &str,
    state: InventoryState,
    expected: i32,
    reference: &str,
) -> pb::InventoryChange {
    pb::InventoryChange {
        r#type: pb::InventoryChangeType::PhysicalCount as i32,
        change: Some(Change::PhysicalCount(pb::InventoryPhysicalCount {
            catalog_object_id: item.to_owned(),
            location_id: location.to_owned(),
            state: state_to_wire(state),
            quantity: expected.to_string(),
            reference_id: reference.to_owned(),
            ..Default::default()
        })),
        expected_quantity: Some(expected.to_string()),
    }
}

/// The batch a move mutation stands for (each move's change, preceded by its destination's
/// guard when `to.changeFromQuantity` is sent), or every user error of its input.
#[allow(clippy::type_complexity)]
pub(super) fn plan(
    input: &InventoryMoveQuantitiesInput,
    needs_change_from: bool,
) -> Result<Vec<(pb::InventoryChange, Option<i32>)>, Vec<UserError>> {
    let mut errors: Vec<UserError> = check_reason(&input.reason).into_iter().collect();
    let reference = input.reference_document_uri.as_str();
    let mut changes = Vec::new();
    for (i, change) in input.changes.iter().enumerate() {
        let mut refused = Vec::new();
        let item = gid::parse(Kind::InventoryItem, &change.inventory_item_id)
            .map_err(|e| error(i, &["inventoryItemId"], e, "INVALID_INVENTORY_ITEM"));
        let from_location = terminal_location(i, "from", &change.from);
        let from_state = terminal_state(i, "from", &change.from);
        let to_location = terminal_location(i, "to", &change.to);
        let to_state = terminal_state(i, "to", &change.to);
        if change.quantity < 0 {
            refused.push(error(
                i,
                &["quantity"],
                "the quantity can't be negative",
                "INVALID_QUANTITY_NEGATIVE",
            ));
        }
        for (side, terminal) in [("from", &change.from), ("to", &change.to)] {
            if needs_change_from && terminal.change_from_quantity.is_undefined() {
                refused.push(error(
                    i,
                    &[side, "changeFromQuantity"],
                    "changeFromQuantity is required from API version 2026-07 (send null to \
                     skip the check)",
                    "CHANGE_FROM_QUANTITY_REQUIRED",
                ));
            }
        }
        let to_expected = change.to.change_from_quantity.value().copied();
        if to_expected.is_some_and(|q| q < 0) {
            refused.push(error(
                i,
                &["to", "changeFromQuantity"],
                "Stockledger compares a move's destination at 0 or above",
                "INVALID_QUANTITY_NEGATIVE",
            ));
        }
        let (item, from_location, from_state, to_location, to_state) =
            match (item, from_location, from_state, to_location, to_state) {
                (Ok(a), Ok(b), Ok(c), Ok(d), Ok(e)) => (a, b, c, d, e),
                (a, b, c, d, e) => {
                    errors.extend(a.err());
                    errors.extend(b.err());
                    errors.extend(c.err());
                    errors.extend(d.err());
                    errors.extend(e.err());
                    errors.extend(refused);
                    continue;
                }
            };
        let moved = move_change(
            i,
            item.clone(),
            (from_location, from_state),
            (to_location.clone(), to_state),
            change.quantity,
            reference,
        );
        errors.extend(refused);
        let moved = match moved {
            Ok(moved) => moved,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Some(expected) = to_expected {
            let guard = destination_guard(&item, &to_location, to_state, expected, reference);
            changes.push((guard, None));
        }
        let r#type = match moved {
            Change::Transfer(_) => pb::InventoryChangeType::Transfer,
            _ => pb::InventoryChangeType::Adjustment,
        };
        let from_expected = change.from.change_from_quantity.value().copied();
        changes.push((
            pb::InventoryChange {
                r#type: r#type as i32,
                change: Some(moved),
                expected_quantity: from_expected.map(|q| q.to_string()),
            },
            Some(change.quantity),
        ));
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// The count a change of a move's batch compares: (item, location, state).
fn guarded_count(change: &pb::InventoryChange) -> Option<(String, String, i32)> {
    match change.change.as_ref()? {
        Change::Adjustment(a) => Some((
            a.catalog_object_id.clone(),
            a.location_id.clone(),
            a.from_state,
        )),
        Change::Transfer(t) => Some((
            t.catalog_object_id.clone(),
            t.from_location_id.clone(),
            t.state,
        )),
        Change::PhysicalCount(p) => {
            Some((p.catalog_object_id.clone(), p.location_id.clone(), p.state))
        }
    }
}

/// The batch again with `ABSENT` for the guard a refusal found stale because the count it
/// compares to `0` was never written — which Shopify (and `quantities(names:)`) reads as 0
/// on `damaged`, `quality_control` and `safety_stock` — under a key derived from the
/// batch's, or `None` when the refusal is no such thing. `available` keeps `0`: its absence
/// means the item is not stocked there (`ITEM_NOT_STOCKED_AT_LOCATION`).
///
/// Retries stay exact: the batch as sent is tried first under the caller's key, so a retry
/// replays that key's stored refusal and then the derived key's stored answer.
pub(super) fn absent_instead_of_zero(
    refusal: &LedgerRefusal,
    request: &pb::BatchChangeInventoryRequest,
) -> Option<pb::BatchChangeInventoryRequest> {
    if refusal.reason != QUANTITY_MISMATCH || refusal.actual.as_deref() != Some("ABSENT") {
        return None;
    }
    let index = change_field(refusal.field.as_deref()?).0?;
    let change = request.changes.get(index)?;
    let (_, _, state) = guarded_count(change)?;
    if change.expected_quantity.as_deref() != Some("0")
        || state == state_to_wire(InventoryState::InStock)
    {
        return None;
    }
    let mut again = request.clone();
    again.changes[index].expected_quantity = Some("ABSENT".into());
    let derived = format!("{}/absent:{index}", request.idempotency_key);
    again.idempotency_key = if derived.len() <= 128 {
        derived
    } else {
        format!(
            "shopify-move-absent:{:x}",
            Sha256::digest(derived.as_bytes())
        )
    };
    Some(again)
}

/// What a change of a move's batch stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Origin {
    /// The index of the move in the input.
    change: usize,
    /// Whether the change is the guard of the move's `to.changeFromQuantity` (else the move).
    guard: bool,
    /// Whether the count it compares is `available` (IN_STOCK).
    available: bool,
}

/// The origin of each change of a planned move batch, in batch order (a guard is the one
/// physical count, and precedes its move).
pub(super) fn origins(planned: &[(pb::InventoryChange, Option<i32>)]) -> Vec<Origin> {
    let in_stock = state_to_wire(InventoryState::InStock);
    let mut moves = 0;
    planned
        .iter()
        .map(|(change, _)| {
            let guard = matches!(change.change, Some(Change::PhysicalCount(_)));
            let origin = Origin {
                change: moves,
                guard,
                available: guarded_count(change).is_some_and(|(_, _, s)| s == in_stock),
            };
            moves += usize::from(!guard);
            origin
        })
        .collect()
}

/// The input path of the field a refusal of batch change `index` names by its proto `leaf`.
fn field(origins: &[Origin], index: Option<usize>, leaf: &str) -> Vec<String> {
    if leaf == "reference_id" {
        return vec!["input".into(), "referenceDocumentUri".into()];
    }
    let Some(origin) = index.and_then(|i| origins.get(i)) else {
        return vec!["input".into(), "changes".into()];
    };
    let n = origin.change;
    if origin.guard {
        return match leaf {
            "catalog_object_id" => path(n, &["inventoryItemId"]),
            "location_id" => path(n, &["to", "locationId"]),
            "state" => path(n, &["to", "name"]),
            _ => path(n, &["to", "changeFromQuantity"]),
        };
    }
    match leaf {
        "catalog_object_id" => path(n, &["inventoryItemId"]),
        "location_id" | "from_location_id" => path(n, &["from", "locationId"]),
        "to_location_id" => path(n, &["to", "locationId"]),
        "from_state" | "state" => path(n, &["from", "name"]),
        "to_state" => path(n, &["to", "name"]),
        "quantity" => path(n, &["quantity"]),
        "expected_quantity" => path(n, &["from", "changeFromQuantity"]),
        _ => path(n, &[]),
    }
}

/// Shopify's user error for the ledger's refusal of a move batch, on the input field of the
/// move (or guard) it names. A compared count that no change has touched is "not stocked"
/// for `available` only; for another name it reads as 0, so a guard on it is stale.
pub(super) fn user_error(refusal: &LedgerRefusal, origins: &[Origin]) -> UserError {
    let refused = std::cell::Cell::new(None);
    let mut error = refusal_as_user_error(refusal, false, |index, leaf| {
        refused.set(index.and_then(|i| origins.get(i)));
        field(origins, index, leaf)
    });
    let unstocked = error.code.as_deref() == Some("ITEM_NOT_STOCKED_AT_LOCATION");
    if unstocked && refused.get().is_some_and(|o| !o.available) {
        error.code = Some("CHANGE_FROM_QUANTITY_STALE".into());
        error.message = format!("{} (the quantity now: 0)", refusal.message);
    }
    error
}

/// The quantity name a state is written for.
fn name_of(state: i32) -> String {
    state_from_wire(state)
        .and_then(|s| {
            ADJUSTABLE
                .into_iter()
                .find(|n| n.writable_state() == Some(s))
        })
        .map_or_else(|| "available".to_owned(), |n| n.as_str().to_owned())
}

/// The recorded moves as Shopify's group: per move, `-quantity` on `from` and `+quantity`
/// on `to`, each with its quantity right after the move (the final count less the batch's
/// later moves on that count).
pub(super) fn group(
    answer: &pb::BatchChangeInventoryResponse,
    reason: &str,
    reference: Option<String>,
) -> InventoryAdjustmentGroup {
    // (item, location, state, delta) in batch order: two per recorded move.
    let mut effects: Vec<(String, String, i32, i32)> = Vec::new();
    for change in &answer.changes {
        match &change.change {
            Some(Change::Adjustment(a)) => {
                let q = quantity(&a.quantity);
                let (item, location) = (&a.catalog_object_id, &a.location_id);
                effects.push((item.clone(), location.clone(), a.from_state, -q));
                effects.push((item.clone(), location.clone(), a.to_state, q));
            }
            Some(Change::Transfer(t)) => {
                let q = quantity(&t.quantity);
                let item = &t.catalog_object_id;
                effects.push((item.clone(), t.from_location_id.clone(), t.state, -q));
                effects.push((item.clone(), t.to_location_id.clone(), t.state, q));
            }
            _ => {}
        }
    }
    let final_of = |item: &str, location: &str, state: i32| {
        answer
            .counts
            .iter()
            .find(|c| c.catalog_object_id == item && c.location_id == location && c.state == state)
            .and_then(|c| Fixed5::parse(&c.quantity).ok())
            .and_then(|q| to_int(q).ok())
    };
    let changes = effects
        .iter()
        .enumerate()
        .map(|(i, (item, location, state, delta))| {
            let later: i32 = effects[i + 1..]
                .iter()
                .filter(|(it, lo, st, _)| it == item && lo == location && st == state)
                .map(|(_, _, _, d)| d)
                .sum();
            InventoryChange {
                name: name_of(*state),
                delta: Some(*delta),
                quantity_after_change: final_of(item, location, *state).map(|f| f - later),
                item_id: ID(gid::gid(Kind::InventoryItem, item)),
                location_id: ID(gid::gid(Kind::Location, location)),
            }
        })
        .collect();
    adjustment_group(answer, reason, reference, changes)
}

/// A recorded quantity as the `Int` it was sent as.
fn quantity(text: &str) -> i32 {
    Fixed5::parse(text)
        .ok()
        .and_then(|q| to_int(q).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terminal(
        location: &str,
        name: &str,
        from: Option<i32>,
    ) -> InventoryMoveQuantityTerminalInput {
        InventoryMoveQuantityTerminalInput {
            location_id: ID(gid::gid(Kind::Location, location)),
            name: name.into(),
            change_from_quantity: from.map_or(MaybeUndefined::Null, MaybeUndefined::Value),
            ledger_document_uri: None,
        }
    }

    fn input(moves: Vec<(&str, &str, &str, &str, Option<i32>)>) -> InventoryMoveQuantitiesInput {
        InventoryMoveQuantitiesInput {
            reason: "damaged".into(),
            reference_document_uri: "app://move/1".into(),
            changes: moves
                .into_iter()
                .map(
                    |(from, from_name, to, to_name, to_expected)| InventoryMoveQuantityChange {
                        inventory_item_id: ID("item".into()),
                        quantity: 2,
                        from: terminal(from, from_name, Some(5)),
                        to: terminal(to, to_name, to_expected),
                    },
                )
                .collect(),
        }
    }

    #[test]
    fn moves_become_adjustments_within_a_location_and_transfers_between() {
        let planned = plan(
            &input(vec![
                ("a", "available", "a", "damaged", Some(0)),
                ("a", "available", "b", "available", None),
            ]),
            true,
        )
        .unwrap();
        let kinds: Vec<_> = planned.iter().map(|(c, _)| c.r#type).collect();
        assert_eq!(
            kinds,
            [
                pb::InventoryChangeType::PhysicalCount as i32,
                pb::InventoryChangeType::Adjustment as i32,
                pb::InventoryChangeType::Transfer as i32,
            ]
        );
        let Some(Change::Adjustment(a)) = &planned[1].0.change else {
            panic!("{planned:?}")
        };
        assert_eq!(
            (a.from_state, a.to_state),
            (
                state_to_wire(InventoryState::InStock),
                state_to_wire(InventoryState::Damaged)
            )
        );
        assert_eq!(planned[1].0.expected_quantity.as_deref(), Some("5"));
        assert_eq!(planned[0].0.expected_quantity.as_deref(), Some("0"));
        let changes: Vec<_> = origins(&planned)
            .iter()
            .map(|o| (o.change, o.guard, o.available))
            .collect();
        assert_eq!(
            changes,
            [(0, true, false), (0, false, true), (1, false, true)]
        );
        assert_eq!(
            field(&origins(&planned), Some(0), "expected_quantity"),
            ["input", "changes", "0", "to", "changeFromQuantity"]
        );
        assert_eq!(
            field(&origins(&planned), Some(2), "to_location_id"),
            ["input", "changes", "1", "to", "locationId"]
        );
    }

    #[test]
    fn moves_the_ledger_cannot_back_are_refused_on_their_field() {
        let refused = plan(
            &input(vec![
                ("a", "available", "b", "damaged", None),
                ("a", "available", "a", "reserved", None),
                ("a", "damaged", "a", "damaged", None),
                ("a", "committed", "a", "available", None),
            ]),
            false,
        )
        .unwrap_err();
        let got: Vec<_> = refused
            .iter()
            .map(|e| (e.code.clone().unwrap(), e.field.clone().unwrap().join(".")))
            .collect();
        let want = [
            ("DIFFERENT_LOCATIONS", "input.changes.0.to.locationId"),
            ("INVALID_QUANTITY_NAME", "input.changes.1.to.name"),
            ("SAME_QUANTITY_NAME", "input.changes.2.to.name"),
            ("INVALID_QUANTITY_NAME", "input.changes.3.from.name"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(c, f)| ((*c).to_owned(), (*f).to_owned()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn from_2026_07_both_ends_need_change_from_quantity() {
        let mut sent = input(vec![("a", "available", "a", "damaged", None)]);
        sent.changes[0].to.change_from_quantity = MaybeUndefined::Undefined;
        assert!(plan(&sent, false).is_ok());
        let refused = plan(&sent, true).unwrap_err();
        assert_eq!(
            refused[0].field.as_deref().unwrap(),
            ["input", "changes", "0", "to", "changeFromQuantity"]
        );
        assert_eq!(
            refused[0].code.as_deref(),
            Some("CHANGE_FROM_QUANTITY_REQUIRED")
        );
    }
}
