//! Reservations (docs/reservations.md): units held for a cart or an order, as ordinary
//! ledger changes. Creating one moves each line IN_STOCK → RESERVED_FOR_SALE (always
//! guarded: never reserving stock that is not there); committing moves held units
//! RESERVED_FOR_SALE → SOLD; releasing, or expiring, moves them back to IN_STOCK. Each
//! change carries the reservation's id, so history, feeds, `verify` and export need no
//! special case.
//!
//! This module is the state machine, as pure functions: a step takes the reservation as
//! read and returns it as it will be, with the changes that move its units. The ledger
//! then applies both in one transaction, after checking under lock that the reservation
//! is still the version the step was computed from (`domain::decide`), so that two steps
//! racing for one reservation (a commit and an expiry, two replicas expiring it) cannot
//! both happen.

use super::decimal::Fixed5;
use super::error::{Violation, Violations, reasons};
use super::id::canonical_id;
use super::ledger::{
    ChangeMovement, ChangeReferences, ChangeSource, InventoryState, MAX_REFERENCE_CHARS, Money,
    NewChange,
};
use super::text::check_free_text;
use super::validate::parse_change_quantity;

/// Most lines of one reservation.
/// The application id of the changes the server's expiry sweep records.
pub const EXPIRY_APPLICATION_ID: &str = "stockledger";
/// The application name of the changes the server's expiry sweep records.
pub const EXPIRY_APPLICATION_NAME: &str = "Reservation expiry";

/// The source of the changes that expire reservations.
pub fn expiry_source() -> ChangeSource {
    ChangeSource {
        product: super::product::Product::Other.as_str().to_owned(),
        application_id: EXPIRY_APPLICATION_ID.to_owned(),
        name: EXPIRY_APPLICATION_NAME.to_owned(),
    }
}

/// Whether a recorded change gave back a reservation's units because it expired.
pub fn is_expiry(change: &NewChange, source: &ChangeSource) -> bool {
    !change.references.reservation_id.is_empty()
        && source.application_id == EXPIRY_APPLICATION_ID
        && source.name == EXPIRY_APPLICATION_NAME
}

pub const MAX_LINES: usize = 100;
/// The longest a reservation may be held: 30 days, µs.
pub const MAX_TTL_MICROS: i64 = 30 * 24 * 3600 * 1_000_000;
/// Reason of a step on a reservation that no longer holds units.
pub const RESERVATION_NOT_HELD: &str = "RESERVATION_NOT_HELD";
/// Reason of a commit or an extension of a reservation past its `expires_at`.
pub const RESERVATION_EXPIRED: &str = "RESERVATION_EXPIRED";
/// Reason of a commit of more than a line holds.
pub const QUANTITY_NOT_HELD: &str = "QUANTITY_NOT_HELD";

/// Where a reservation is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReservationState {
    /// Some units are held.
    Held,
    /// Nothing is held any more; the last units were committed (sold).
    Committed,
    /// Nothing is held any more; the last units were released by the caller.
    Released,
    /// Nothing is held any more; the last units were released at `expires_at` by the server.
    Expired,
}

impl ReservationState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Held => "HELD",
            ReservationState::Committed => "COMMITTED",
            ReservationState::Released => "RELEASED",
            ReservationState::Expired => "EXPIRED",
        }
    }

    /// Reads the stored spelling.
    pub fn from_stored(text: &str) -> Option<Self> {
        [
            ReservationState::Held,
            ReservationState::Committed,
            ReservationState::Released,
            ReservationState::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One line of a reservation: units of one item held at one location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservationLine {
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    pub location_id: String,
    /// Units reserved.
    pub quantity: Fixed5,
    /// Units committed (sold) so far.
    pub committed: Fixed5,
    /// Units released (by the caller or at expiry) so far.
    pub released: Fixed5,
}

impl ReservationLine {
    /// Units still held.
    pub fn held(&self) -> Fixed5 {
        let gone = self
            .committed
            .checked_add(self.released)
            .expect("bounded quantities");
        self.quantity
            .checked_add(gone.checked_neg().expect("bounded"))
            .expect("bounded quantities")
    }
}

/// A reservation as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// Its id (a UUID).
    pub id: String,
    /// Where it is in its life.
    pub state: ReservationState,
    /// Its lines, in the order they were sent.
    pub lines: Vec<ReservationLine>,
    /// The caller's own id (an order, a cart); empty means none.
    pub reference_id: String,
    /// When the server releases what is still held, µs.
    pub expires_at: i64,
    /// Server time of creation, µs.
    pub created_at: i64,
    /// Server time of the last step, µs.
    pub updated_at: i64,
    /// Counts the steps taken (1 once created): what a step is checked against under lock.
    pub version: i64,
}

/// A line of a reservation to create, as sent (ids already canonical).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineDraft {
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    pub location_id: String,
    /// Decimal text.
    pub quantity: String,
}

/// Why a step cannot be taken on a reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepRefusal {
    /// The reservation holds nothing any more (it is in this state).
    NotHeld(ReservationState),
    /// It is past its `expires_at` (its expiry is due).
    Expired,
    /// A line or a quantity of the request is wrong.
    Invalid(Violations),
}

/// A step: the reservation as it will be, and the changes that move its units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The reservation after the step.
    pub after: Reservation,
    /// The changes, each attributed to the reservation when recorded.
    pub changes: Vec<NewChange>,
}

/// Checks the lines and the expiry of a new reservation, created at `now` (µs), and
/// returns the reservation and its changes (IN_STOCK → RESERVED_FOR_SALE, one per line, in
/// order).
pub fn create(
    id: String,
    lines: &[LineDraft],
    expires_at: i64,
    reference_id: String,
    now: i64,
) -> Result<Step, Violations> {
    let mut errors = Violations::default();
    check_line_count(lines.len(), &mut errors);
    let mut parsed = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        if line.catalog_object_id.is_empty() {
            errors.push(Violation::missing(field("catalog_object_id")));
        }
        if line.location_id.is_empty() {
            errors.push(Violation::missing(field("location_id")));
        }
        if let Some(quantity) = errors.check(positive_quantity(&field("quantity"), &line.quantity))
        {
            parsed.push(ReservationLine {
                catalog_object_id: line.catalog_object_id.clone(),
                location_id: line.location_id.clone(),
                quantity,
                committed: Fixed5::ZERO,
                released: Fixed5::ZERO,
            });
        }
    }
    errors.check(check_free_text(
        "reference_id",
        &reference_id,
        MAX_REFERENCE_CHARS,
    ));
    if expires_at <= now {
        errors.push(Violation::new(
            "expires_at",
            reasons::VALUE_TOO_LOW,
            "must be in the future (or give a positive ttl)",
        ));
    } else if expires_at - now > MAX_TTL_MICROS {
        errors.push(Violation::new(
            "expires_at",
            reasons::VALUE_TOO_HIGH,
            "must be at most 30 days away",
        ));
    }
    let reservation = Reservation {
        id,
        state: ReservationState::Held,
        lines: parsed,
        reference_id,
        expires_at,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let changes = reservation
        .lines
        .iter()
        .map(|line| {
            move_units(
                line,
                line.quantity,
                InventoryState::InStock,
                InventoryState::ReservedForSale,
                now,
                None,
            )
        })
        .collect();
    errors.into_result(Step {
        after: reservation,
        changes,
    })
}

/// A line of a reservation as it stood elsewhere (an export): quantities as decimal text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeptLineDraft {
    /// Item, location and units reserved, as for a new line.
    pub line: LineDraft,
    /// Units committed so far.
    pub committed: String,
    /// Units released so far.
    pub released: String,
}

/// A reservation brought back by an import as it stood where it was exported: its id,
/// state, lines with what each committed and released, and its times. The rules of a
/// stored reservation hold: 1–[`MAX_LINES`] lines of canonical ids, each holding no more than
/// it reserved; `HELD` exactly while a line still holds units. Its version starts again at
/// 1 (versions only order the steps taken in this database).
pub fn restore(
    id: String,
    state: ReservationState,
    lines: &[KeptLineDraft],
    reference_id: String,
    times: [i64; 3],
) -> Result<Reservation, Violations> {
    let [expires_at, created_at, updated_at] = times;
    let mut errors = Violations::default();
    check_line_count(lines.len(), &mut errors);
    let mut restored = Vec::with_capacity(lines.len());
    for (i, kept) in lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        let catalog_object_id = errors.check(canonical_id(
            &field("catalog_object_id"),
            &kept.line.catalog_object_id,
        ));
        let location_id = errors.check(canonical_id(&field("location_id"), &kept.line.location_id));
        let quantity = errors.check(positive_quantity(&field("quantity"), &kept.line.quantity));
        let committed = errors.check(parse_change_quantity(
            &field("committed_quantity"),
            &kept.committed,
            true,
        ));
        let released = errors.check(parse_change_quantity(
            &field("released_quantity"),
            &kept.released,
            true,
        ));
        let (
            Some(catalog_object_id),
            Some(location_id),
            Some(quantity),
            Some(committed),
            Some(released),
        ) = (
            catalog_object_id,
            location_id,
            quantity,
            committed,
            released,
        )
        else {
            continue;
        };
        let line = ReservationLine {
            catalog_object_id,
            location_id,
            quantity,
            committed,
            released,
        };
        if line.held().is_negative() {
            errors.push(Violation::new(
                field("released_quantity"),
                reasons::VALUE_TOO_HIGH,
                "committed and released together exceed the quantity reserved",
            ));
            continue;
        }
        restored.push(line);
    }
    errors.check(check_free_text(
        "reference_id",
        &reference_id,
        MAX_REFERENCE_CHARS,
    ));
    if !restored.is_empty() && restored.len() == lines.len() {
        let holds = restored.iter().any(|l| l.held().is_positive());
        if holds != (state == ReservationState::Held) {
            errors.push(Violation::invalid(
                "state",
                format!(
                    "is {} but the lines {} units",
                    state.as_str(),
                    if holds { "still hold" } else { "hold no" }
                ),
            ));
        }
    }
    errors.into_result(Reservation {
        id,
        state,
        lines: restored,
        reference_id,
        expires_at,
        created_at,
        updated_at,
        version: 1,
    })
}

fn check_line_count(count: usize, errors: &mut Violations) {
    if count == 0 {
        errors.push(Violation::new(
            "lines",
            reasons::ARRAY_LENGTH_TOO_SHORT,
            "must hold at least 1 line",
        ));
    } else if count > MAX_LINES {
        errors.push(Violation::new(
            "lines",
            reasons::ARRAY_LENGTH_TOO_LONG,
            format!("must hold at most {MAX_LINES} lines"),
        ));
    }
}

/// Commits held units at `now`: `lines` names (line index, quantity) to commit, each line
/// at most once; empty commits everything held. `total_price` is recorded on the first
/// change. What stays held stays held (until released or expired).
pub fn commit(
    reservation: &Reservation,
    lines: &[(usize, String)],
    total_price: Option<Money>,
    now: i64,
) -> Result<Step, StepRefusal> {
    check_held(reservation)?;
    if now >= reservation.expires_at {
        return Err(StepRefusal::Expired);
    }
    let mut wanted = vec![None; reservation.lines.len()];
    let mut errors = Violations::default();
    if lines.is_empty() {
        for (i, line) in reservation.lines.iter().enumerate() {
            wanted[i] = Some(line.held());
        }
    }
    for (n, (index, quantity)) in lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{n}].{name}");
        let Some(line) = reservation.lines.get(*index) else {
            errors.push(Violation::invalid(
                field("line"),
                format!("the reservation has {} lines", reservation.lines.len()),
            ));
            continue;
        };
        if wanted[*index].is_some() {
            errors.push(Violation::invalid(
                field("line"),
                "names a line already named",
            ));
            continue;
        }
        let Some(quantity) = errors.check(positive_quantity(&field("quantity"), quantity)) else {
            continue;
        };
        if quantity > line.held() {
            errors.push(Violation::new(
                field("quantity"),
                QUANTITY_NOT_HELD,
                format!("the line holds {}", line.held()),
            ));
            continue;
        }
        wanted[*index] = Some(quantity);
    }
    if !errors.0.is_empty() {
        return Err(StepRefusal::Invalid(errors));
    }
    let mut after = reservation.clone();
    let mut changes = Vec::new();
    let mut price = total_price;
    for (line, quantity) in after.lines.iter_mut().zip(wanted) {
        let Some(quantity) = quantity.filter(|q| q.is_positive()) else {
            continue;
        };
        changes.push(move_units(
            line,
            quantity,
            InventoryState::ReservedForSale,
            InventoryState::Sold,
            now,
            price.take(),
        ));
        line.committed = line.committed.checked_add(quantity).expect("bounded");
    }
    Ok(finish(after, changes, ReservationState::Committed, now))
}

/// Releases everything still held at `now`, at the caller's request.
pub fn release(reservation: &Reservation, now: i64) -> Result<Step, StepRefusal> {
    check_held(reservation)?;
    Ok(release_all(reservation, ReservationState::Released, now))
}

/// Releases everything still held, the reservation's `expires_at` having passed at `now`.
pub fn expire(reservation: &Reservation, now: i64) -> Result<Step, StepRefusal> {
    check_held(reservation)?;
    if now < reservation.expires_at {
        return Err(StepRefusal::Invalid(
            Violation::invalid("expires_at", "is not yet due").into(),
        ));
    }
    Ok(release_all(reservation, ReservationState::Expired, now))
}

/// Moves the reservation's `expires_at` (no change to any count).
pub fn extend(reservation: &Reservation, expires_at: i64, now: i64) -> Result<Step, StepRefusal> {
    check_held(reservation)?;
    if now >= reservation.expires_at {
        return Err(StepRefusal::Expired);
    }
    if expires_at <= now {
        return Err(StepRefusal::Invalid(
            Violation::new(
                "expires_at",
                reasons::VALUE_TOO_LOW,
                "must be in the future",
            )
            .into(),
        ));
    }
    if expires_at - now > MAX_TTL_MICROS {
        return Err(StepRefusal::Invalid(
            Violation::new(
                "expires_at",
                reasons::VALUE_TOO_HIGH,
                "must be at most 30 days away",
            )
            .into(),
        ));
    }
    let mut after = reservation.clone();
    after.expires_at = expires_at;
    after.updated_at = now;
    after.version += 1;
    Ok(Step {
        after,
        changes: Vec::new(),
    })
}

fn check_held(reservation: &Reservation) -> Result<(), StepRefusal> {
    match reservation.state {
        ReservationState::Held => Ok(()),
        other => Err(StepRefusal::NotHeld(other)),
    }
}

fn release_all(reservation: &Reservation, ending: ReservationState, now: i64) -> Step {
    let mut after = reservation.clone();
    let mut changes = Vec::new();
    for line in &mut after.lines {
        let held = line.held();
        if held.is_positive() {
            changes.push(move_units(
                line,
                held,
                InventoryState::ReservedForSale,
                InventoryState::InStock,
                now,
                None,
            ));
            line.released = line.released.checked_add(held).expect("bounded");
        }
    }
    finish(after, changes, ending, now)
}

/// The reservation after a step that moved `changes`: a new version, and `ending` once it
/// holds nothing.
fn finish(
    mut after: Reservation,
    changes: Vec<NewChange>,
    ending: ReservationState,
    now: i64,
) -> Step {
    if after.lines.iter().all(|l| !l.held().is_positive()) {
        after.state = ending;
    }
    after.updated_at = now;
    after.version += 1;
    Step { after, changes }
}

fn move_units(
    line: &ReservationLine,
    quantity: Fixed5,
    from_state: InventoryState,
    to_state: InventoryState,
    now: i64,
    total_price: Option<Money>,
) -> NewChange {
    NewChange {
        movement: ChangeMovement::Adjustment {
            from_state,
            to_state,
            location_id: line.location_id.clone(),
        },
        catalog_object_id: line.catalog_object_id.clone(),
        quantity,
        occurred_at: now,
        total_price,
        cost: None,
        reason: None,
        references: ChangeReferences::default(),
    }
}

fn positive_quantity(field: &str, text: &str) -> Result<Fixed5, Violation> {
    parse_change_quantity(field, text, false)
}

/// Whether a change from `from` to `to` is one a reservation makes: IN_STOCK →
/// RESERVED_FOR_SALE (creating), RESERVED_FOR_SALE → SOLD (committing) or → IN_STOCK
/// (releasing, expiring). Only such changes carry a reservation's id.
pub fn is_reservation_move(from: InventoryState, to: InventoryState) -> bool {
    use InventoryState::{InStock, ReservedForSale, Sold};
    matches!(
        (from, to),
        (InStock, ReservedForSale) | (ReservedForSale, InStock) | (ReservedForSale, Sold)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;
    const MINUTE: i64 = 60_000_000;

    fn q(text: &str) -> Fixed5 {
        Fixed5::parse(text).unwrap()
    }

    fn line(item: &str, quantity: &str) -> LineDraft {
        LineDraft {
            catalog_object_id: item.into(),
            location_id: "L".into(),
            quantity: quantity.into(),
        }
    }

    fn held() -> Reservation {
        let lines = [line("A", "2"), line("B", "1.5")];
        create("r".into(), &lines, NOW + 10 * MINUTE, String::new(), NOW)
            .unwrap()
            .after
    }

    fn states(step: &Step) -> Vec<(InventoryState, InventoryState, Fixed5)> {
        step.changes
            .iter()
            .map(|c| match c.movement {
                ChangeMovement::Adjustment {
                    from_state,
                    to_state,
                    ..
                } => (from_state, to_state, c.quantity),
                _ => unreachable!("reservations move units by adjustments"),
            })
            .collect()
    }

    #[test]
    fn create_reserves_each_line_from_stock() {
        let step = create(
            "r".into(),
            &[line("A", "2"), line("B", "1.5")],
            NOW + MINUTE,
            "order-1".into(),
            NOW,
        )
        .unwrap();
        use InventoryState::{InStock, ReservedForSale};
        assert_eq!(
            states(&step),
            vec![
                (InStock, ReservedForSale, q("2")),
                (InStock, ReservedForSale, q("1.5"))
            ]
        );
        assert_eq!(
            (step.after.state, step.after.version),
            (ReservationState::Held, 1)
        );
    }

    #[test]
    fn bad_reservations_name_the_field() {
        let cases: Vec<(Vec<LineDraft>, i64, &str, &str)> = vec![
            (
                vec![],
                NOW + MINUTE,
                "lines",
                reasons::ARRAY_LENGTH_TOO_SHORT,
            ),
            (
                vec![line("A", "0")],
                NOW + MINUTE,
                "lines[0].quantity",
                reasons::VALUE_TOO_LOW,
            ),
            (
                vec![line("A", "1"), line("", "1")],
                NOW + MINUTE,
                "lines[1].catalog_object_id",
                reasons::MISSING_REQUIRED_PARAMETER,
            ),
            (
                vec![line("A", "1")],
                NOW,
                "expires_at",
                reasons::VALUE_TOO_LOW,
            ),
            (
                vec![line("A", "1")],
                NOW + MAX_TTL_MICROS + 1,
                "expires_at",
                reasons::VALUE_TOO_HIGH,
            ),
        ];
        for (lines, expires_at, field, reason) in cases {
            let refused = create("r".into(), &lines, expires_at, String::new(), NOW).unwrap_err();
            assert_eq!(
                (refused.0[0].field.as_str(), refused.0[0].reason),
                (field, reason)
            );
        }
    }

    #[test]
    fn partial_commits_then_release_end_as_released_quantities_tell() {
        use InventoryState::{InStock, ReservedForSale, Sold};
        let reservation = held();
        let step = commit(&reservation, &[(0, "1".into())], None, NOW + MINUTE).unwrap();
        assert_eq!(states(&step), vec![(ReservedForSale, Sold, q("1"))]);
        assert_eq!(step.after.state, ReservationState::Held);
        assert_eq!(step.after.lines[0].held(), q("1"));
        let released = release(&step.after, NOW + 2 * MINUTE).unwrap();
        assert_eq!(
            states(&released),
            vec![
                (ReservedForSale, InStock, q("1")),
                (ReservedForSale, InStock, q("1.5"))
            ]
        );
        assert_eq!(
            (released.after.state, released.after.version),
            (ReservationState::Released, 3)
        );
        assert_eq!(
            release(&released.after, NOW + 3 * MINUTE),
            Err(StepRefusal::NotHeld(ReservationState::Released))
        );
    }

    #[test]
    fn commit_everything_or_more_than_held() {
        let reservation = held();
        let all = commit(&reservation, &[], None, NOW).unwrap();
        assert_eq!(all.after.state, ReservationState::Committed);
        assert_eq!(all.changes.len(), 2);
        let too_much = commit(&reservation, &[(1, "2".into())], None, NOW).unwrap_err();
        let StepRefusal::Invalid(v) = too_much else {
            panic!("not invalid")
        };
        assert_eq!(
            (v.0[0].field.as_str(), v.0[0].reason),
            ("lines[0].quantity", QUANTITY_NOT_HELD)
        );
        let unknown = commit(&reservation, &[(2, "1".into())], None, NOW).unwrap_err();
        assert!(matches!(unknown, StepRefusal::Invalid(_)));
    }

    #[test]
    fn expiry_is_due_at_expires_at_and_a_late_commit_is_refused() {
        let reservation = held();
        let due = reservation.expires_at;
        assert!(matches!(
            expire(&reservation, due - 1),
            Err(StepRefusal::Invalid(_))
        ));
        let expired = expire(&reservation, due).unwrap();
        assert_eq!(expired.after.state, ReservationState::Expired);
        assert_eq!(
            commit(&reservation, &[], None, due),
            Err(StepRefusal::Expired)
        );
        assert_eq!(
            commit(&expired.after, &[], None, due),
            Err(StepRefusal::NotHeld(ReservationState::Expired))
        );
        let extended = extend(&reservation, due + MINUTE, due - 1).unwrap();
        assert_eq!(
            (extended.after.expires_at, extended.after.version),
            (due + MINUTE, 2)
        );
        assert!(extended.changes.is_empty());
    }

    #[test]
    fn a_restored_reservation_keeps_the_rules_of_a_stored_one() {
        const A: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";
        const L: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d631";
        let kept = |quantity: &str, committed: &str, released: &str| KeptLineDraft {
            line: LineDraft {
                catalog_object_id: A.into(),
                location_id: L.into(),
                quantity: quantity.into(),
            },
            committed: committed.into(),
            released: released.into(),
        };
        let times = [NOW - MINUTE, NOW - 2 * MINUTE, NOW - MINUTE];
        let restored = restore(
            "r".into(),
            ReservationState::Held,
            &[kept("3", "1", "0.5")],
            "order-1".into(),
            times,
        )
        .expect("a held reservation, past due: the sweep releases it");
        assert_eq!(restored.lines[0].held(), q("1.5"));
        assert_eq!((restored.version, restored.expires_at), (1, NOW - MINUTE));

        let fields = |state, lines: &[KeptLineDraft]| -> Vec<String> {
            restore("r".into(), state, lines, String::new(), times)
                .unwrap_err()
                .0
                .into_iter()
                .map(|v| v.field)
                .collect()
        };
        assert_eq!(
            fields(ReservationState::Committed, &[kept("3", "1", "0")]),
            ["state"],
            "a committed reservation holds nothing"
        );
        assert_eq!(
            fields(ReservationState::Held, &[kept("3", "3", "0")]),
            ["state"],
            "a held one holds something"
        );
        assert_eq!(
            fields(ReservationState::Released, &[kept("3", "2", "2")]),
            ["lines[0].released_quantity"]
        );
        assert_eq!(
            fields(ReservationState::Held, &[kept("0", "-1", "x")]),
            [
                "lines[0].quantity",
                "lines[0].committed_quantity",
                "lines[0].released_quantity"
            ]
        );
        assert_eq!(fields(ReservationState::Held, &[]), ["lines"]);
    }

    #[test]
    fn reservation_moves_are_the_three_a_step_makes() {
        use InventoryState::*;
        let all = [None, InStock, Sold, Waste, ReservedForSale, UnlinkedReturn];
        let moves: Vec<(InventoryState, InventoryState)> = all
            .iter()
            .flat_map(|f| all.iter().map(move |t| (*f, *t)))
            .filter(|(f, t)| is_reservation_move(*f, *t))
            .collect();
        assert_eq!(
            moves,
            [
                (InStock, ReservedForSale),
                (ReservedForSale, InStock),
                (ReservedForSale, Sold)
            ]
        );
    }
}
