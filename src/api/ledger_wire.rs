//! Conversions between the ledger's wire messages and its domain types.

use std::sync::Arc;

use super::convert::{micros_from_timestamp, timestamp_from_micros};
use crate::domain::decide::KeptChange;
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::guard::EXPECTED_QUANTITY_FIELD;
use crate::domain::id::canonical_id;
use crate::domain::ledger::{
    ChangeDraft, ChangeMovement, ChangeReferences, ChangeSource, ChangeType, InventoryState, Money,
    MovementDraft, NewChange,
};
use crate::domain::list::{MAX_FILTER_ENTRIES, check_length, distinct};
use crate::domain::product::Product;
use crate::domain::reason::{ReasonId, ReasonIdDraft, ReasonType};
use crate::domain::refusal::ChangeViolations;
use crate::domain::validate::{OccurredAtWindow, check_counted_states, validate_change_within};
use crate::proto::v1 as pb;
use crate::store::ledger::{CountRecord, CountUpdate, RecordedChange};

/// `catalog_object_type` of every change and count.
pub const CATALOG_OBJECT_TYPE: &str = "INVENTORY_ITEM";

/// The value numbered `raw` of an enum whose wire numbers follow `all`'s order from 1 (0 is
/// UNSPECIFIED); `None` for 0 and numbers outside the enum.
fn listed_from_wire<T: Copy>(all: &[T], raw: i32) -> Option<T> {
    usize::try_from(raw)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| all.get(i).copied())
}

/// The wire number of `value` in an enum numbered in `all`'s order from 1.
fn listed_to_wire<T: PartialEq>(all: &[T], value: T) -> i32 {
    let index = all.iter().position(|v| *v == value).expect("listed");
    i32::try_from(index + 1).expect("small enum")
}

/// A known, specified state; `None` for UNSPECIFIED or values outside the enum.
pub fn state_from_wire(raw: i32) -> Option<InventoryState> {
    listed_from_wire(&InventoryState::ALL, raw)
}

/// The wire value of a state.
pub fn state_to_wire(state: InventoryState) -> i32 {
    listed_to_wire(&InventoryState::ALL, state)
}

/// A reason type by its wire number; `None` for UNSPECIFIED or a number outside the enum.
/// The wire enum lists the types in [`ReasonType::ALL`] order, from 1.
pub fn reason_type_from_wire(raw: i32) -> Option<ReasonType> {
    listed_from_wire(ReasonType::ALL, raw)
}

/// The wire number of a reason type.
pub fn reason_type_to_wire(kind: ReasonType) -> i32 {
    listed_to_wire(ReasonType::ALL, kind)
}

/// A reason id as sent.
pub fn reason_draft_from_wire(reason: pb::InventoryAdjustmentReasonId) -> ReasonIdDraft {
    ReasonIdDraft {
        kind: reason_type_from_wire(reason.r#type),
        custom_reason_id: reason.custom_reason_id,
    }
}

/// A reason id as answered.
pub fn reason_to_wire(reason: &ReasonId) -> pb::InventoryAdjustmentReasonId {
    pb::InventoryAdjustmentReasonId {
        r#type: reason_type_to_wire(reason.kind),
        custom_reason_id: reason.custom_reason_id.clone(),
    }
}

fn money_to_wire(money: &Money) -> pb::Money {
    pb::Money {
        amount: money.amount.to_string(),
        currency: money.currency.clone(),
    }
}

/// A known, specified change type; `None` for UNSPECIFIED or unknown values.
pub fn change_type_from_wire(raw: i32) -> Option<ChangeType> {
    match pb::InventoryChangeType::try_from(raw).ok()? {
        pb::InventoryChangeType::Adjustment => Some(ChangeType::Adjustment),
        pb::InventoryChangeType::PhysicalCount => Some(ChangeType::PhysicalCount),
        pb::InventoryChangeType::Transfer => Some(ChangeType::Transfer),
        pb::InventoryChangeType::Unspecified => None,
    }
}

/// The wire value of a change type.
pub fn change_type_to_wire(change_type: ChangeType) -> pb::InventoryChangeType {
    match change_type {
        ChangeType::Adjustment => pb::InventoryChangeType::Adjustment,
        ChangeType::PhysicalCount => pb::InventoryChangeType::PhysicalCount,
        ChangeType::Transfer => pb::InventoryChangeType::Transfer,
    }
}

/// A list of filter states: at most [`MAX_FILTER_ENTRIES`] entries, every one a specified
/// state; each state once, where it first appeared.
pub fn states_filter(field: &str, raw: &[i32]) -> Result<Vec<InventoryState>, Violation> {
    enum_filter(
        field,
        raw,
        "states",
        "must be a specified InventoryState",
        state_from_wire,
    )
}

/// An enum filter `field`: bounded (`ARRAY_LENGTH_TOO_LONG`, before any entry is read),
/// each entry known to `from_wire` (`field[i]`, INVALID_ENUM_VALUE), duplicates dropped.
fn enum_filter<T: PartialEq>(
    field: &str,
    raw: &[i32],
    noun: &str,
    unknown: &str,
    from_wire: fn(i32) -> Option<T>,
) -> Result<Vec<T>, Violation> {
    check_length(field, raw.len(), MAX_FILTER_ENTRIES, noun)?;
    let values = raw
        .iter()
        .enumerate()
        .map(|(i, value)| {
            from_wire(*value).ok_or_else(|| {
                Violation::new(
                    format!("{field}[{i}]"),
                    reasons::INVALID_ENUM_VALUE,
                    unknown,
                )
            })
        })
        .collect::<Result<Vec<T>, Violation>>()?;
    Ok(distinct(values))
}

/// The states of a counts filter: specified states that keep a count (IN_STOCK, WASTE,
/// DAMAGED, QUALITY_CONTROL, SAFETY_STOCK, RESERVED_FOR_SALE);
/// a state that keeps none (SOLD, …) could only ever match nothing, so it is refused.
pub fn count_states_filter(field: &str, raw: &[i32]) -> Result<Vec<InventoryState>, Violations> {
    let states = states_filter(field, raw)?;
    check_counted_states(field, &states)?;
    Ok(states)
}

/// A list of filter types: at most [`MAX_FILTER_ENTRIES`] entries, every one a specified
/// type; each type once, where it first appeared.
pub fn types_filter(field: &str, raw: &[i32]) -> Result<Vec<ChangeType>, Violation> {
    enum_filter(
        field,
        raw,
        "types",
        "must be a specified InventoryChangeType",
        change_type_from_wire,
    )
}

/// Decodes change `index` of a batch into a draft (moving its fields, not copying them);
/// checks the type/member agreement and the timestamp's own validity (the domain checks the
/// rest). A guard (`expected_quantity`) is refused: BatchChangeInventory takes it out first.
pub fn change_draft(
    index: usize,
    change: pb::InventoryChange,
) -> Result<ChangeDraft, ChangeViolations> {
    use pb::inventory_change::Change;
    if change.expected_quantity.is_some() {
        return Err(ChangeViolations::of_change(
            index,
            Violation::invalid(
                EXPECTED_QUANTITY_FIELD,
                "only BatchChangeInventory takes guards; an import records history as it was",
            ),
        ));
    }
    let Some(member) = change.change else {
        let missing = Violation::missing("");
        return Err(ChangeViolations::in_member(
            index,
            ChangeType::Adjustment,
            missing.into(),
        ));
    };
    let member_type = match member {
        Change::Adjustment(_) => ChangeType::Adjustment,
        Change::PhysicalCount(_) => ChangeType::PhysicalCount,
        Change::Transfer(_) => ChangeType::Transfer,
    };
    if change.r#type != pb::InventoryChangeType::Unspecified as i32 {
        match change_type_from_wire(change.r#type) {
            None => {
                return Err(ChangeViolations::of_change(
                    index,
                    Violation::new(
                        "type",
                        reasons::INVALID_ENUM_VALUE,
                        "must be an InventoryChangeType",
                    ),
                ));
            }
            Some(declared) if declared != member_type => {
                return Err(ChangeViolations::of_change(
                    index,
                    Violation::invalid(
                        "type",
                        format!("contradicts the member set ({})", member_type.member()),
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let in_member =
        |violation: Violation| ChangeViolations::in_member(index, member_type, violation.into());
    let occurred = |ts: Option<prost_types::Timestamp>| -> Result<Option<i64>, ChangeViolations> {
        ts.map(|t| micros_from_timestamp("occurred_at", &t))
            .transpose()
            .map_err(in_member)
    };
    let read_only = |set: bool, field: &str| -> Result<(), ChangeViolations> {
        if set {
            Err(in_member(Violation::new(
                field,
                reasons::READ_ONLY_FIELD,
                "is set by the server; leave it empty",
            )))
        } else {
            Ok(())
        }
    };
    let draft = match member {
        Change::Adjustment(a) => {
            read_only(!a.id.is_empty(), "id")?;
            read_only(a.created_at.is_some(), "created_at")?;
            read_only(!a.reservation_id.is_empty(), "reservation_id")?;
            ChangeDraft {
                movement: MovementDraft::Adjustment {
                    from_state: state_from_wire(a.from_state),
                    to_state: state_from_wire(a.to_state),
                    location_id: a.location_id,
                },
                catalog_object_id: a.catalog_object_id,
                quantity: a.quantity,
                occurred_at: occurred(a.occurred_at)?,
                total_price: a.total_price_money.map(|m| (m.amount, m.currency)),
                cost: a.cost_money.map(|m| (m.amount, m.currency)),
                reason: a.reason_id.map(reason_draft_from_wire),
                references: ChangeReferences {
                    reference_id: a.reference_id,
                    employee_id: a.employee_id,
                    team_member_id: a.team_member_id,
                    transaction_id: a.transaction_id,
                    refund_id: a.refund_id,
                    purchase_order_id: a.purchase_order_id,
                    goods_receipt_id: a.goods_receipt_id,
                    reservation_id: String::new(),
                    vendor_id: a.vendor_id,
                },
            }
        }
        Change::PhysicalCount(c) => {
            read_only(!c.id.is_empty(), "id")?;
            read_only(c.created_at.is_some(), "created_at")?;
            ChangeDraft {
                movement: MovementDraft::PhysicalCount {
                    state: state_from_wire(c.state),
                    location_id: c.location_id,
                },
                catalog_object_id: c.catalog_object_id,
                quantity: c.quantity,
                occurred_at: occurred(c.occurred_at)?,
                total_price: None,
                cost: None,
                reason: c.reason_id.map(reason_draft_from_wire),
                references: ChangeReferences {
                    reference_id: c.reference_id,
                    employee_id: c.employee_id,
                    team_member_id: c.team_member_id,
                    ..ChangeReferences::default()
                },
            }
        }
        Change::Transfer(t) => {
            read_only(!t.id.is_empty(), "id")?;
            read_only(t.created_at.is_some(), "created_at")?;
            ChangeDraft {
                movement: MovementDraft::Transfer {
                    state: state_from_wire(t.state),
                    from_location_id: t.from_location_id,
                    to_location_id: t.to_location_id,
                },
                catalog_object_id: t.catalog_object_id,
                quantity: t.quantity,
                occurred_at: occurred(t.occurred_at)?,
                total_price: None,
                cost: None,
                reason: t.reason_id.map(reason_draft_from_wire),
                references: ChangeReferences {
                    reference_id: t.reference_id,
                    employee_id: t.employee_id,
                    team_member_id: t.team_member_id,
                    ..ChangeReferences::default()
                },
            }
        }
    };
    Ok(draft)
}

/// The wire value of a product.
pub fn product_to_wire(product: Product) -> pb::Product {
    match product {
        Product::ExternalApi => pb::Product::ExternalApi,
        Product::Dashboard => pb::Product::Dashboard,
        Product::PointOfSale => pb::Product::PointOfSale,
        Product::SquarePos => pb::Product::SquarePos,
        Product::Billing => pb::Product::Billing,
        Product::Appointments => pb::Product::Appointments,
        Product::Invoices => pb::Product::Invoices,
        Product::OnlineStore => pb::Product::OnlineStore,
        Product::Payroll => pb::Product::Payroll,
        Product::ItemLibraryImport => pb::Product::ItemLibraryImport,
        Product::Other => pb::Product::Other,
    }
}

/// A known, specified product; `None` for UNSPECIFIED or values outside the enum.
pub fn product_from_wire(raw: i32) -> Option<Product> {
    let wire = pb::Product::try_from(raw).ok()?;
    Product::ALL
        .into_iter()
        .find(|p| product_to_wire(*p) == wire)
}

/// A history request's `sort_order`: `None` when unspecified (oldest first unless a cursor
/// says otherwise), else whether it asks for newest first; an unknown number is refused.
pub fn newest_first_from_wire(field: &str, raw: i32) -> Result<Option<bool>, Violation> {
    match pb::SortOrder::try_from(raw) {
        Ok(pb::SortOrder::Unspecified) => Ok(None),
        Ok(pb::SortOrder::OldestFirst) => Ok(Some(false)),
        Ok(pb::SortOrder::NewestFirst) => Ok(Some(true)),
        Err(_) => Err(Violation::new(
            field,
            reasons::INVALID_ENUM_VALUE,
            "must be a SortOrder",
        )),
    }
}

/// The member a change sets, as its field paths name it (a change that sets none is
/// refused as missing its `adjustment`).
pub fn member_of(change: &pb::InventoryChange) -> ChangeType {
    use pb::inventory_change::Change;
    match &change.change {
        Some(Change::Adjustment(_)) | None => ChangeType::Adjustment,
        Some(Change::PhysicalCount(_)) => ChangeType::PhysicalCount,
        Some(Change::Transfer(_)) => ChangeType::Transfer,
    }
}

/// Change `index` of an import (`stockledger import`, ImportInventoryChanges) as the ledger
/// takes it: the change, validated by the domain with history's `occurred_at` window, and
/// what the import keeps of its record — its id (of the server's shape), created_at and
/// source; a source without a product gets `default_source`'s, one without a name too. With
/// `reservations` (the import brings them too), an adjustment may carry the
/// `reservation_id` of the reservation that made it: then, and only then, it may move
/// RESERVED_FOR_SALE. Without, `reservation_id` is read-only as in a live batch.
pub fn imported_change(
    index: usize,
    mut change: pb::InventoryChange,
    now: i64,
    default_source: &ChangeSource,
    reservations: bool,
) -> Result<(NewChange, KeptChange), ChangeViolations> {
    use pb::inventory_change::Change;
    let member = member_of(&change);
    let reservation_id = match &mut change.change {
        // Left in place when the import cannot keep it: the draft refuses it as read-only.
        Some(Change::Adjustment(a)) if reservations => std::mem::take(&mut a.reservation_id),
        _ => String::new(),
    };
    let (id, created_at, source) = match &mut change.change {
        Some(Change::Adjustment(a)) => (
            std::mem::take(&mut a.id),
            a.created_at.take(),
            a.source.take(),
        ),
        Some(Change::PhysicalCount(c)) => (
            std::mem::take(&mut c.id),
            c.created_at.take(),
            c.source.take(),
        ),
        Some(Change::Transfer(t)) => (
            std::mem::take(&mut t.id),
            t.created_at.take(),
            t.source.take(),
        ),
        None => (String::new(), None, None),
    };
    let mut errors = Violations::default();
    let id = if id.is_empty() {
        None
    } else {
        errors.check(canonical_id("id", &id))
    };
    let created_at = created_at
        .map(|t| micros_from_timestamp("created_at", &t))
        .transpose();
    let created_at = errors.check(created_at).flatten();
    let reservation_id = if reservation_id.is_empty() {
        Some(reservation_id)
    } else {
        errors.check(canonical_id("reservation_id", &reservation_id))
    };
    let mut violations = ChangeViolations::in_member(index, member, errors);
    let valid = change_draft(index, change).and_then(|mut draft| {
        draft.references.reservation_id = reservation_id.unwrap_or_default();
        validate_change_within(index, draft, now, OccurredAtWindow::History)
    });
    let valid = match valid {
        Ok(valid) => Some(valid),
        Err(v) => {
            violations.extend(v);
            None
        }
    };
    let source = source.map(|s| {
        let product = product_from_wire(s.product)
            .map_or(default_source.product.clone(), |p| p.as_str().to_owned());
        ChangeSource {
            product,
            application_id: s.application_id,
            name: if s.name.is_empty() {
                default_source.name.clone()
            } else {
                s.name
            },
        }
    });
    match valid {
        Some(valid) if violations.is_empty() => Ok((
            valid,
            KeptChange {
                id,
                created_at,
                source: source.map(Arc::new),
            },
        )),
        _ => Err(violations),
    }
}

/// The change with its ids — its own and those it names — in their canonical spelling, as a
/// digest telling a retry from another request must see them (a malformed id, which refuses
/// the change anyway, is left as it is).
pub fn spell_ids_canonically(change: &mut pb::InventoryChange) {
    use pb::inventory_change::Change;
    let ids = match &mut change.change {
        Some(Change::Adjustment(a)) => vec![
            &mut a.id,
            &mut a.catalog_object_id,
            &mut a.location_id,
            &mut a.reservation_id,
        ],
        Some(Change::PhysicalCount(c)) => {
            vec![&mut c.id, &mut c.catalog_object_id, &mut c.location_id]
        }
        Some(Change::Transfer(t)) => vec![
            &mut t.id,
            &mut t.catalog_object_id,
            &mut t.from_location_id,
            &mut t.to_location_id,
        ],
        None => Vec::new(),
    };
    for id in ids {
        if let Ok(canonical) = canonical_id("", id) {
            *id = canonical;
        }
    }
}

fn source_to_wire(source: &ChangeSource) -> pb::SourceApplication {
    let product =
        Product::from_stored(&source.product).map_or(pb::Product::Unspecified, product_to_wire);
    pb::SourceApplication {
        product: product.into(),
        application_id: source.application_id.clone(),
        name: source.name.clone(),
    }
}

/// The adjustment of a recorded change, if it is one.
pub fn adjustment_to_wire(recorded: &RecordedChange) -> Option<pb::InventoryAdjustment> {
    let ChangeMovement::Adjustment {
        from_state,
        to_state,
        location_id,
    } = &recorded.change.movement
    else {
        return None;
    };
    let c = &recorded.change;
    let r = &c.references;
    Some(pb::InventoryAdjustment {
        id: recorded.id.clone(),
        reference_id: r.reference_id.clone(),
        from_state: state_to_wire(*from_state),
        to_state: state_to_wire(*to_state),
        location_id: location_id.clone(),
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: CATALOG_OBJECT_TYPE.into(),
        quantity: c.quantity.to_string(),
        total_price_money: c.total_price.as_ref().map(money_to_wire),
        occurred_at: Some(timestamp_from_micros(c.occurred_at)),
        created_at: Some(timestamp_from_micros(recorded.created_at)),
        source: Some(source_to_wire(&recorded.source)),
        employee_id: r.employee_id.clone(),
        team_member_id: r.team_member_id.clone(),
        transaction_id: r.transaction_id.clone(),
        refund_id: r.refund_id.clone(),
        purchase_order_id: r.purchase_order_id.clone(),
        goods_receipt_id: r.goods_receipt_id.clone(),
        reservation_id: r.reservation_id.clone(),
        reason_id: c.reason.as_ref().map(reason_to_wire),
        cost_money: c.cost.as_ref().map(money_to_wire),
        vendor_id: r.vendor_id.clone(),
    })
}

/// The physical count of a recorded change, if it is one.
pub fn physical_count_to_wire(recorded: &RecordedChange) -> Option<pb::InventoryPhysicalCount> {
    let ChangeMovement::PhysicalCount { state, location_id } = &recorded.change.movement else {
        return None;
    };
    let c = &recorded.change;
    Some(pb::InventoryPhysicalCount {
        id: recorded.id.clone(),
        reference_id: c.references.reference_id.clone(),
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: CATALOG_OBJECT_TYPE.into(),
        state: state_to_wire(*state),
        location_id: location_id.clone(),
        quantity: c.quantity.to_string(),
        source: Some(source_to_wire(&recorded.source)),
        employee_id: c.references.employee_id.clone(),
        team_member_id: c.references.team_member_id.clone(),
        occurred_at: Some(timestamp_from_micros(c.occurred_at)),
        created_at: Some(timestamp_from_micros(recorded.created_at)),
        reason_id: c.reason.as_ref().map(reason_to_wire),
    })
}

/// The transfer of a recorded change, if it is one.
pub fn transfer_to_wire(recorded: &RecordedChange) -> Option<pb::InventoryTransfer> {
    let ChangeMovement::Transfer {
        state,
        from_location_id,
        to_location_id,
    } = &recorded.change.movement
    else {
        return None;
    };
    let c = &recorded.change;
    Some(pb::InventoryTransfer {
        id: recorded.id.clone(),
        reference_id: c.references.reference_id.clone(),
        state: state_to_wire(*state),
        from_location_id: from_location_id.clone(),
        to_location_id: to_location_id.clone(),
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: CATALOG_OBJECT_TYPE.into(),
        quantity: c.quantity.to_string(),
        occurred_at: Some(timestamp_from_micros(c.occurred_at)),
        created_at: Some(timestamp_from_micros(recorded.created_at)),
        source: Some(source_to_wire(&recorded.source)),
        employee_id: c.references.employee_id.clone(),
        team_member_id: c.references.team_member_id.clone(),
        reason_id: c.reason.as_ref().map(reason_to_wire),
    })
}

/// A recorded change as an InventoryChange.
pub fn change_to_wire(recorded: &RecordedChange) -> pb::InventoryChange {
    use pb::inventory_change::Change;
    let change_type = recorded.change.movement.change_type();
    let change = match change_type {
        ChangeType::Adjustment => adjustment_to_wire(recorded).map(Change::Adjustment),
        ChangeType::PhysicalCount => physical_count_to_wire(recorded).map(Change::PhysicalCount),
        ChangeType::Transfer => transfer_to_wire(recorded).map(Change::Transfer),
    };
    pb::InventoryChange {
        r#type: change_type_to_wire(change_type).into(),
        change,
        expected_quantity: None,
    }
}

/// A count update of the feed as an InventoryCountUpdate.
pub fn count_update_to_wire(update: &CountUpdate) -> pb::InventoryCountUpdate {
    pb::InventoryCountUpdate {
        catalog_object_id: update.key.catalog_object_id.clone(),
        catalog_object_type: CATALOG_OBJECT_TYPE.into(),
        state: state_to_wire(update.key.state),
        location_id: update.key.location_id.clone(),
        previous_quantity: update.previous.map(|q| q.to_string()).unwrap_or_default(),
        quantity: update.quantity.to_string(),
        calculated_at: Some(timestamp_from_micros(update.calculated_at)),
        change_id: update.change_id.clone(),
        change_type: change_type_to_wire(update.change_type).into(),
    }
}

/// A current count as an InventoryCount.
pub fn count_to_wire(count: &CountRecord) -> pb::InventoryCount {
    pb::InventoryCount {
        catalog_object_id: count.key.catalog_object_id.clone(),
        catalog_object_type: CATALOG_OBJECT_TYPE.into(),
        state: state_to_wire(count.key.state),
        location_id: count.key.location_id.clone(),
        quantity: count.quantity.to_string(),
        calculated_at: Some(timestamp_from_micros(count.calculated_at)),
        is_estimated: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_the_wire() {
        for state in InventoryState::ALL {
            assert_eq!(state_from_wire(state_to_wire(state)), Some(state));
            let named = pb::InventoryState::try_from(state_to_wire(state))
                .unwrap()
                .as_str_name();
            assert_eq!(named, format!("INVENTORY_STATE_{}", state.as_str()));
        }
        assert_eq!(state_from_wire(0), None);
        assert_eq!(state_from_wire(18), Some(InventoryState::Damaged));
        assert_eq!(state_from_wire(20), Some(InventoryState::SafetyStock));
        assert_eq!(state_from_wire(21), None);
        assert_eq!(state_from_wire(-1), None);
    }

    #[test]
    fn every_reason_type_round_trips_through_the_wire() {
        for kind in ReasonType::ALL.iter().copied() {
            assert_eq!(reason_type_from_wire(reason_type_to_wire(kind)), Some(kind));
            let named = pb::InventoryAdjustmentReasonType::try_from(reason_type_to_wire(kind))
                .unwrap()
                .as_str_name();
            assert_eq!(
                named,
                format!("INVENTORY_ADJUSTMENT_REASON_TYPE_{}", kind.as_str())
            );
        }
        assert_eq!(reason_type_from_wire(0), None);
        assert_eq!(reason_type_from_wire(32), None);
        assert_eq!(reason_type_from_wire(-1), None);
    }

    #[test]
    fn filters_refuse_unknown_numbers_and_counts_filters_uncounted_states() {
        let state = |s: pb::InventoryState| s as i32;
        let in_stock = state(pb::InventoryState::InStock);
        let sold = state(pb::InventoryState::Sold);
        let first_refusal = |result: Result<Vec<InventoryState>, Violations>| {
            result.err().map(|v| (v.0[0].field.clone(), v.0[0].reason))
        };
        /// A refusal's field and reason; `None` when accepted.
        type Refusal = Option<(&'static str, &'static str)>;
        let table: &[(&[i32], Refusal, Refusal)] = &[
            // (states, as a history filter, as a counts filter)
            (&[], None, None),
            (&[in_stock], None, None),
            (
                &[in_stock, sold],
                None,
                Some(("states[1]", reasons::INVALID_VALUE)),
            ),
            (
                &[99],
                Some(("states[0]", reasons::INVALID_ENUM_VALUE)),
                Some(("states[0]", reasons::INVALID_ENUM_VALUE)),
            ),
            (
                &[in_stock, -1],
                Some(("states[1]", reasons::INVALID_ENUM_VALUE)),
                Some(("states[1]", reasons::INVALID_ENUM_VALUE)),
            ),
            (
                &[0],
                Some(("states[0]", reasons::INVALID_ENUM_VALUE)),
                Some(("states[0]", reasons::INVALID_ENUM_VALUE)),
            ),
        ];
        let owned = |r: Option<(&str, &'static str)>| r.map(|(f, r)| (f.to_owned(), r));
        for (raw, history, counts) in table {
            let as_history = states_filter("states", raw).map_err(Violations::from);
            assert_eq!(first_refusal(as_history), owned(*history), "{raw:?}");
            assert_eq!(
                first_refusal(count_states_filter("states", raw)),
                owned(*counts),
                "{raw:?}"
            );
        }
        assert_eq!(
            states_filter("states", &[in_stock, sold, in_stock, sold]),
            Ok(vec![InventoryState::InStock, InventoryState::Sold])
        );
        let long = vec![in_stock; MAX_FILTER_ENTRIES + 1];
        assert_eq!(
            first_refusal(count_states_filter("states", &long)),
            Some(("states".to_owned(), reasons::ARRAY_LENGTH_TOO_LONG))
        );
        assert_eq!(
            types_filter("types", &vec![1; MAX_FILTER_ENTRIES]).map(|t| t.len()),
            Ok(1)
        );
        let too_many = types_filter("types", &vec![99; 40_000]).unwrap_err();
        assert_eq!(
            (too_many.field.as_str(), too_many.reason),
            ("types", reasons::ARRAY_LENGTH_TOO_LONG)
        );
        let types = types_filter("types", &[1, 99]).unwrap_err();
        assert_eq!(
            (types.field.as_str(), types.reason),
            ("types[1]", reasons::INVALID_ENUM_VALUE)
        );
    }

    #[test]
    fn every_product_round_trips_through_the_wire_and_its_stored_name() {
        for product in Product::ALL {
            let wire = product_to_wire(product);
            assert_eq!(product_from_wire(wire as i32), Some(product));
            assert_eq!(
                wire.as_str_name(),
                format!("PRODUCT_{}", product.as_str()),
                "the stored name is the enum value name without its prefix"
            );
            assert_eq!(Product::parse(wire.as_str_name()), Some(product));
            let source = ChangeSource {
                product: product.as_str().into(),
                ..ChangeSource::default()
            };
            assert_eq!(source_to_wire(&source).product, wire as i32);
        }
        assert_eq!(product_from_wire(0), None);
        assert_eq!(product_from_wire(99), None);
        let unknown = ChangeSource {
            product: "SOMETHING_ELSE".into(),
            ..ChangeSource::default()
        };
        assert_eq!(source_to_wire(&unknown).product, 0);
    }

    #[test]
    fn a_sort_order_is_a_known_enum() {
        let table: &[(i32, Result<Option<bool>, &str>)] = &[
            (0, Ok(None)),
            (1, Ok(Some(false))),
            (2, Ok(Some(true))),
            (3, Err(reasons::INVALID_ENUM_VALUE)),
            (-1, Err(reasons::INVALID_ENUM_VALUE)),
        ];
        for (raw, expected) in table {
            let got = newest_first_from_wire("sort_order", *raw).map_err(|v| {
                assert_eq!(v.field, "sort_order");
                v.reason
            });
            assert_eq!(got, *expected, "{raw}");
        }
    }

    #[test]
    fn a_change_type_is_a_known_enum_that_agrees_with_the_member() {
        let change = |r#type: i32| pb::InventoryChange {
            expected_quantity: None,
            r#type,
            change: Some(pb::inventory_change::Change::PhysicalCount(
                pb::InventoryPhysicalCount::default(),
            )),
        };
        let refusal = |r#type| {
            let violations = change_draft(0, change(r#type))
                .unwrap_err()
                .into_violations();
            let v = &violations.0[0];
            (v.field.clone(), v.reason)
        };
        assert_eq!(
            refusal(99),
            ("changes[0].type".to_owned(), reasons::INVALID_ENUM_VALUE)
        );
        let adjustment = pb::InventoryChangeType::Adjustment as i32;
        assert_eq!(
            refusal(adjustment),
            ("changes[0].type".to_owned(), reasons::INVALID_VALUE)
        );
        let agreeing = pb::InventoryChangeType::PhysicalCount as i32;
        assert!(change_draft(0, change(agreeing)).is_ok());
        assert!(
            change_draft(0, change(0)).is_ok(),
            "unspecified: the member decides"
        );
    }
}
