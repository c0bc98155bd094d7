//! The rules of one change of a batch, alone (docs/ledger.md): states and transitions,
//! quantities, times, prices, free-text references, ids. A change that passes is a
//! [`NewChange`]; one that does not names every field at fault, inside its member. Rules
//! that need stored facts (does the item exist?) are a group's, in [`super::decide`].

use super::currency::is_iso4217_currency;
use super::decimal::{DecimalError, Fixed5};
use super::error::{Violation, Violations, reasons};
use super::id::canonical_id;
use super::ledger::{
    ChangeDraft, ChangeMovement, ChangeReferences, ChangeType, INVALID_STATE_TRANSITION,
    INVALID_TIME, InventoryState, MAX_CHANGE_QUANTITY, MAX_CLOCK_SKEW_MICROS,
    MAX_IDEMPOTENCY_KEY_CHARS, MAX_OCCURRED_AT_AGE_MICROS, MAX_REFERENCE_CHARS, Money,
    MovementDraft, NewChange,
};
use super::reason::check_change_reason;
use super::refusal::ChangeViolations;
use super::reservation::is_reservation_move;
use super::text::check_free_text;

/// How old an `occurred_at` may be: the live API takes the last 24 hours; an import of
/// history takes any past time (both refuse more than 5 minutes ahead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OccurredAtWindow {
    /// At most [`MAX_OCCURRED_AT_AGE_MICROS`] old (BatchChangeInventory).
    Live,
    /// Any past time (history brought in by `stockledger import`).
    History,
}

/// Checks change `index` of a batch, with `now` as receipt time (µs), as the live API does
/// (the 24-hour window). Each violation names its field inside the change's member.
pub fn validate_change(
    index: usize,
    draft: ChangeDraft,
    now: i64,
) -> Result<NewChange, ChangeViolations> {
    validate_change_within(index, draft, now, OccurredAtWindow::Live)
}

/// [`validate_change`] with the `occurred_at` window given: every other rule is the same.
pub fn validate_change_within(
    index: usize,
    draft: ChangeDraft,
    now: i64,
    window: OccurredAtWindow,
) -> Result<NewChange, ChangeViolations> {
    let change_type = match draft.movement {
        MovementDraft::Adjustment { .. } => ChangeType::Adjustment,
        MovementDraft::PhysicalCount { .. } => ChangeType::PhysicalCount,
        MovementDraft::Transfer { .. } => ChangeType::Transfer,
    };
    let path = |field: &str| field.to_owned();
    let mut errors = Violations::default();

    let catalog_object_id =
        errors.check(canonical_id("catalog_object_id", &draft.catalog_object_id));
    let reserving = !draft.references.reservation_id.is_empty();
    let movement = validate_movement(&draft.movement, reserving, &path, &mut errors);
    let quantity = errors.check(validate_quantity(&draft, &path));
    let occurred_at = errors.check(validate_occurred_at(draft.occurred_at, now, window, &path));
    let total_price = validate_total_price(&draft, movement.as_ref(), &path, &mut errors);
    let cost = validate_receipt_fields(&draft, movement.as_ref(), &path, &mut errors);
    let reason = draft.reason.as_ref().and_then(|reason| {
        match check_change_reason(&path("reason_id"), reason) {
            Ok(reason) => Some(reason),
            Err(violations) => {
                errors.0.extend(violations.0);
                None
            }
        }
    });
    validate_references(&draft.references, change_type.member(), &path, &mut errors);

    match (movement, catalog_object_id, quantity, occurred_at) {
        (Some(movement), Some(catalog_object_id), Some(quantity), Some(occurred_at))
            if errors.0.is_empty() =>
        {
            Ok(NewChange {
                movement,
                catalog_object_id,
                quantity,
                occurred_at,
                total_price,
                cost,
                reason,
                references: draft.references,
            })
        }
        _ => Err(ChangeViolations::in_member(index, change_type, errors)),
    }
}

/// Checks a batch's idempotency key: required, free text of at most
/// [`MAX_IDEMPOTENCY_KEY_CHARS`] characters.
pub fn check_idempotency_key(key: &str) -> Result<(), Violation> {
    const FIELD: &str = "idempotency_key";
    if key.is_empty() {
        return Err(Violation::missing(FIELD));
    }
    check_free_text(FIELD, key, MAX_IDEMPOTENCY_KEY_CHARS)
}

/// Checks the states of a counts filter (`field[i]`): only states that keep a count can
/// be asked for, since the others have no count to return.
pub fn check_counted_states(field: &str, states: &[InventoryState]) -> Result<(), Violations> {
    let counted: Vec<&str> = InventoryState::ALL
        .iter()
        .filter(|s| s.keeps_count())
        .map(|s| s.as_str())
        .collect();
    let violations = states
        .iter()
        .enumerate()
        .filter(|(_, state)| !state.keeps_count())
        .map(|(i, state)| {
            Violation::invalid(
                format!("{field}[{i}]"),
                format!(
                    "{} keeps no count; counts are kept for {} only",
                    state.as_str(),
                    counted.join(", ")
                ),
            )
        })
        .collect();
    Violations(violations).into_result(())
}

/// The states a physical count or a transfer may name, in wire order:
/// `IN_STOCK, WASTE, DAMAGED, …`.
fn counted_writable_states() -> String {
    InventoryState::ALL
        .iter()
        .filter(|s| s.keeps_count() && s.is_writable())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn state_violation(field: String, description: &str) -> Violation {
    Violation::new(field, INVALID_STATE_TRANSITION, description)
}

/// A known state the change may name; RESERVED_FOR_SALE only when `reserving` (the change
/// is a reservation's, carrying its id: history brought back by an import).
fn require_state(
    state: Option<InventoryState>,
    field: String,
    reserving: bool,
    errors: &mut Violations,
) -> Option<InventoryState> {
    match state {
        None => {
            errors.push(Violation::new(
                field,
                reasons::INVALID_ENUM_VALUE,
                "must be a known InventoryState",
            ));
            None
        }
        Some(InventoryState::ReservedForSale) if reserving => Some(InventoryState::ReservedForSale),
        Some(s) if !s.is_writable() => {
            errors.push(state_violation(
                field,
                &format!("{} is read-only", s.as_str()),
            ));
            None
        }
        Some(s) => Some(s),
    }
}

fn require_location(id: &str, field: String, errors: &mut Violations) -> Option<String> {
    errors.check(canonical_id(&field, id))
}

fn validate_movement(
    draft: &MovementDraft,
    reserving: bool,
    path: &dyn Fn(&str) -> String,
    errors: &mut Violations,
) -> Option<ChangeMovement> {
    match draft {
        MovementDraft::Adjustment {
            from_state,
            to_state,
            location_id,
        } => {
            let from = require_state(*from_state, path("from_state"), reserving, errors);
            let to = require_state(*to_state, path("to_state"), reserving, errors);
            let location = require_location(location_id, path("location_id"), errors);
            if to == Some(InventoryState::None) {
                errors.push(state_violation(path("to_state"), "nothing moves to NONE"));
                return None;
            }
            if from.is_some() && from == to {
                errors.push(state_violation(
                    path("to_state"),
                    "must differ from from_state",
                ));
                return None;
            }
            if let (true, Some(from), Some(to)) = (reserving, from, to)
                && !is_reservation_move(from, to)
            {
                errors.push(state_violation(
                    path("reservation_id"),
                    "is carried only by a reservation's moves: IN_STOCK → RESERVED_FOR_SALE, \
                     RESERVED_FOR_SALE → IN_STOCK or SOLD",
                ));
                return None;
            }
            Some(ChangeMovement::Adjustment {
                from_state: from?,
                to_state: to?,
                location_id: location?,
            })
        }
        MovementDraft::PhysicalCount { state, location_id } => {
            let state = require_state(*state, path("state"), false, errors);
            let location = require_location(location_id, path("location_id"), errors);
            if state.is_some_and(|s| !s.keeps_count()) {
                errors.push(state_violation(
                    path("state"),
                    &format!(
                        "physical counts are of a counted state: {}",
                        counted_writable_states()
                    ),
                ));
                return None;
            }
            Some(ChangeMovement::PhysicalCount {
                state: state?,
                location_id: location?,
            })
        }
        MovementDraft::Transfer {
            state,
            from_location_id,
            to_location_id,
        } => {
            let state = require_state(*state, path("state"), false, errors);
            let from = require_location(from_location_id, path("from_location_id"), errors);
            let to = require_location(to_location_id, path("to_location_id"), errors);
            if state.is_some_and(|s| !s.keeps_count()) {
                errors.push(state_violation(
                    path("state"),
                    &format!(
                        "transfers move a counted state: {}",
                        counted_writable_states()
                    ),
                ));
                return None;
            }
            if from.is_some() && from == to {
                errors.push(Violation::invalid(
                    path("to_location_id"),
                    "must differ from from_location_id",
                ));
                return None;
            }
            Some(ChangeMovement::Transfer {
                state: state?,
                from_location_id: from?,
                to_location_id: to?,
            })
        }
    }
}

fn validate_quantity(
    draft: &ChangeDraft,
    path: &dyn Fn(&str) -> String,
) -> Result<Fixed5, Violation> {
    let counting = matches!(draft.movement, MovementDraft::PhysicalCount { .. });
    parse_change_quantity(&path("quantity"), &draft.quantity, counting)
}

/// A change's quantity as text: greater than 0 (at least 0 when `counting`, a physical
/// count's) and at most [`MAX_CHANGE_QUANTITY`], 5 decimals at most; a violation names
/// `field`. Reservation lines and commits are held to the same bounds.
pub fn parse_change_quantity(field: &str, text: &str, counting: bool) -> Result<Fixed5, Violation> {
    let too_low = || {
        let bound = if counting {
            "must be at least 0"
        } else {
            "must be greater than 0"
        };
        Violation::new(field, reasons::VALUE_TOO_LOW, bound)
    };
    let too_high = || {
        Violation::new(
            field,
            reasons::VALUE_TOO_HIGH,
            format!("must be at most {MAX_CHANGE_QUANTITY}"),
        )
    };
    // A value beyond what a decimal can hold is beyond the quantity's bounds too: the
    // same reason as a slightly smaller one, however many digits it has.
    let quantity = match Fixed5::parse(text) {
        Ok(quantity) => quantity,
        Err(DecimalError::TooHigh) => return Err(too_high()),
        Err(DecimalError::TooLow) => return Err(too_low()),
        Err(error) => return Err(error.violation(field)),
    };
    if (counting && quantity.is_negative()) || (!counting && !quantity.is_positive()) {
        return Err(too_low());
    }
    if quantity > MAX_CHANGE_QUANTITY {
        return Err(too_high());
    }
    Ok(quantity)
}

fn validate_occurred_at(
    occurred_at: Option<i64>,
    now: i64,
    window: OccurredAtWindow,
    path: &dyn Fn(&str) -> String,
) -> Result<i64, Violation> {
    let Some(at) = occurred_at else {
        return Ok(now);
    };
    if window == OccurredAtWindow::Live && at < now - MAX_OCCURRED_AT_AGE_MICROS {
        Err(Violation::new(
            path("occurred_at"),
            INVALID_TIME,
            "must be within the last 24 hours",
        ))
    } else if at > now + MAX_CLOCK_SKEW_MICROS {
        Err(Violation::new(
            path("occurred_at"),
            INVALID_TIME,
            "must not be more than 5 minutes in the future",
        ))
    } else {
        Ok(at)
    }
}

fn validate_total_price(
    draft: &ChangeDraft,
    movement: Option<&ChangeMovement>,
    path: &dyn Fn(&str) -> String,
    errors: &mut Violations,
) -> Option<Money> {
    let (amount, currency) = draft.total_price.as_ref()?;
    let field = path("total_price_money");
    let sold = matches!(
        movement,
        Some(ChangeMovement::Adjustment {
            to_state: InventoryState::Sold,
            ..
        })
    );
    if !sold {
        errors.push(Violation::invalid(
            field,
            "is only allowed on adjustments to SOLD",
        ));
        return None;
    }
    errors.check(parse_money(&field, amount, currency))
}

/// `cost_money` and `vendor_id`, which only a receipt may carry (an adjustment from NONE
/// or UNLINKED_RETURN, as on Square): the cost parsed as a price.
fn validate_receipt_fields(
    draft: &ChangeDraft,
    movement: Option<&ChangeMovement>,
    path: &dyn Fn(&str) -> String,
    errors: &mut Violations,
) -> Option<Money> {
    let receipt = matches!(
        movement,
        Some(ChangeMovement::Adjustment {
            from_state: InventoryState::None | InventoryState::UnlinkedReturn,
            ..
        })
    );
    let adjustment = matches!(movement, Some(ChangeMovement::Adjustment { .. }));
    // vendor_id off adjustments is refused with the other adjustment-only references.
    let sent = [
        ("cost_money", draft.cost.is_some() && movement.is_some()),
        (
            "vendor_id",
            !draft.references.vendor_id.is_empty() && adjustment,
        ),
    ];
    for (field, set) in sent {
        if set && !receipt {
            errors.push(Violation::invalid(
                path(field),
                "is only allowed on receipts: adjustments from NONE or UNLINKED_RETURN",
            ));
        }
    }
    let (amount, currency) = draft.cost.as_ref()?;
    if !receipt {
        return None;
    }
    errors.check(parse_money(&path("cost_money"), amount, currency))
}

/// A price as text, named `field` (`total_price_money`): an amount of at least 0, with at
/// most 5 decimals, in an ISO 4217 currency. A sale's price, a reservation commit's too.
pub fn parse_money(field: &str, amount: &str, currency: &str) -> Result<Money, Violation> {
    let amount = match Fixed5::parse(amount) {
        Ok(a) if !a.is_negative() => a,
        Ok(_) | Err(DecimalError::TooLow) => {
            return Err(Violation::new(
                format!("{field}.amount"),
                reasons::VALUE_TOO_LOW,
                "must be at least 0",
            ));
        }
        Err(e) => return Err(e.violation(format!("{field}.amount"))),
    };
    if !is_iso4217_currency(currency) {
        return Err(Violation::invalid(
            format!("{field}.currency"),
            "must be an ISO 4217 currency code such as \"EUR\"",
        ));
    }
    Ok(Money {
        amount,
        currency: currency.to_owned(),
    })
}

fn validate_references(
    references: &ChangeReferences,
    member: &str,
    path: &dyn Fn(&str) -> String,
    errors: &mut Violations,
) {
    let adjustment_only = [
        ("transaction_id", &references.transaction_id),
        ("refund_id", &references.refund_id),
        ("purchase_order_id", &references.purchase_order_id),
        ("goods_receipt_id", &references.goods_receipt_id),
        ("vendor_id", &references.vendor_id),
    ];
    let common = [
        ("reference_id", &references.reference_id),
        ("employee_id", &references.employee_id),
        ("team_member_id", &references.team_member_id),
    ];
    for (name, value) in common.iter().chain(adjustment_only.iter()) {
        errors.check(check_free_text(&path(name), value, MAX_REFERENCE_CHARS));
    }
    if member != ChangeType::Adjustment.member() {
        for (name, value) in adjustment_only {
            if !value.is_empty() {
                errors.push(Violation::invalid(
                    path(name),
                    "is only allowed on adjustments",
                ));
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const NOW: i64 = 1_800_000_000_000_000;
    const MINUTE: i64 = 60_000_000;
    pub(crate) const ITEM: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";
    pub(crate) const SHOP: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d631";
    const OTHER_SHOP: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d632";

    /// A draft adjustment of `quantity` of ITEM at SHOP.
    pub(crate) fn adjustment(
        from: InventoryState,
        to: InventoryState,
        quantity: &str,
    ) -> ChangeDraft {
        ChangeDraft {
            movement: MovementDraft::Adjustment {
                from_state: Some(from),
                to_state: Some(to),
                location_id: SHOP.into(),
            },
            catalog_object_id: ITEM.into(),
            quantity: quantity.into(),
            occurred_at: Option::None,
            total_price: Option::None,
            cost: Default::default(),
            reason: Default::default(),
            references: ChangeReferences::default(),
        }
    }

    fn fields(result: Result<NewChange, ChangeViolations>) -> Vec<String> {
        result
            .unwrap_err()
            .into_violations()
            .0
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    use InventoryState::*;

    #[test]
    fn writable_transitions_are_accepted() {
        for (from, to) in [
            (None, InStock),
            (InStock, Sold),
            (InStock, Waste),
            (UnlinkedReturn, InStock),
            (Waste, InStock),
        ] {
            assert!(
                validate_change(0, adjustment(from, to, "1"), NOW).is_ok(),
                "{from:?}->{to:?}"
            );
        }
    }

    #[test]
    fn named_quantities_move_like_waste() {
        // Shopify's damaged, quality_control and safety_stock: writable and counted.
        for (from, to) in [
            (InStock, Damaged),
            (Damaged, Waste),
            (Damaged, InStock),
            (None, SafetyStock),
            (None, QualityControl),
            (QualityControl, InStock),
            (QualityControl, Damaged),
            (InStock, SafetyStock),
            (SafetyStock, InStock),
            (Sold, Damaged),
            (UnlinkedReturn, QualityControl),
            (Damaged, Sold),
        ] {
            assert!(
                validate_change(0, adjustment(from, to, "1"), NOW).is_ok(),
                "{from:?}->{to:?}"
            );
        }
        for (from, to, field) in [
            (Damaged, None, "changes[0].adjustment.to_state"),
            (Damaged, Damaged, "changes[0].adjustment.to_state"),
            (
                SafetyStock,
                ReservedForSale,
                "changes[0].adjustment.to_state",
            ),
            (
                InTransit,
                QualityControl,
                "changes[0].adjustment.from_state",
            ),
        ] {
            let err = validate_change(0, adjustment(from, to, "1"), NOW)
                .unwrap_err()
                .into_violations();
            assert_eq!(err.0[0].field, field, "{from:?}->{to:?}");
            assert_eq!(err.0[0].reason, INVALID_STATE_TRANSITION);
        }
    }

    /// docs/ledger.md's table of transitions, for every pair of states: an adjustment is
    /// accepted exactly when both states are writable, it does not move to NONE and the
    /// states differ (a reservation's moves aside, which need its id).
    #[test]
    fn the_transition_table_holds_for_every_pair() {
        for from in InventoryState::ALL {
            for to in InventoryState::ALL {
                let allowed = from.is_writable() && to.is_writable() && to != None && from != to;
                let outcome = validate_change(0, adjustment(from, to, "1"), NOW);
                assert_eq!(outcome.is_ok(), allowed, "{from:?}->{to:?}");
                if let Err(refusal) = outcome {
                    assert_eq!(
                        refusal.into_violations().0[0].reason,
                        INVALID_STATE_TRANSITION,
                        "{from:?}->{to:?}"
                    );
                }
            }
        }
        let writable: Vec<_> = InventoryState::ALL
            .into_iter()
            .filter(|s| s.is_writable())
            .collect();
        assert_eq!(
            writable,
            [
                None,
                InStock,
                Sold,
                Waste,
                UnlinkedReturn,
                Damaged,
                QualityControl,
                SafetyStock
            ]
        );
    }

    #[test]
    fn only_a_reservations_history_moves_reserved_stock() {
        let reservation = "01a20c5a-8f67-7031-9d39-e3d5cae5d6ff";
        let with_reservation = |from, to| {
            let mut draft = adjustment(from, to, "1");
            draft.references.reservation_id = reservation.into();
            validate_change_within(0, draft, NOW, OccurredAtWindow::History)
        };
        for (from, to) in [
            (InStock, ReservedForSale),
            (ReservedForSale, InStock),
            (ReservedForSale, Sold),
        ] {
            let change = with_reservation(from, to).expect("a reservation's move");
            assert_eq!(change.references.reservation_id, reservation);
            let without = validate_change_within(
                0,
                adjustment(from, to, "1"),
                NOW,
                OccurredAtWindow::History,
            );
            assert!(without.is_err(), "{from:?}->{to:?} needs its reservation");
        }
        for (from, to, field) in [
            (
                ReservedForSale,
                Waste,
                "changes[0].adjustment.reservation_id",
            ),
            (InStock, Sold, "changes[0].adjustment.reservation_id"),
            (
                Waste,
                ReservedForSale,
                "changes[0].adjustment.reservation_id",
            ),
        ] {
            let violations = with_reservation(from, to).unwrap_err().into_violations();
            assert_eq!(violations.0[0].field, field, "{from:?}->{to:?}");
        }
    }

    #[test]
    fn forbidden_transitions_name_the_field() {
        let cases = [
            (InStock, None, "changes[0].adjustment.to_state"),
            (InStock, InStock, "changes[0].adjustment.to_state"),
            (Custom, InStock, "changes[0].adjustment.from_state"),
            (InStock, ReservedForSale, "changes[0].adjustment.to_state"),
            (InTransit, Waste, "changes[0].adjustment.from_state"),
        ];
        for (from, to, field) in cases {
            let err = validate_change(0, adjustment(from, to, "1"), NOW)
                .unwrap_err()
                .into_violations();
            assert_eq!(err.0[0].field, field, "{from:?}->{to:?}");
            assert_eq!(err.0[0].reason, INVALID_STATE_TRANSITION);
        }
        let unknown = ChangeDraft {
            movement: MovementDraft::Adjustment {
                from_state: Option::None,
                to_state: Some(InStock),
                location_id: SHOP.into(),
            },
            ..adjustment(None, InStock, "1")
        };
        assert_eq!(
            fields(validate_change(2, unknown, NOW)),
            ["changes[2].adjustment.from_state"]
        );
    }

    #[test]
    fn physical_counts_and_transfers_keep_to_counted_states() {
        let count = |state| ChangeDraft {
            movement: MovementDraft::PhysicalCount {
                state: Some(state),
                location_id: SHOP.into(),
            },
            ..adjustment(None, InStock, "0")
        };
        for state in [InStock, Waste, Damaged, QualityControl, SafetyStock] {
            assert!(validate_change(0, count(state), NOW).is_ok(), "{state:?}");
        }
        assert_eq!(
            fields(validate_change(0, count(Sold), NOW)),
            ["changes[0].physical_count.state"]
        );
        let refused = validate_change(0, count(UnlinkedReturn), NOW)
            .unwrap_err()
            .into_violations();
        assert_eq!(
            refused.0[0].description,
            "physical counts are of a counted state: \
             IN_STOCK, WASTE, DAMAGED, QUALITY_CONTROL, SAFETY_STOCK"
        );
        let transfer_of = |state, from: &str, to: &str| ChangeDraft {
            movement: MovementDraft::Transfer {
                state: Some(state),
                from_location_id: from.into(),
                to_location_id: to.into(),
            },
            ..adjustment(None, InStock, "1")
        };
        let transfer = |from: &str, to: &str| transfer_of(InStock, from, to);
        assert!(validate_change(0, transfer(SHOP, OTHER_SHOP), NOW).is_ok());
        assert_eq!(
            fields(validate_change(0, transfer(SHOP, SHOP), NOW)),
            ["changes[0].transfer.to_location_id"]
        );
        for state in [Waste, Damaged, QualityControl, SafetyStock] {
            assert!(
                validate_change(0, transfer_of(state, SHOP, OTHER_SHOP), NOW).is_ok(),
                "{state:?}"
            );
        }
        assert_eq!(
            fields(validate_change(0, transfer_of(Sold, SHOP, OTHER_SHOP), NOW)),
            ["changes[0].transfer.state"]
        );
    }

    #[test]
    fn quantities_are_bounded_and_signed_by_kind() {
        for bad in ["0", "-1", "1.000001", "1e3", "", "1000000000.00001"] {
            let err = validate_change(0, adjustment(None, InStock, bad), NOW)
                .unwrap_err()
                .into_violations();
            assert_eq!(err.0[0].field, "changes[0].adjustment.quantity", "{bad:?}");
        }
        assert!(validate_change(0, adjustment(None, InStock, "1000000000"), NOW).is_ok());
        let zero_count = ChangeDraft {
            movement: MovementDraft::PhysicalCount {
                state: Some(InStock),
                location_id: SHOP.into(),
            },
            ..adjustment(None, InStock, "0")
        };
        assert!(validate_change(0, zero_count, NOW).is_ok());
    }

    /// One quantity per row, for an adjustment and for a physical count: the reason of its
    /// refusal, or `None` when accepted.
    #[test]
    fn quantity_reasons_table() {
        use reasons::*;
        let digits_27 = "9".repeat(27);
        let minus_digits_27 = format!("-{digits_27}");
        let table: &[(&str, Option<&str>, Option<&str>)] = &[
            // (quantity, adjustment, physical count)
            ("1", Option::None, Option::None),
            ("0", Some(VALUE_TOO_LOW), Option::None),
            ("-0", Some(VALUE_TOO_LOW), Option::None),
            ("-0.00001", Some(VALUE_TOO_LOW), Some(VALUE_TOO_LOW)),
            ("1000000000", Option::None, Option::None),
            (
                "1000000000.00001",
                Some(VALUE_TOO_HIGH),
                Some(VALUE_TOO_HIGH),
            ),
            (
                "92233720368547.75807",
                Some(VALUE_TOO_HIGH),
                Some(VALUE_TOO_HIGH),
            ),
            (
                "92233720368547.75808",
                Some(VALUE_TOO_HIGH),
                Some(VALUE_TOO_HIGH),
            ),
            (&digits_27, Some(VALUE_TOO_HIGH), Some(VALUE_TOO_HIGH)),
            (&minus_digits_27, Some(VALUE_TOO_LOW), Some(VALUE_TOO_LOW)),
            (
                "-92233720368547.75808",
                Some(VALUE_TOO_LOW),
                Some(VALUE_TOO_LOW),
            ),
            (
                "",
                Some(MISSING_REQUIRED_PARAMETER),
                Some(MISSING_REQUIRED_PARAMETER),
            ),
            ("1e3", Some(INVALID_VALUE), Some(INVALID_VALUE)),
            ("NaN", Some(INVALID_VALUE), Some(INVALID_VALUE)),
            ("５", Some(INVALID_VALUE), Some(INVALID_VALUE)),
            (" 1", Some(INVALID_VALUE), Some(INVALID_VALUE)),
            ("1.", Some(INVALID_VALUE), Some(INVALID_VALUE)),
            (".5", Some(INVALID_VALUE), Some(INVALID_VALUE)),
            ("+1", Some(INVALID_VALUE), Some(INVALID_VALUE)),
            ("1.000001", Some(INVALID_VALUE), Some(INVALID_VALUE)),
            (
                "0000000000000000000000000001",
                Some(VALUE_TOO_LONG),
                Some(VALUE_TOO_LONG),
            ),
        ];
        let counted = |quantity: &str| ChangeDraft {
            movement: MovementDraft::PhysicalCount {
                state: Some(InStock),
                location_id: SHOP.into(),
            },
            ..adjustment(None, InStock, quantity)
        };
        let reason = |draft: &ChangeDraft| {
            validate_change(0, draft.clone(), NOW)
                .err()
                .map(ChangeViolations::into_violations)
                .map(|errors| (errors.0[0].field.clone(), errors.0[0].reason))
        };
        for (quantity, adjusted, recounted) in table {
            let field = |member: &str| format!("changes[0].{member}.quantity");
            assert_eq!(
                reason(&adjustment(None, InStock, quantity)),
                adjusted.map(|r| (field("adjustment"), r)),
                "adjustment of {quantity:?}"
            );
            assert_eq!(
                reason(&counted(quantity)),
                recounted.map(|r| (field("physical_count"), r)),
                "physical count of {quantity:?}"
            );
        }
    }

    #[test]
    fn ids_are_required_and_well_formed() {
        let table: &[(&str, &str, &str)] = &[
            ("", SHOP, reasons::MISSING_REQUIRED_PARAMETER),
            ("nope", SHOP, reasons::INVALID_ID),
            (ITEM, "", reasons::MISSING_REQUIRED_PARAMETER),
            (ITEM, "shop-1", reasons::INVALID_ID),
        ];
        for (item, location, reason) in table {
            let draft = ChangeDraft {
                movement: MovementDraft::Adjustment {
                    from_state: Some(None),
                    to_state: Some(InStock),
                    location_id: (*location).into(),
                },
                catalog_object_id: (*item).into(),
                ..adjustment(None, InStock, "1")
            };
            let errors = validate_change(0, draft, NOW)
                .unwrap_err()
                .into_violations();
            let field = if item.len() == ITEM.len() {
                "changes[0].adjustment.location_id"
            } else {
                "changes[0].adjustment.catalog_object_id"
            };
            assert_eq!(
                (errors.0[0].field.as_str(), errors.0[0].reason),
                (field, *reason),
                "{item:?} at {location:?}"
            );
        }
    }

    #[test]
    fn references_are_free_text() {
        let with = |references: ChangeReferences| ChangeDraft {
            references,
            ..adjustment(InStock, Sold, "1")
        };
        let table: Vec<(ChangeReferences, &str, &str)> = vec![
            (
                ChangeReferences {
                    reference_id: "PO\n7".into(),
                    ..ChangeReferences::default()
                },
                "changes[0].adjustment.reference_id",
                reasons::INVALID_VALUE,
            ),
            (
                ChangeReferences {
                    transaction_id: "\0".into(),
                    ..ChangeReferences::default()
                },
                "changes[0].adjustment.transaction_id",
                reasons::INVALID_VALUE,
            ),
            (
                ChangeReferences {
                    employee_id: "\u{1b}[2J".into(),
                    ..ChangeReferences::default()
                },
                "changes[0].adjustment.employee_id",
                reasons::INVALID_VALUE,
            ),
            (
                ChangeReferences {
                    goods_receipt_id: "x".repeat(MAX_REFERENCE_CHARS + 1),
                    ..ChangeReferences::default()
                },
                "changes[0].adjustment.goods_receipt_id",
                reasons::VALUE_TOO_LONG,
            ),
        ];
        for (references, field, reason) in table {
            let errors = validate_change(0, with(references), NOW)
                .unwrap_err()
                .into_violations();
            assert_eq!(
                errors
                    .0
                    .iter()
                    .map(|v| (v.field.as_str(), v.reason))
                    .collect::<Vec<_>>(),
                [(field, reason)]
            );
        }
        let fine = ChangeReferences {
            reference_id: "PO-7 «été»".into(),
            ..ChangeReferences::default()
        };
        assert!(validate_change(0, with(fine), NOW).is_ok());
    }

    #[test]
    fn idempotency_keys_are_free_text() {
        let table: &[(&str, Option<&str>)] = &[
            ("k-1", Option::None),
            (&"k".repeat(MAX_IDEMPOTENCY_KEY_CHARS), Option::None),
            ("", Some(reasons::MISSING_REQUIRED_PARAMETER)),
            (
                &"k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1),
                Some(reasons::VALUE_TOO_LONG),
            ),
            ("k\r\n", Some(reasons::INVALID_VALUE)),
            ("\0", Some(reasons::INVALID_VALUE)),
        ];
        for (key, expected) in table {
            assert_eq!(
                check_idempotency_key(key).err().map(|v| v.reason),
                *expected,
                "{key:?}"
            );
        }
    }

    #[test]
    fn only_counted_states_filter_counts() {
        assert_eq!(check_counted_states("states", &[InStock, Waste]), Ok(()));
        assert_eq!(check_counted_states("states", &[]), Ok(()));
        let refused = check_counted_states("states", &[InStock, Sold, Waste, None]).unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["states[1]", "states[3]"]);
        assert_eq!(refused.0[0].reason, reasons::INVALID_VALUE);
        assert_eq!(
            refused.0[0].description,
            "SOLD keeps no count; counts are kept for IN_STOCK, RESERVED_FOR_SALE, WASTE, \
             DAMAGED, QUALITY_CONTROL, SAFETY_STOCK only"
        );
        assert_eq!(
            check_counted_states("states", &[Damaged, QualityControl, SafetyStock]),
            Ok(())
        );
    }

    #[test]
    fn occurred_at_window() {
        let at = |t: i64| ChangeDraft {
            occurred_at: Some(t),
            ..adjustment(None, InStock, "1")
        };
        assert!(validate_change(0, at(NOW - 24 * 60 * MINUTE), NOW).is_ok());
        assert!(validate_change(0, at(NOW + 5 * MINUTE), NOW).is_ok());
        for bad in [NOW - 24 * 60 * MINUTE - 1, NOW + 5 * MINUTE + 1] {
            let err = validate_change(0, at(bad), NOW)
                .unwrap_err()
                .into_violations();
            assert_eq!(
                (err.0[0].field.as_str(), err.0[0].reason),
                ("changes[0].adjustment.occurred_at", INVALID_TIME)
            );
        }
        assert_eq!(
            validate_change(0, adjustment(None, InStock, "1"), NOW)
                .unwrap()
                .occurred_at,
            NOW
        );
    }

    #[test]
    fn total_price_only_on_sales() {
        let priced = |to| ChangeDraft {
            total_price: Some(("19.99".into(), "EUR".into())),
            ..adjustment(InStock, to, "1")
        };
        assert!(validate_change(0, priced(Sold), NOW).is_ok());
        assert_eq!(
            fields(validate_change(0, priced(Waste), NOW)),
            ["changes[0].adjustment.total_price_money"]
        );
        for not_a_currency in ["ABC", "eur", "EURO", ""] {
            let priced = ChangeDraft {
                total_price: Some(("19.99".into(), not_a_currency.into())),
                ..adjustment(InStock, Sold, "1")
            };
            assert_eq!(
                fields(validate_change(0, priced, NOW)),
                ["changes[0].adjustment.total_price_money.currency"],
                "{not_a_currency:?}"
            );
        }
    }
}
