//! Guards a batch may carry (docs/ledger.md, "Guarded changes"): a compare-and-swap on the
//! count each change takes from (`expected_quantity`), and no count lowered below zero
//! (`forbid_negative_counts`, per batch or as a location's default).
//!
//! Guards are decisions over facts like every other rule of a batch: [`check_guards`] is
//! run by `domain::decide` on the counts as the batch found them (read under lock, after
//! every batch before it in its group) and on the plan the batch would write, before that
//! plan is kept, so a refused batch leaves its group's other batches untouched. Both
//! compare the counts as they stand *now*, not as of a change's `occurred_at`.

use std::collections::{BTreeMap, HashMap};

use super::decimal::{DecimalError, Fixed5};
use super::error::{Violation, reasons};
use super::ledger::{
    ChangeMovement, ChangeType, CountKey, MAX_COUNT_MAGNITUDE, NewChange, within_count_bounds,
};
use super::plan::BatchPlan;
use super::refusal::{ChangeViolation, ChangeViolations};
use super::text::quote;

/// Reason of a batch refused because a count was not the quantity a change expected.
pub const QUANTITY_MISMATCH: &str = "QUANTITY_MISMATCH";
/// Reason of a batch refused because it would leave a count below zero where that is
/// forbidden.
pub const INSUFFICIENT_QUANTITY: &str = "INSUFFICIENT_QUANTITY";
/// The word an `expected_quantity` holds to say "the count must not exist yet"; also the
/// actual quantity reported of a count that does not exist.
pub const ABSENT: &str = "ABSENT";
/// The field of a change that carries its guard.
pub const EXPECTED_QUANTITY_FIELD: &str = "expected_quantity";

/// What a change expects of the count it takes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// The count must not exist yet (no change has touched it). Not the same as zero.
    Absent,
    /// The count must exist and hold exactly this.
    Quantity(Fixed5),
}

impl Expected {
    /// Reads `expected_quantity` of change `index` (`ABSENT` or a decimal within the
    /// bounds of a count) and checks that `change` takes from a count it can compare.
    pub fn parse(index: usize, text: &str, change: &NewChange) -> Result<Self, ChangeViolations> {
        let refuse = |reason, description: String| {
            ChangeViolations::of_change(
                index,
                Violation::new(EXPECTED_QUANTITY_FIELD, reason, description),
            )
        };
        let expected = if text == ABSENT {
            Expected::Absent
        } else {
            let quantity = Fixed5::parse(text).map_err(|e| match e {
                DecimalError::Empty => refuse(
                    reasons::INVALID_VALUE,
                    format!("must be a decimal or {ABSENT} (leave it unset for no guard)"),
                ),
                other => refuse(other.reason(), format!("{other}, or be {ABSENT}")),
            })?;
            if !within_count_bounds(quantity) {
                return Err(if quantity.is_positive() {
                    refuse(
                        reasons::VALUE_TOO_HIGH,
                        format!("must be at most {MAX_COUNT_MAGNITUDE}, as a count"),
                    )
                } else {
                    refuse(
                        reasons::VALUE_TOO_LOW,
                        format!("must be at least -{MAX_COUNT_MAGNITUDE}, as a count"),
                    )
                });
            }
            Expected::Quantity(quantity)
        };
        if guarded_count(change).is_none() {
            return Err(refuse(
                reasons::INVALID_VALUE,
                "the change takes from no kept count: neither of its states keeps one".into(),
            ));
        }
        Ok(expected)
    }

    /// Whether a count holding `actual` (`None`: it does not exist) is what was expected.
    pub fn holds_for(self, actual: Option<Fixed5>) -> bool {
        match self {
            Expected::Absent => actual.is_none(),
            Expected::Quantity(quantity) => actual == Some(quantity),
        }
    }
}

/// A quantity as a guard reports it: the decimal, or [`ABSENT`].
pub fn quantity_text(quantity: Option<Fixed5>) -> String {
    quantity.map_or_else(|| ABSENT.to_owned(), |q| q.to_string())
}

/// The count a change takes from, which its `expected_quantity` compares: an adjustment's
/// `from_state` count (its `to_state` count when `from_state` keeps none, as for a receipt
/// from NONE), the count a physical count replaces, a transfer's source count. `None` when
/// neither state keeps a count.
pub fn guarded_count(change: &NewChange) -> Option<CountKey> {
    let key = |location_id: &str, state| CountKey {
        catalog_object_id: change.catalog_object_id.clone(),
        location_id: location_id.to_owned(),
        state,
    };
    match &change.movement {
        ChangeMovement::Adjustment {
            from_state,
            to_state,
            location_id,
        } => [*from_state, *to_state]
            .into_iter()
            .find(|state| state.keeps_count())
            .map(|state| key(location_id, state)),
        ChangeMovement::PhysicalCount { state, location_id } => Some(key(location_id, *state)),
        ChangeMovement::Transfer {
            state,
            from_location_id,
            ..
        } => Some(key(from_location_id, *state)),
    }
}

/// The guards of one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchGuards {
    /// Per change, by position in the batch as sent: what it expects of the count it takes
    /// from. Empty when no change carries a guard.
    pub expected: Vec<Option<Expected>>,
    /// Whether no count the batch lowers may end below zero; `None` leaves it to each
    /// count's location (its `forbid_negative_counts`).
    pub forbid_negative_counts: Option<bool>,
}

impl BatchGuards {
    /// Whether the batch carries no guard of its own (locations' defaults still apply).
    pub fn is_empty(&self) -> bool {
        self.expected.iter().all(Option::is_none) && self.forbid_negative_counts.is_none()
    }
}

/// Which guard refused a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GuardKind {
    /// A change's `expected_quantity` was not the count's quantity.
    QuantityMismatch,
    /// The batch would leave a count below zero where that is forbidden.
    InsufficientQuantity,
}

/// Why a guard refused a batch: which change, which count, and the quantity found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardRefusal {
    /// Which guard.
    pub kind: GuardKind,
    /// Position of the change in the batch as sent.
    pub index: usize,
    /// Its type (the member its fields belong to).
    pub change_type: ChangeType,
    /// The count the guard compared.
    pub count: CountKey,
    /// For a mismatch, the count's actual quantity (`None`: it does not exist); for an
    /// insufficient quantity, what the count held before the change (`None`: nothing yet,
    /// which is zero available).
    pub quantity: Option<Fixed5>,
}

impl GuardRefusal {
    /// The reason code: [`QUANTITY_MISMATCH`] or [`INSUFFICIENT_QUANTITY`].
    pub fn reason(&self) -> &'static str {
        match self.kind {
            GuardKind::QuantityMismatch => QUANTITY_MISMATCH,
            GuardKind::InsufficientQuantity => INSUFFICIENT_QUANTITY,
        }
    }

    /// The quantity reported with the refusal (metadata `actual_quantity` or
    /// `available_quantity`).
    pub fn reported_quantity(&self) -> String {
        match self.kind {
            GuardKind::QuantityMismatch => quantity_text(self.quantity),
            GuardKind::InsufficientQuantity => self.quantity.unwrap_or(Fixed5::ZERO).to_string(),
        }
    }

    /// The change's field at fault, with the reason and what went wrong: its
    /// `expected_quantity` for a mismatch, its `quantity` otherwise.
    pub fn violation(&self) -> ChangeViolation {
        let count = describe_count(&self.count);
        match self.kind {
            GuardKind::QuantityMismatch => ChangeViolation {
                index: self.index,
                member: None,
                violation: Violation::new(
                    EXPECTED_QUANTITY_FIELD,
                    QUANTITY_MISMATCH,
                    format!("{count} is {}", self.reported_quantity()),
                ),
            },
            GuardKind::InsufficientQuantity => ChangeViolation {
                index: self.index,
                member: Some(self.change_type),
                violation: Violation::new(
                    "quantity",
                    INSUFFICIENT_QUANTITY,
                    format!(
                        "{count} has {} available; the batch would leave it below zero",
                        self.reported_quantity()
                    ),
                ),
            },
        }
    }
}

fn describe_count(count: &CountKey) -> String {
    format!(
        "{} of item {} at location {}",
        count.state.as_str(),
        quote(&count.catalog_object_id),
        quote(&count.location_id)
    )
}

/// Checks a planned batch's guards. `changes` are the batch's changes with their positions
/// as sent, `before` what each count held when the batch started (`None`: no such count),
/// `plan` what the planner made of the batch, and `forbids_negative` whether a location
/// forbids negative counts by default. Refuses on the first change (in batch order) whose
/// `expected_quantity` differs from its count as it stands just before that change, else on
/// the first change that leaves a count below zero and lower than it started, where
/// forbidden; the quantity named is the count just before that change.
pub fn check_guards(
    guards: &BatchGuards,
    changes: &[(usize, &NewChange)],
    before: impl Fn(&CountKey) -> Option<Fixed5>,
    plan: &BatchPlan,
    forbids_negative: impl Fn(&str) -> bool,
) -> Result<(), GuardRefusal> {
    let mut updates_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, update) in plan.updates.iter().enumerate() {
        let index = plan.recorded[update.change].index;
        updates_of.entry(index).or_default().push(i);
    }
    let mut current: HashMap<CountKey, Option<Fixed5>> = HashMap::new();
    // Count → (change that last lowered it, its type, the count just before that change).
    let mut lowered: BTreeMap<CountKey, (usize, ChangeType, Option<Fixed5>)> = BTreeMap::new();
    for &(index, change) in changes {
        if let Some(Some(expected)) = guards.expected.get(index) {
            let key = guarded_count(change).expect("a guarded change takes from a count");
            let actual = *current.entry(key.clone()).or_insert_with(|| before(&key));
            if !expected.holds_for(actual) {
                return Err(GuardRefusal {
                    kind: GuardKind::QuantityMismatch,
                    index,
                    change_type: change.movement.change_type(),
                    count: key,
                    quantity: actual,
                });
            }
        }
        for &i in updates_of.get(&index).into_iter().flatten() {
            let update = &plan.updates[i];
            if update.quantity < update.previous.unwrap_or(Fixed5::ZERO) {
                let entry = (index, change.movement.change_type(), update.previous);
                lowered.insert(update.key.clone(), entry);
            }
            current.insert(update.key.clone(), Some(update.quantity));
        }
    }
    let mut refusals: Vec<GuardRefusal> = lowered
        .into_iter()
        .filter(|(key, _)| {
            let forbidden = guards
                .forbid_negative_counts
                .unwrap_or_else(|| forbids_negative(&key.location_id));
            let end = current[key].unwrap_or(Fixed5::ZERO);
            let start = before(key).unwrap_or(Fixed5::ZERO);
            forbidden && end.is_negative() && end < start
        })
        .map(|(count, (index, change_type, quantity))| GuardRefusal {
            kind: GuardKind::InsufficientQuantity,
            index,
            change_type,
            count,
            quantity,
        })
        .collect();
    refusals.sort_by_key(|r| r.index);
    match refusals.into_iter().next() {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::InventoryState::{
        self, InStock, None as NoState, Sold, UnlinkedReturn, Waste,
    };
    use crate::domain::validate::tests::{ITEM, NOW, SHOP, adjustment};
    use crate::domain::validate::validate_change;

    fn change(from: InventoryState, to: InventoryState) -> NewChange {
        validate_change(0, adjustment(from, to, "1"), NOW).unwrap()
    }

    #[test]
    fn expected_quantities_read_as_a_decimal_or_absent() {
        let sale = change(InStock, Sold);
        let cases: &[(&str, Result<Expected, &str>)] = &[
            ("ABSENT", Ok(Expected::Absent)),
            ("0", Ok(Expected::Quantity(Fixed5::ZERO))),
            ("-2.5", Ok(Expected::Quantity(Fixed5::from_units(-250_000)))),
            ("1000000000000", Ok(Expected::Quantity(MAX_COUNT_MAGNITUDE))),
            ("1000000000000.00001", Err(reasons::VALUE_TOO_HIGH)),
            ("-1000000000000.00001", Err(reasons::VALUE_TOO_LOW)),
            ("", Err(reasons::INVALID_VALUE)),
            ("absent", Err(reasons::INVALID_VALUE)),
            ("1e3", Err(reasons::INVALID_VALUE)),
            ("0.000001", Err(reasons::INVALID_VALUE)),
        ];
        for (text, want) in cases {
            let got = Expected::parse(2, text, &sale).map_err(|v| {
                assert_eq!(v.0.len(), 1);
                assert_eq!(v.0[0].path(), "changes[2].expected_quantity", "{text}");
                v.0[0].violation.reason
            });
            assert_eq!(&got, want, "{text:?}");
        }
    }

    #[test]
    fn the_guarded_count_is_the_one_the_change_takes_from() {
        let state_of = |from, to| guarded_count(&change(from, to)).map(|k| k.state);
        assert_eq!(state_of(InStock, Sold), Some(InStock));
        assert_eq!(state_of(InStock, Waste), Some(InStock));
        assert_eq!(state_of(Waste, InStock), Some(Waste));
        assert_eq!(state_of(NoState, InStock), Some(InStock), "a receipt");
        assert_eq!(
            state_of(UnlinkedReturn, InStock),
            Some(InStock),
            "a restock"
        );
        assert_eq!(state_of(Sold, UnlinkedReturn), None);
        let key = guarded_count(&change(InStock, Sold)).unwrap();
        assert_eq!(
            (key.catalog_object_id.as_str(), key.location_id.as_str()),
            (ITEM, SHOP)
        );
        let refused = Expected::parse(0, "1", &change(Sold, UnlinkedReturn)).unwrap_err();
        assert_eq!(refused.0[0].violation.reason, reasons::INVALID_VALUE);
    }

    #[test]
    fn absent_is_not_zero() {
        assert!(Expected::Absent.holds_for(None));
        assert!(!Expected::Absent.holds_for(Some(Fixed5::ZERO)));
        assert!(!Expected::Quantity(Fixed5::ZERO).holds_for(None));
        assert!(Expected::Quantity(Fixed5::ZERO).holds_for(Some(Fixed5::ZERO)));
    }
}
