//! The ledger's rules (docs/ledger.md), as pure functions: which states may be written,
//! what a valid change looks like, which counts a change moves and how, and how a count
//! follows from its history.
//!
//! A change becomes one or two *effects* on counts: a delta (adjustments, transfers) or a
//! set (physical counts). A count is the latest set in (occurred_at, sequence) order plus
//! every delta after it, zero if no set exists. Counts are kept for IN_STOCK, WASTE,
//! DAMAGED, QUALITY_CONTROL, SAFETY_STOCK and RESERVED_FOR_SALE only.

use super::decimal::Fixed5;
use super::reason::{ReasonId, ReasonIdDraft};

/// Largest quantity of a single change: 10^9.
pub const MAX_CHANGE_QUANTITY: Fixed5 = Fixed5::from_units(1_000_000_000 * 100_000);
/// Largest magnitude of a count: 10^12.
pub const MAX_COUNT_MAGNITUDE: Fixed5 = Fixed5::from_units(1_000_000_000_000 * 100_000);
/// How far in the past `occurred_at` may be: 24 hours, in microseconds.
pub const MAX_OCCURRED_AT_AGE_MICROS: i64 = 24 * 3600 * 1_000_000;
/// How far in the future `occurred_at` may be (clock skew allowance): 5 minutes.
pub const MAX_CLOCK_SKEW_MICROS: i64 = 5 * 60 * 1_000_000;
/// Most changes in one batch.
pub const MAX_CHANGES_PER_BATCH: usize = 100;
/// Longest free-text id (reference_id, employee_id, …), in characters.
pub const MAX_REFERENCE_CHARS: usize = 255;
/// Longest idempotency key, in characters.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;
/// Reason of an occurred_at outside the accepted window.
pub const INVALID_TIME: &str = "INVALID_TIME";
/// Reason of a state that may not be used where it was.
pub const INVALID_STATE_TRANSITION: &str = "INVALID_STATE_TRANSITION";

/// The state a quantity is in (Square's InventoryState).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum InventoryState {
    /// Placeholder source of new stock.
    None,
    /// On hand.
    InStock,
    /// Sold.
    Sold,
    /// Read-only.
    ReturnedByCustomer,
    /// Read-only.
    ReservedForSale,
    /// Read-only.
    SoldOnline,
    /// Read-only.
    OrderedFromVendor,
    /// Read-only.
    ReceivedFromVendor,
    /// Read-only.
    InTransitTo,
    /// Read-only.
    InTransit,
    /// Lost or damaged.
    Waste,
    /// Returned without a linked sale.
    UnlinkedReturn,
    /// Read-only.
    Composed,
    /// Read-only.
    Decomposed,
    /// Read-only.
    SupportedByNewerVersion,
    /// Read-only.
    Custom,
    /// Read-only.
    Untracked,
    /// Damaged: not sellable, not (yet) written off. Counted and writable, like WASTE.
    Damaged,
    /// Held for quality control. Counted and writable, like WASTE.
    QualityControl,
    /// Kept back as a safety stock, not offered for sale. Counted and writable, like WASTE.
    SafetyStock,
}

impl InventoryState {
    /// Every state, in wire order.
    pub const ALL: [InventoryState; 20] = [
        InventoryState::None,
        InventoryState::InStock,
        InventoryState::Sold,
        InventoryState::ReturnedByCustomer,
        InventoryState::ReservedForSale,
        InventoryState::SoldOnline,
        InventoryState::OrderedFromVendor,
        InventoryState::ReceivedFromVendor,
        InventoryState::InTransitTo,
        InventoryState::InTransit,
        InventoryState::Waste,
        InventoryState::UnlinkedReturn,
        InventoryState::Composed,
        InventoryState::Decomposed,
        InventoryState::SupportedByNewerVersion,
        InventoryState::Custom,
        InventoryState::Untracked,
        InventoryState::Damaged,
        InventoryState::QualityControl,
        InventoryState::SafetyStock,
    ];

    /// Whether a count is kept for this state. RESERVED_FOR_SALE keeps one, but only
    /// reservations move stock in and out of it (it is not writable in a change).
    pub fn keeps_count(self) -> bool {
        matches!(
            self,
            InventoryState::InStock
                | InventoryState::Waste
                | InventoryState::Damaged
                | InventoryState::QualityControl
                | InventoryState::SafetyStock
                | InventoryState::ReservedForSale
        )
    }

    /// Whether a change may name this state at all. Between writable states every
    /// adjustment is allowed except to NONE and to the state it leaves
    /// (`domain::validate`; the table is in docs/ledger.md).
    pub fn is_writable(self) -> bool {
        matches!(
            self,
            InventoryState::None
                | InventoryState::InStock
                | InventoryState::Sold
                | InventoryState::Waste
                | InventoryState::UnlinkedReturn
                | InventoryState::Damaged
                | InventoryState::QualityControl
                | InventoryState::SafetyStock
        )
    }

    /// The stored (and wire, without prefix) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InventoryState::None => "NONE",
            InventoryState::InStock => "IN_STOCK",
            InventoryState::Sold => "SOLD",
            InventoryState::ReturnedByCustomer => "RETURNED_BY_CUSTOMER",
            InventoryState::ReservedForSale => "RESERVED_FOR_SALE",
            InventoryState::SoldOnline => "SOLD_ONLINE",
            InventoryState::OrderedFromVendor => "ORDERED_FROM_VENDOR",
            InventoryState::ReceivedFromVendor => "RECEIVED_FROM_VENDOR",
            InventoryState::InTransitTo => "IN_TRANSIT_TO",
            InventoryState::InTransit => "IN_TRANSIT",
            InventoryState::Waste => "WASTE",
            InventoryState::UnlinkedReturn => "UNLINKED_RETURN",
            InventoryState::Composed => "COMPOSED",
            InventoryState::Decomposed => "DECOMPOSED",
            InventoryState::SupportedByNewerVersion => "SUPPORTED_BY_NEWER_VERSION",
            InventoryState::Custom => "CUSTOM",
            InventoryState::Untracked => "UNTRACKED",
            InventoryState::Damaged => "DAMAGED",
            InventoryState::QualityControl => "QUALITY_CONTROL",
            InventoryState::SafetyStock => "SAFETY_STOCK",
        }
    }

    /// Reads the stored spelling.
    pub fn from_stored(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The kind of a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChangeType {
    /// From one state to another at one location.
    Adjustment,
    /// A verified quantity.
    PhysicalCount,
    /// One state, from one location to another.
    Transfer,
}

impl ChangeType {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Adjustment => "ADJUSTMENT",
            ChangeType::PhysicalCount => "PHYSICAL_COUNT",
            ChangeType::Transfer => "TRANSFER",
        }
    }

    /// Reads the stored spelling.
    pub fn from_stored(text: &str) -> Option<Self> {
        [
            ChangeType::Adjustment,
            ChangeType::PhysicalCount,
            ChangeType::Transfer,
        ]
        .into_iter()
        .find(|t| t.as_str() == text)
    }

    /// The oneof member's name on the wire (used in field paths).
    pub fn member(self) -> &'static str {
        match self {
            ChangeType::Adjustment => "adjustment",
            ChangeType::PhysicalCount => "physical_count",
            ChangeType::Transfer => "transfer",
        }
    }
}

/// Where and between which states a change moves stock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeMovement {
    /// `from_state` → `to_state` at `location_id`.
    Adjustment {
        /// State the quantity leaves.
        from_state: InventoryState,
        /// State the quantity enters.
        to_state: InventoryState,
        /// Where.
        location_id: String,
    },
    /// `state` at `location_id` is `quantity`.
    PhysicalCount {
        /// A writable state that keeps a count.
        state: InventoryState,
        /// Where.
        location_id: String,
    },
    /// `state` moves from one location to another.
    Transfer {
        /// The state moved.
        state: InventoryState,
        /// Source.
        from_location_id: String,
        /// Destination.
        to_location_id: String,
    },
}

impl ChangeMovement {
    /// The change's type.
    pub fn change_type(&self) -> ChangeType {
        match self {
            ChangeMovement::Adjustment { .. } => ChangeType::Adjustment,
            ChangeMovement::PhysicalCount { .. } => ChangeType::PhysicalCount,
            ChangeMovement::Transfer { .. } => ChangeType::Transfer,
        }
    }

    /// Every location the change names, with the field that names it.
    pub fn locations(&self) -> Vec<(&'static str, &str)> {
        match self {
            ChangeMovement::Adjustment { location_id, .. }
            | ChangeMovement::PhysicalCount { location_id, .. } => {
                vec![("location_id", location_id)]
            }
            ChangeMovement::Transfer {
                from_location_id,
                to_location_id,
                ..
            } => vec![
                ("from_location_id", from_location_id),
                ("to_location_id", to_location_id),
            ],
        }
    }
}

/// Money attached to a sale: exact amount and ISO 4217 currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// Amount, at least zero.
    pub amount: Fixed5,
    /// Three upper-case letters.
    pub currency: String,
}

/// Free-text references a change may carry (empty means none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeReferences {
    /// The caller's own id.
    pub reference_id: String,
    /// Employee.
    pub employee_id: String,
    /// Team member.
    pub team_member_id: String,
    /// Sale (adjustments only).
    pub transaction_id: String,
    /// Refund (adjustments only).
    pub refund_id: String,
    /// Purchase order (adjustments only).
    pub purchase_order_id: String,
    /// Goods receipt (adjustments only).
    pub goods_receipt_id: String,
    /// The reservation that moved the units (adjustments of a reservation only; set by the
    /// server, never by a caller).
    pub reservation_id: String,
    /// The vendor the units were bought from (receipts only: adjustments from NONE or
    /// UNLINKED_RETURN).
    pub vendor_id: String,
}

/// A change as sent, with wire enums already mapped (unknown values are `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeDraft {
    /// Movement with states possibly missing.
    pub movement: MovementDraft,
    /// Item id.
    pub catalog_object_id: String,
    /// Decimal text.
    pub quantity: String,
    /// Client time in microseconds; `None` means receipt time.
    pub occurred_at: Option<i64>,
    /// Sale price (adjustments only): amount text and currency.
    pub total_price: Option<(String, String)>,
    /// What the merchant paid the vendor (receipts only): amount text and currency.
    pub cost: Option<(String, String)>,
    /// Why, as sent.
    pub reason: Option<ReasonIdDraft>,
    /// Free-text references.
    pub references: ChangeReferences,
}

/// The movement part of a draft. States are `None` when unspecified or unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MovementDraft {
    /// See [`ChangeMovement::Adjustment`].
    Adjustment {
        /// Source state.
        from_state: Option<InventoryState>,
        /// Target state.
        to_state: Option<InventoryState>,
        /// Location.
        location_id: String,
    },
    /// See [`ChangeMovement::PhysicalCount`].
    PhysicalCount {
        /// Counted state.
        state: Option<InventoryState>,
        /// Location.
        location_id: String,
    },
    /// See [`ChangeMovement::Transfer`].
    Transfer {
        /// State moved.
        state: Option<InventoryState>,
        /// Source.
        from_location_id: String,
        /// Destination.
        to_location_id: String,
    },
}

/// A valid change, ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChange {
    /// What moves where.
    pub movement: ChangeMovement,
    /// Item id.
    pub catalog_object_id: String,
    /// Positive (adjustments, transfers) or non-negative (physical counts), ≤ 10^9.
    pub quantity: Fixed5,
    /// Client time, microseconds.
    pub occurred_at: i64,
    /// Sale price (adjustments to SOLD only).
    pub total_price: Option<Money>,
    /// What the merchant paid the vendor (receipts only).
    pub cost: Option<Money>,
    /// Why ([`super::reason`]).
    pub reason: Option<ReasonId>,
    /// Free-text references.
    pub references: ChangeReferences,
}

/// Identifies one count.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountKey {
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    pub location_id: String,
    /// A state that keeps a count ([`InventoryState::keeps_count`]).
    pub state: InventoryState,
}

/// How a change moves one count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Add this (negative to remove).
    Delta(Fixed5),
    /// The count is exactly this from here on.
    Set(Fixed5),
}

/// Which application made a change (Square's SourceApplication).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSource {
    /// Kind of product by its stored name, e.g. `EXTERNAL_API`
    /// ([`super::product::Product::as_str`]; an unknown name reads as unspecified).
    pub product: String,
    /// Application id.
    pub application_id: String,
    /// Application name.
    pub name: String,
}

/// The counts a change moves, and how. States that keep no count have no effect.
pub fn effects(change: &NewChange) -> Vec<(CountKey, Effect)> {
    let key = |location_id: &str, state: InventoryState| CountKey {
        catalog_object_id: change.catalog_object_id.clone(),
        location_id: location_id.to_owned(),
        state,
    };
    let removed = Effect::Delta(change.quantity.checked_neg().expect("bounded quantity"));
    let added = Effect::Delta(change.quantity);
    let mut out = Vec::with_capacity(2);
    match &change.movement {
        ChangeMovement::Adjustment {
            from_state,
            to_state,
            location_id,
        } => {
            if from_state.keeps_count() {
                out.push((key(location_id, *from_state), removed));
            }
            if to_state.keeps_count() {
                out.push((key(location_id, *to_state), added));
            }
        }
        ChangeMovement::PhysicalCount { state, location_id } => {
            out.push((key(location_id, *state), Effect::Set(change.quantity)));
        }
        ChangeMovement::Transfer {
            state,
            from_location_id,
            to_location_id,
        } => {
            out.push((key(from_location_id, *state), removed));
            out.push((key(to_location_id, *state), added));
        }
    }
    out
}

/// Where an effect sits in a count's total order: (occurred_at, server sequence).
pub type Position = (i64, i64);

/// A count's materialized state: its quantity and the position of the physical count it
/// starts from (if any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountState {
    /// Current quantity.
    pub quantity: Fixed5,
    /// Position of the latest physical count, if any.
    pub anchor: Option<Position>,
}

/// Why a count could not be updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CountError {
    /// The count would leave ±10^12.
    #[error("the count would leave the range ±{MAX_COUNT_MAGNITUDE}")]
    OutOfRange,
}

/// Whether a count may hold `quantity`: at most [`MAX_COUNT_MAGNITUDE`] either side of 0.
pub fn within_count_bounds(quantity: Fixed5) -> bool {
    quantity <= MAX_COUNT_MAGNITUDE
        && quantity
            .checked_neg()
            .is_some_and(|n| n <= MAX_COUNT_MAGNITUDE)
}

fn bounded(quantity: Option<Fixed5>) -> Result<Fixed5, CountError> {
    quantity
        .filter(|q| within_count_bounds(*q))
        .ok_or(CountError::OutOfRange)
}

/// Applies one new effect at `position` to a count (absent = never touched).
/// `deltas_after` yields the deltas positioned after `position`; it is only consulted for a
/// physical count that becomes the new anchor. Returns `None` when the effect is superseded
/// by a later physical count (it is history, but does not move the count).
pub fn apply_effect(
    current: Option<CountState>,
    effect: Effect,
    position: Position,
    deltas_after: impl FnOnce() -> Vec<Fixed5>,
) -> Result<Option<CountState>, CountError> {
    let current = current.unwrap_or(CountState {
        quantity: Fixed5::ZERO,
        anchor: None,
    });
    if current.anchor.is_some_and(|anchor| position < anchor) {
        return Ok(None);
    }
    let next = match effect {
        Effect::Delta(delta) => CountState {
            quantity: bounded(current.quantity.checked_add(delta))?,
            anchor: current.anchor,
        },
        Effect::Set(quantity) => {
            let total = deltas_after()
                .into_iter()
                .try_fold(quantity, |sum, d| sum.checked_add(d));
            CountState {
                quantity: bounded(total)?,
                anchor: Some(position),
            }
        }
    };
    Ok(Some(next))
}

/// The reference definition of a count: fold its effects sorted by position. `None` when
/// the history is empty.
pub fn fold_count(mut history: Vec<(Position, Effect)>) -> Option<Fixed5> {
    if history.is_empty() {
        return None;
    }
    history.sort_by_key(|(position, _)| *position);
    let mut quantity = Fixed5::ZERO;
    for (_, effect) in history {
        quantity = match effect {
            Effect::Set(q) => q,
            Effect::Delta(d) => quantity.checked_add(d)?,
        };
    }
    Some(quantity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::tests::{ITEM, NOW, SHOP, adjustment};
    use crate::domain::validate::validate_change;
    use InventoryState::*;

    const MINUTE: i64 = 60_000_000;

    fn q(text: &str) -> Fixed5 {
        Fixed5::parse(text).unwrap()
    }

    #[test]
    fn effects_follow_states() {
        let change = validate_change(0, adjustment(InStock, Sold, "3"), NOW).unwrap();
        let e = effects(&change);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].1, Effect::Delta(q("-3")));
        let change = validate_change(0, adjustment(InStock, Waste, "2"), NOW).unwrap();
        assert_eq!(effects(&change).len(), 2);
        let change = validate_change(0, adjustment(Sold, InStock, "2"), NOW).unwrap();
        assert_eq!(
            effects(&change),
            vec![(
                CountKey {
                    catalog_object_id: ITEM.into(),
                    location_id: SHOP.into(),
                    state: InStock
                },
                Effect::Delta(q("2"))
            )]
        );
    }

    #[test]
    fn named_quantities_keep_counts() {
        let key = |state| CountKey {
            catalog_object_id: ITEM.into(),
            location_id: SHOP.into(),
            state,
        };
        let change = validate_change(0, adjustment(InStock, Damaged, "3"), NOW).unwrap();
        assert_eq!(
            effects(&change),
            [
                (key(InStock), Effect::Delta(q("-3"))),
                (key(Damaged), Effect::Delta(q("3")))
            ]
        );
        let change = validate_change(0, adjustment(Damaged, Sold, "1"), NOW).unwrap();
        assert_eq!(effects(&change), [(key(Damaged), Effect::Delta(q("-1")))]);
        let change = validate_change(0, adjustment(None, SafetyStock, "5"), NOW).unwrap();
        assert_eq!(
            effects(&change),
            [(key(SafetyStock), Effect::Delta(q("5")))]
        );
        for state in [Damaged, QualityControl, SafetyStock] {
            assert!(state.keeps_count() && state.is_writable(), "{state:?}");
            assert_eq!(InventoryState::from_stored(state.as_str()), Some(state));
        }
    }

    #[test]
    fn every_state_has_one_stored_spelling() {
        let names: std::collections::HashSet<_> =
            InventoryState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), InventoryState::ALL.len());
        for state in InventoryState::ALL {
            assert_eq!(InventoryState::from_stored(state.as_str()), Some(state));
        }
        assert_eq!(InventoryState::from_stored("damaged"), Option::None);
    }

    #[test]
    fn square_timeline_counts_95_then_93() {
        // 100 in stock; 13:10 sale of 3; 13:30 count 95; 13:20 sale of 2 arrives late; 13:40 waste 2.
        let t = |minute: i64| minute * MINUTE;
        let mut state = Option::None;
        let mut history = Vec::new();
        let mut seq = 0;
        let mut apply = |effect: Effect,
                         at: i64,
                         state: &mut Option<CountState>,
                         history: &mut Vec<(Position, Effect)>| {
            seq += 1;
            let position = (at, seq);
            let later: Vec<Fixed5> = history
                .iter()
                .filter(|(p, e)| *p > position && matches!(e, Effect::Delta(_)))
                .map(|(_, e)| match e {
                    Effect::Delta(d) => *d,
                    Effect::Set(_) => unreachable!(),
                })
                .collect();
            if let Some(next) = apply_effect(*state, effect, position, || later).unwrap() {
                *state = Some(next);
            }
            history.push((position, effect));
        };
        apply(Effect::Delta(q("100")), t(780), &mut state, &mut history);
        apply(Effect::Delta(q("-3")), t(790), &mut state, &mut history);
        assert_eq!(state.unwrap().quantity, q("97"));
        apply(Effect::Set(q("95")), t(810), &mut state, &mut history);
        apply(Effect::Delta(q("-2")), t(800), &mut state, &mut history);
        assert_eq!(
            state.unwrap().quantity,
            q("95"),
            "the late sale does not move the count"
        );
        apply(Effect::Delta(q("-2")), t(820), &mut state, &mut history);
        assert_eq!(state.unwrap().quantity, q("93"));
        assert_eq!(fold_count(history), Some(q("93")));
    }

    #[test]
    fn late_physical_count_recomputes_from_later_deltas() {
        let state = CountState {
            quantity: q("10"),
            anchor: Option::None,
        };
        let next = apply_effect(Some(state), Effect::Set(q("50")), (5, 9), || {
            vec![q("-3"), q("1")]
        })
        .unwrap()
        .unwrap();
        assert_eq!(
            next,
            CountState {
                quantity: q("48"),
                anchor: Some((5, 9))
            }
        );
    }

    #[test]
    fn counts_never_overflow() {
        let near = CountState {
            quantity: MAX_COUNT_MAGNITUDE,
            anchor: Option::None,
        };
        assert_eq!(
            apply_effect(Some(near), Effect::Delta(q("1")), (1, 1), Vec::new),
            Err(CountError::OutOfRange)
        );
        let low = CountState {
            quantity: MAX_COUNT_MAGNITUDE.checked_neg().unwrap(),
            anchor: Option::None,
        };
        assert_eq!(
            apply_effect(Some(low), Effect::Delta(q("-1")), (1, 1), Vec::new),
            Err(CountError::OutOfRange)
        );
    }
}
