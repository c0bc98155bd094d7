//! Fuzz target: validation of a `BatchChangeInventory` request.
//!
//! The input is decoded as a `BatchChangeInventoryRequest` and checked in the handler's
//! order before anything reaches the database: the idempotency key
//! (`domain::validate::check_idempotency_key`), the number of changes, then each change
//! through `api::ledger_wire::change_draft` (wire → draft) and
//! `domain::validate::validate_change` (the ledger's rules). A refusal must name at least one
//! field, each of change `i` and under `changes[i]`. An
//! accepted change must obey every documented rule: a quantity in (0, 10^9] (physical
//! counts: [0, 10^9]) that is the one sent, an occurred_at inside the accepted window,
//! writable and distinct states, well-formed ids in their canonical spelling and distinct
//! locations, a price only on sales, references of bounded length without control
//! characters. Its effects are then applied to counts the way the planner does
//! (`apply_effect`), and each count must equal the reference fold of its history
//! (`fold_count`).

#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use prost::Message;
use stockledger::api::ledger_wire::change_draft;
use stockledger::domain::decimal::Fixed5;
use stockledger::domain::id::canonical_id;
use stockledger::domain::ledger::{
    ChangeMovement, ChangeType, CountKey, CountState, Effect, InventoryState, MAX_CHANGE_QUANTITY,
    MAX_CHANGES_PER_BATCH, MAX_CLOCK_SKEW_MICROS, MAX_IDEMPOTENCY_KEY_CHARS,
    MAX_OCCURRED_AT_AGE_MICROS, MAX_REFERENCE_CHARS, NewChange, Position, apply_effect, effects,
    fold_count,
};
use stockledger::domain::validate::{check_idempotency_key, validate_change};
use stockledger::proto::v1::BatchChangeInventoryRequest;

/// Receipt time of every fuzzed batch (µs): a fixed, realistic server clock.
const NOW: i64 = 1_800_000_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = BatchChangeInventoryRequest::decode(data) else {
        return;
    };
    // The handler refuses these before looking at any change.
    let key = &request.idempotency_key;
    if check_idempotency_key(key).is_err() {
        return;
    }
    assert!(!key.is_empty() && key.chars().count() <= MAX_IDEMPOTENCY_KEY_CHARS);
    assert!(!key.chars().any(char::is_control), "key {key:?} accepted");
    if request.changes.is_empty() || request.changes.len() > MAX_CHANGES_PER_BATCH {
        return;
    }
    let mut valid = Vec::new();
    for (i, change) in request.changes.into_iter().enumerate() {
        let outcome = change_draft(i, change).and_then(|draft| {
            let sent = draft.clone();
            let checked = validate_change(i, draft, NOW);
            if let Ok(new) = &checked {
                assert_eq!(Fixed5::parse(&sent.quantity), Ok(new.quantity));
                assert_eq!(new.references, sent.references);
                // Accepted in any UUID spelling, carried in the canonical one.
                assert_eq!(
                    Some(new.catalog_object_id.as_str()),
                    canonical_id("", &sent.catalog_object_id).ok().as_deref()
                );
            }
            checked
        });
        match outcome {
            Ok(new) => {
                check_valid(&new);
                valid.push(new);
            }
            Err(violations) => {
                assert!(
                    !violations.0.is_empty(),
                    "change {i} refused without a reason"
                );
                let prefix = format!("changes[{i}]");
                for v in &violations.0 {
                    assert_eq!(v.index, i, "{v:?} names another change");
                    assert!(v.path().starts_with(&prefix), "{v:?} outside {prefix}");
                }
            }
        }
    }
    check_counts(&valid);
});

/// Every rule an accepted change is documented to obey.
fn check_valid(change: &NewChange) {
    let kind = change.movement.change_type();
    let q = change.quantity;
    if kind == ChangeType::PhysicalCount {
        assert!(!q.is_negative(), "physical count of {q}");
    } else {
        assert!(q.is_positive(), "{kind:?} of {q}");
    }
    assert!(q <= MAX_CHANGE_QUANTITY, "quantity {q} above the maximum");
    assert!(
        (NOW - MAX_OCCURRED_AT_AGE_MICROS..=NOW + MAX_CLOCK_SKEW_MICROS)
            .contains(&change.occurred_at),
        "occurred_at {} outside the window",
        change.occurred_at
    );
    let is_canonical = |id: &str| canonical_id("", id).is_ok_and(|canonical| canonical == id);
    assert!(
        is_canonical(&change.catalog_object_id),
        "item {:?} accepted as it was spelled",
        change.catalog_object_id
    );
    for (_, location) in change.movement.locations() {
        assert!(
            is_canonical(location),
            "location {location:?} accepted as it was spelled"
        );
    }
    match &change.movement {
        ChangeMovement::Adjustment {
            from_state,
            to_state,
            location_id,
        } => {
            assert!(from_state.is_writable() && to_state.is_writable());
            assert_ne!(from_state, to_state);
            assert_ne!(*to_state, InventoryState::None);
            assert!(!location_id.is_empty());
        }
        ChangeMovement::PhysicalCount { state, location_id } => {
            assert!(state.keeps_count());
            assert!(!location_id.is_empty());
        }
        ChangeMovement::Transfer {
            state,
            from_location_id,
            to_location_id,
        } => {
            assert!(state.keeps_count());
            assert!(!from_location_id.is_empty() && !to_location_id.is_empty());
            assert_ne!(from_location_id, to_location_id);
        }
    }
    if let Some(price) = &change.total_price {
        assert!(matches!(
            change.movement,
            ChangeMovement::Adjustment {
                to_state: InventoryState::Sold,
                ..
            }
        ));
        assert!(!price.amount.is_negative());
        assert_eq!(price.currency.len(), 3);
    }
    let r = &change.references;
    for text in [
        &r.reference_id,
        &r.employee_id,
        &r.team_member_id,
        &r.transaction_id,
        &r.refund_id,
        &r.purchase_order_id,
        &r.goods_receipt_id,
    ] {
        assert!(text.chars().count() <= MAX_REFERENCE_CHARS);
        assert!(
            !text.chars().any(char::is_control),
            "reference {text:?} accepted"
        );
    }
    if kind != ChangeType::Adjustment {
        assert!(r.transaction_id.is_empty() && r.refund_id.is_empty());
        assert!(r.purchase_order_id.is_empty() && r.goods_receipt_id.is_empty());
    }
}

/// A count as the planner keeps it, beside the history it must fold to.
type Count = (Option<CountState>, Vec<(Position, Effect)>);

/// Applies the batch's effects to counts one change at a time, as the planner does, and
/// compares each count with the fold of its whole history.
fn check_counts(changes: &[NewChange]) {
    let mut counts: HashMap<CountKey, Count> = HashMap::new();
    for (seq, change) in changes.iter().enumerate() {
        let position = (change.occurred_at, seq as i64);
        for (key, effect) in effects(change) {
            assert!(key.state.keeps_count(), "effect on {:?}", key.state);
            let (Effect::Delta(q) | Effect::Set(q)) = effect;
            assert!(q <= MAX_CHANGE_QUANTITY);
            assert!(q.checked_neg().is_some_and(|n| n <= MAX_CHANGE_QUANTITY));
            let (current, history) = counts.entry(key).or_default();
            let deltas_after = || {
                history
                    .iter()
                    .filter(|(p, _)| *p > position)
                    .filter_map(|(_, e)| match e {
                        Effect::Delta(d) => Some(*d),
                        Effect::Set(_) => None,
                    })
                    .collect()
            };
            // At most 100 changes of at most 10^9 each: never near the ±10^12 bound.
            let next = apply_effect(*current, effect, position, deltas_after)
                .expect("one batch stays within the count range");
            history.push((position, effect));
            if let Some(next) = next {
                *current = Some(next);
            }
        }
    }
    for (key, (current, history)) in counts {
        let quantity = current.map_or(Fixed5::ZERO, |c| c.quantity);
        assert_eq!(
            Some(quantity),
            fold_count(history),
            "count of {key:?} disagrees with its history"
        );
    }
}
