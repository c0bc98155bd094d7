//! The ledger's rules (docs/ledger.md), as pure functions: which states may be written,
//! what a valid change looks like, which counts a change moves and how, and how a count
//! follows from its history.
//!
//! A change becomes one or two *effects* on counts: a delta (adjustments, transfers) or a
//! set (physical counts). A count is the latest set in (occurred_at, sequence) order plus
//! every delta after it, zero if no set exists. Counts are kept for IN_STOCK and WASTE only.

use super::currency::is_iso4217_currency;
use super::decimal::{DecimalError, Fixed5};
use super::error::{Violation, Violations, reasons};
use super::id::canonical_id;
use super::text::{check_free_text, quote};

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
}

impl InventoryState {
    /// Every state, in wire order.
    pub const ALL: [InventoryState; 17] = [
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
    ];

    /// Whether a count is kept for this state.
    pub fn keeps_count(self) -> bool {
        matches!(self, InventoryState::InStock | InventoryState::Waste)
    }

    /// Whether a change may name this state at all.
    pub fn is_writable(self) -> bool {
        matches!(
            self,
            InventoryState::None
                | InventoryState::InStock
                | InventoryState::Sold
                | InventoryState::Waste
                | InventoryState::UnlinkedReturn
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
        /// IN_STOCK or WASTE.
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
    /// IN_STOCK or WASTE.
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

/// How old an `occurred_at` may be: the live API takes the last 24 hours; an import of
/// history takes any past time (both refuse more than 5 minutes ahead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OccurredAtWindow {
    /// At most [`MAX_OCCURRED_AT_AGE_MICROS`] old (BatchChangeInventory).
    Live,
    /// Any past time (history brought in by `stockledger import`).
    History,
}

/// Checks one change of a batch at index `index`, with `now` as receipt time (µs), as the
/// live API does (the 24-hour window). Field paths are `changes[i].<member>.<field>`.
pub fn validate_change(
    index: usize,
    draft: &ChangeDraft,
    now: i64,
) -> Result<NewChange, Violations> {
    validate_change_within(index, draft, now, OccurredAtWindow::Live)
}

/// [`validate_change`] with the `occurred_at` window given: every other rule is the same.
pub fn validate_change_within(
    index: usize,
    draft: &ChangeDraft,
    now: i64,
    window: OccurredAtWindow,
) -> Result<NewChange, Violations> {
    let member = match draft.movement {
        MovementDraft::Adjustment { .. } => ChangeType::Adjustment.member(),
        MovementDraft::PhysicalCount { .. } => ChangeType::PhysicalCount.member(),
        MovementDraft::Transfer { .. } => ChangeType::Transfer.member(),
    };
    let path = |field: &str| format!("changes[{index}].{member}.{field}");
    let mut errors = Violations::default();

    let catalog_object_id = errors.check(canonical_id(
        &path("catalog_object_id"),
        &draft.catalog_object_id,
    ));
    let movement = validate_movement(&draft.movement, &path, &mut errors);
    let quantity = errors.check(validate_quantity(draft, &path));
    let occurred_at = errors.check(validate_occurred_at(draft.occurred_at, now, window, &path));
    let total_price = validate_total_price(draft, movement.as_ref(), &path, &mut errors);
    validate_references(&draft.references, member, &path, &mut errors);

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
                references: draft.references.clone(),
            })
        }
        _ => Err(errors),
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
                    counted.join(" and ")
                ),
            )
        })
        .collect();
    Violations(violations).into_result(())
}

fn state_violation(field: String, description: &str) -> Violation {
    Violation::new(field, INVALID_STATE_TRANSITION, description)
}

fn require_state(
    state: Option<InventoryState>,
    field: String,
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
    path: &dyn Fn(&str) -> String,
    errors: &mut Violations,
) -> Option<ChangeMovement> {
    match draft {
        MovementDraft::Adjustment {
            from_state,
            to_state,
            location_id,
        } => {
            let from = require_state(*from_state, path("from_state"), errors);
            let to = require_state(*to_state, path("to_state"), errors);
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
            Some(ChangeMovement::Adjustment {
                from_state: from?,
                to_state: to?,
                location_id: location?,
            })
        }
        MovementDraft::PhysicalCount { state, location_id } => {
            let state = require_state(*state, path("state"), errors);
            let location = require_location(location_id, path("location_id"), errors);
            if state.is_some_and(|s| !s.keeps_count()) {
                errors.push(state_violation(
                    path("state"),
                    "physical counts are IN_STOCK or WASTE",
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
            let state = require_state(*state, path("state"), errors);
            let from = require_location(from_location_id, path("from_location_id"), errors);
            let to = require_location(to_location_id, path("to_location_id"), errors);
            if state.is_some_and(|s| !s.keeps_count()) {
                errors.push(state_violation(
                    path("state"),
                    "transfers move IN_STOCK or WASTE",
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
    let field = path("quantity");
    let counting = matches!(draft.movement, MovementDraft::PhysicalCount { .. });
    let too_low = || {
        let bound = if counting {
            "must be at least 0"
        } else {
            "must be greater than 0"
        };
        Violation::new(&field, reasons::VALUE_TOO_LOW, bound)
    };
    let too_high = || {
        Violation::new(
            &field,
            reasons::VALUE_TOO_HIGH,
            format!("must be at most {MAX_CHANGE_QUANTITY}"),
        )
    };
    // A value beyond what a decimal can hold is beyond the quantity's bounds too: the
    // same reason as a slightly smaller one, however many digits it has.
    let quantity = match Fixed5::parse(&draft.quantity) {
        Ok(quantity) => quantity,
        Err(DecimalError::TooHigh) => return Err(too_high()),
        Err(DecimalError::TooLow) => return Err(too_low()),
        Err(error) => return Err(error.violation(&field)),
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
    let amount = match Fixed5::parse(amount) {
        Ok(a) if !a.is_negative() => a,
        Ok(_) | Err(DecimalError::TooLow) => {
            errors.push(Violation::new(
                format!("{field}.amount"),
                reasons::VALUE_TOO_LOW,
                "must be at least 0",
            ));
            return None;
        }
        Err(e) => {
            errors.push(e.violation(format!("{field}.amount")));
            return None;
        }
    };
    if !is_iso4217_currency(currency) {
        errors.push(Violation::invalid(
            format!("{field}.currency"),
            "must be an ISO 4217 currency code such as \"EUR\"",
        ));
        return None;
    }
    Some(Money {
        amount,
        currency: currency.clone(),
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

/// What the store knows about the items and locations a batch names.
#[derive(Clone, Debug, Default)]
pub struct ReferenceFacts {
    /// Item id → whether it is tracked. Absent: no such item for the merchant.
    pub items: std::collections::HashMap<String, bool>,
    /// Location id → whether it is active. Absent: no such location for the merchant.
    pub locations: std::collections::HashMap<String, bool>,
}

/// Reason of an item or location that does not exist for the caller.
pub const NOT_FOUND: &str = "NOT_FOUND";
/// Reason of a change to an item whose stock is not tracked.
pub const ITEM_NOT_TRACKED: &str = "ITEM_NOT_TRACKED";
/// Reason of a change at a deactivated location.
pub const LOCATION_INACTIVE: &str = "LOCATION_INACTIVE";

/// The request path of `field` in change `index` of a batch, e.g.
/// `changes[3].adjustment.quantity`.
pub fn change_path(index: usize, change: &NewChange, field: &str) -> String {
    format!(
        "changes[{index}].{}.{field}",
        change.movement.change_type().member()
    )
}

/// Checks that every change names a tracked item of the caller and active locations.
pub fn check_references(changes: &[NewChange], facts: &ReferenceFacts) -> Violations {
    let mut errors = Violations::default();
    for (i, change) in changes.iter().enumerate() {
        let path = |field: &str| change_path(i, change, field);
        match facts.items.get(&change.catalog_object_id) {
            None => errors.push(Violation::new(
                path("catalog_object_id"),
                NOT_FOUND,
                format!("no inventory item {}", quote(&change.catalog_object_id)),
            )),
            Some(false) => errors.push(Violation::new(
                path("catalog_object_id"),
                ITEM_NOT_TRACKED,
                "the inventory item is not tracked (tracked = false)",
            )),
            Some(true) => {}
        }
        for (field, location) in change.movement.locations() {
            match facts.locations.get(location) {
                None => errors.push(Violation::new(
                    path(field),
                    NOT_FOUND,
                    format!("no location {}", quote(location)),
                )),
                Some(false) => errors.push(Violation::new(
                    path(field),
                    LOCATION_INACTIVE,
                    "the location is inactive",
                )),
                Some(true) => {}
            }
        }
    }
    errors
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

fn bounded(quantity: Option<Fixed5>) -> Result<Fixed5, CountError> {
    let magnitude_ok = |q: Fixed5| {
        q <= MAX_COUNT_MAGNITUDE && q.checked_neg().is_some_and(|n| n <= MAX_COUNT_MAGNITUDE)
    };
    quantity
        .filter(|q| magnitude_ok(*q))
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

    const NOW: i64 = 1_800_000_000_000_000;
    const MINUTE: i64 = 60_000_000;
    const ITEM: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";
    const SHOP: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d631";
    const OTHER_SHOP: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d632";

    fn q(text: &str) -> Fixed5 {
        Fixed5::parse(text).unwrap()
    }

    fn adjustment(from: InventoryState, to: InventoryState, quantity: &str) -> ChangeDraft {
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
            references: ChangeReferences::default(),
        }
    }

    fn fields(result: Result<NewChange, Violations>) -> Vec<String> {
        result.unwrap_err().0.into_iter().map(|v| v.field).collect()
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
                validate_change(0, &adjustment(from, to, "1"), NOW).is_ok(),
                "{from:?}->{to:?}"
            );
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
            let err = validate_change(0, &adjustment(from, to, "1"), NOW).unwrap_err();
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
            fields(validate_change(2, &unknown, NOW)),
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
        assert!(validate_change(0, &count(InStock), NOW).is_ok());
        assert!(validate_change(0, &count(Waste), NOW).is_ok());
        assert_eq!(
            fields(validate_change(0, &count(Sold), NOW)),
            ["changes[0].physical_count.state"]
        );
        let transfer = |from: &str, to: &str| ChangeDraft {
            movement: MovementDraft::Transfer {
                state: Some(InStock),
                from_location_id: from.into(),
                to_location_id: to.into(),
            },
            ..adjustment(None, InStock, "1")
        };
        assert!(validate_change(0, &transfer(SHOP, OTHER_SHOP), NOW).is_ok());
        assert_eq!(
            fields(validate_change(0, &transfer(SHOP, SHOP), NOW)),
            ["changes[0].transfer.to_location_id"]
        );
    }

    #[test]
    fn quantities_are_bounded_and_signed_by_kind() {
        for bad in ["0", "-1", "1.000001", "1e3", "", "1000000000.00001"] {
            let err = validate_change(0, &adjustment(None, InStock, bad), NOW).unwrap_err();
            assert_eq!(err.0[0].field, "changes[0].adjustment.quantity", "{bad:?}");
        }
        assert!(validate_change(0, &adjustment(None, InStock, "1000000000"), NOW).is_ok());
        let zero_count = ChangeDraft {
            movement: MovementDraft::PhysicalCount {
                state: Some(InStock),
                location_id: SHOP.into(),
            },
            ..adjustment(None, InStock, "0")
        };
        assert!(validate_change(0, &zero_count, NOW).is_ok());
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
            validate_change(0, draft, NOW)
                .err()
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
            let errors = validate_change(0, &draft, NOW).unwrap_err();
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
            let errors = validate_change(0, &with(references), NOW).unwrap_err();
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
        assert!(validate_change(0, &with(fine), NOW).is_ok());
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
            "SOLD keeps no count; counts are kept for IN_STOCK and WASTE only"
        );
    }

    #[test]
    fn occurred_at_window() {
        let at = |t: i64| ChangeDraft {
            occurred_at: Some(t),
            ..adjustment(None, InStock, "1")
        };
        assert!(validate_change(0, &at(NOW - 24 * 60 * MINUTE), NOW).is_ok());
        assert!(validate_change(0, &at(NOW + 5 * MINUTE), NOW).is_ok());
        for bad in [NOW - 24 * 60 * MINUTE - 1, NOW + 5 * MINUTE + 1] {
            let err = validate_change(0, &at(bad), NOW).unwrap_err();
            assert_eq!(
                (err.0[0].field.as_str(), err.0[0].reason),
                ("changes[0].adjustment.occurred_at", INVALID_TIME)
            );
        }
        assert_eq!(
            validate_change(0, &adjustment(None, InStock, "1"), NOW)
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
        assert!(validate_change(0, &priced(Sold), NOW).is_ok());
        assert_eq!(
            fields(validate_change(0, &priced(Waste), NOW)),
            ["changes[0].adjustment.total_price_money"]
        );
        for not_a_currency in ["ABC", "eur", "EURO", ""] {
            let priced = ChangeDraft {
                total_price: Some(("19.99".into(), not_a_currency.into())),
                ..adjustment(InStock, Sold, "1")
            };
            assert_eq!(
                fields(validate_change(0, &priced, NOW)),
                ["changes[0].adjustment.total_price_money.currency"],
                "{not_a_currency:?}"
            );
        }
    }

    #[test]
    fn effects_follow_states() {
        let change = validate_change(0, &adjustment(InStock, Sold, "3"), NOW).unwrap();
        let e = effects(&change);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].1, Effect::Delta(q("-3")));
        let change = validate_change(0, &adjustment(InStock, Waste, "2"), NOW).unwrap();
        assert_eq!(effects(&change).len(), 2);
        let change = validate_change(0, &adjustment(Sold, InStock, "2"), NOW).unwrap();
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
