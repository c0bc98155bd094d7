//! Every decision about a group of batches, as pure functions over facts the store read
//! (docs/architecture.md, "the write path"). The store's part is only I/O: it reads the
//! facts a step asks for, runs the step, and writes what the step decided.
//!
//! A group is decided in two steps, because which counts to lock depends on the first:
//!
//! 1. [`screen`] over [`GroupFacts`] (stored idempotency keys, change ids an import keeps,
//!    the items and locations named): each batch is replayed, refused
//!    (`IDEMPOTENCY_KEY_REUSED`, unknown or untracked item, inactive location, an id another
//!    merchant holds), or left open with the changes it will try to record (an import's
//!    changes already recorded are skipped).
//! 2. [`Screening::plan`] over the open batches' counts (read under lock), the stored
//!    deltas a late physical count replays, and reserved server sequences: each merchant's
//!    [`Planner`] plans its batches in order, each seeing the ones before it, or refuses one
//!    (a count out of range) without affecting its neighbours.
//!
//! Refusals are typed ([`Refusal`]) and name each change by its position in the batch as
//! sent, skipped changes or not.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::alert::{ReorderPoints, alerts};
use super::error::{Violation, Violations, reasons};
use super::guard::{BatchGuards, GuardRefusal, check_guards};
use super::ledger::{ChangeSource, CountKey, NewChange, effects};
use super::plan::{BatchInput, BatchPlan, CountFact, PlannedCount, Planner, StoredDelta};
use super::reason::ReasonType;
use super::refusal::{ChangeViolation, ChangeViolations, Refusal};
use super::reservation::Reservation;
use super::tenant::MerchantId;
use super::text::quote;

/// One BatchChangeInventory call (or one batch of an import), validated change by change.
#[derive(Clone, Debug)]
pub struct BatchRequest {
    /// The caller's idempotency key.
    pub idempotency_key: String,
    /// Digest of the whole request, to tell a retry from a reuse of the key.
    pub request_digest: String,
    /// The changes, in request order; shared with their recorded form, never copied.
    pub changes: Vec<Arc<NewChange>>,
    /// Skip physical counts equal to the current count.
    pub ignore_unchanged_counts: bool,
    /// Who makes the changes (shared by every change recorded with it).
    pub source: Arc<ChangeSource>,
    /// Receipt time, µs (the changes' created_at).
    pub now: i64,
    /// What an import keeps of each change's original record: empty for live calls,
    /// otherwise one per change.
    pub kept: Vec<KeptChange>,
    /// The batch's guards (none for an import).
    pub guards: BatchGuards,
    /// The reservation step whose changes these are, if any.
    pub reservation: Option<Arc<ReservationWrite>>,
}

/// A reservation step taken by a batch: the reservation as the step leaves it, written in
/// the batch's transaction, and the version it was computed from, checked under lock so
/// that two steps racing for one reservation cannot both happen.
#[derive(Clone, Debug)]
pub struct ReservationWrite {
    /// The reservation after the step.
    pub after: Reservation,
    /// The version the step was computed from; `None` when it creates the reservation.
    pub from_version: Option<i64>,
}

/// What an import keeps of one change's original record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeptChange {
    /// Its id, kept when free. A change whose id the merchant already has is skipped (not
    /// recorded twice); an id another merchant holds refuses the batch.
    pub id: Option<String>,
    /// Its original recording time, µs (otherwise the batch's `now`).
    pub created_at: Option<i64>,
    /// Which application made it (otherwise the batch's source).
    pub source: Option<Arc<ChangeSource>>,
}

/// A batch submitted to the ledger, with whose it is.
#[derive(Clone, Debug)]
pub struct Submission {
    /// Whose batch it is.
    pub merchant: MerchantId,
    /// The validated request.
    pub request: BatchRequest,
}

/// What an accepted batch did; `T` is the response built for the applied batch.
#[derive(Clone, Debug)]
pub enum BatchOutcome<T> {
    /// The key was used before for the same request: its stored response.
    Replayed(Vec<u8>),
    /// The batch was applied now.
    Applied(T),
}

/// The ledger's answer to one batch: what it did, or why it refused.
pub type Decided<T> = Result<BatchOutcome<T>, Refusal>;

/// A stored idempotency key: the digest of the request that used it and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// Digest of the request that used the key.
    pub request_digest: String,
    /// The response it got, or the refusal of one of its guards (the only refusals kept).
    pub answer: Result<Vec<u8>, Refusal>,
}

/// What the store knows about the items and locations a merchant's batches name.
#[derive(Clone, Debug, Default)]
pub struct ReferenceFacts {
    /// Item id → whether it is tracked. Absent: no such item for the merchant.
    pub items: HashMap<String, bool>,
    /// Location id → whether it is active. Absent: no such location for the merchant.
    pub locations: HashMap<String, bool>,
    /// The locations among them that forbid negative counts by default.
    pub forbidding_negative_counts: HashSet<String>,
    /// Custom reason id → whether it is deleted. Absent: no such reason for the merchant.
    pub custom_reasons: HashMap<String, bool>,
}

/// The facts [`screen`] decides on, read by the store for [`Wanted`].
#[derive(Clone, Debug, Default)]
pub struct GroupFacts {
    /// (merchant, idempotency key) → the stored key, for the keys the group uses.
    pub keys: HashMap<(String, String), StoredKey>,
    /// Change id → the merchant that has it, for the ids the group's imports keep.
    pub change_ids: HashMap<String, String>,
    /// Merchant → its items and locations among those the group names.
    pub references: HashMap<String, ReferenceFacts>,
    /// Reservation id → (its merchant, its version), for the reservations the group's steps
    /// name, read under lock.
    pub reservations: HashMap<String, (String, i64)>,
}

/// What the store reads for [`screen`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Wanted<'g> {
    /// (merchant, idempotency key) of every batch.
    pub keys: BTreeSet<(&'g str, &'g str)>,
    /// Every id an import keeps.
    pub change_ids: BTreeSet<&'g str>,
    /// Every item named.
    pub items: BTreeSet<&'g str>,
    /// Every location named.
    pub locations: BTreeSet<&'g str>,
    /// Every reservation a step names (to lock and read).
    pub reservations: BTreeSet<&'g str>,
    /// Every custom reason a live change names (history brought in by an import is not
    /// checked against them: see [`check_references`]).
    pub custom_reasons: BTreeSet<&'g str>,
}

/// The facts a group needs screened.
pub fn wanted(group: &[Submission]) -> Wanted<'_> {
    let mut wanted = Wanted::default();
    for batch in group {
        let request = &batch.request;
        wanted
            .keys
            .insert((batch.merchant.0.as_str(), request.idempotency_key.as_str()));
        wanted
            .change_ids
            .extend(request.kept.iter().filter_map(|k| k.id.as_deref()));
        if let Some(step) = &request.reservation {
            wanted.reservations.insert(step.after.id.as_str());
        }
        let live = request.kept.is_empty();
        for change in &request.changes {
            wanted.items.insert(change.catalog_object_id.as_str());
            let custom = change
                .reason
                .as_ref()
                .filter(|r| live && r.kind == ReasonType::Custom);
            if let Some(reason) = custom {
                wanted
                    .custom_reasons
                    .insert(reason.custom_reason_id.as_str());
            }
            wanted
                .locations
                .extend(change.movement.locations().into_iter().map(|(_, l)| l));
        }
    }
    wanted
}

/// Reason of an item or location that does not exist for the caller.
pub const NOT_FOUND: &str = "NOT_FOUND";
/// Reason of a change to an item whose stock is not tracked.
pub const ITEM_NOT_TRACKED: &str = "ITEM_NOT_TRACKED";
/// Reason of a change at a deactivated location.
pub const LOCATION_INACTIVE: &str = "LOCATION_INACTIVE";

/// A batch's changes that are to be recorded: (position in the batch as sent, change).
pub type OpenChanges<'g> = Vec<(usize, &'g NewChange)>;

/// What screening made of one batch.
#[derive(Debug)]
enum Screened<'g> {
    /// Decided without its counts: replayed (the stored response) or refused.
    Decided(Result<Vec<u8>, Refusal>),
    /// To plan, with the changes it tries to record.
    Open(OpenChanges<'g>),
}

/// A group screened: each batch decided or open. See the module documentation.
#[derive(Debug)]
pub struct Screening<'g> {
    group: &'g [Submission],
    batches: Vec<Screened<'g>>,
    /// Merchant → its locations (among those named) that forbid negative counts.
    forbidding_negative_counts: HashMap<String, HashSet<String>>,
}

/// Screens each batch of `group` over `facts` (step 1 of the module documentation). A
/// group holds each (merchant, idempotency key) once: the writer defers a second use of a
/// key to the next group, where it replays.
pub fn screen<'g>(group: &'g [Submission], mut facts: GroupFacts) -> Screening<'g> {
    let no_references = ReferenceFacts::default();
    let batches = group
        .iter()
        .map(|batch| {
            let merchant = &batch.merchant.0;
            let request = &batch.request;
            let key = (merchant.clone(), request.idempotency_key.clone());
            if let Some(stored) = facts.keys.remove(&key) {
                return Screened::Decided(if stored.request_digest == request.request_digest {
                    stored.answer
                } else {
                    Err(Refusal::IdempotencyKeyReused)
                });
            }
            if let Some(step) = &request.reservation {
                let stored = facts.reservations.get(&step.after.id);
                let version = stored.filter(|(m, _)| m == merchant).map(|(_, v)| *v);
                if version != step.from_version {
                    return Screened::Decided(Err(Refusal::ReservationChanged));
                }
                // A later step of the same reservation in this group was computed from the
                // version this one replaces: it must read the reservation again.
                let stepped = (merchant.clone(), step.after.version);
                facts.reservations.insert(step.after.id.clone(), stepped);
            }
            let open = match not_yet_recorded(batch, &facts.change_ids) {
                Ok(open) => open,
                Err(violations) => return Screened::Decided(Err(violations.into())),
            };
            let references = facts.references.get(merchant).unwrap_or(&no_references);
            // A step of an existing reservation moves units its creation checked: an item
            // untracked or a location deactivated since must not keep them held forever.
            let existing_reservation = request
                .reservation
                .as_ref()
                .is_some_and(|step| step.from_version.is_some());
            let violations = if existing_reservation {
                ChangeViolations::default()
            } else {
                check_references(&open, references, request.kept.is_empty())
            };
            if violations.is_empty() {
                Screened::Open(open)
            } else {
                Screened::Decided(Err(violations.into()))
            }
        })
        .collect();
    let forbidding_negative_counts = facts
        .references
        .into_iter()
        .map(|(merchant, references)| (merchant, references.forbidding_negative_counts))
        .collect();
    Screening {
        group,
        batches,
        forbidding_negative_counts,
    }
}

/// The changes of a batch still to record: an import's changes whose kept ids the merchant
/// already has are skipped; an id another merchant holds refuses the batch
/// (`ALREADY_EXISTS` on the change's id).
fn not_yet_recorded<'g>(
    batch: &'g Submission,
    recorded_ids: &HashMap<String, String>,
) -> Result<OpenChanges<'g>, ChangeViolations> {
    let request = &batch.request;
    let mut open = Vec::with_capacity(request.changes.len());
    let mut violations = ChangeViolations::default();
    for (index, change) in request.changes.iter().enumerate() {
        let holder = request
            .kept
            .get(index)
            .and_then(|k| k.id.as_ref())
            .and_then(|id| recorded_ids.get(id));
        match holder {
            None => open.push((index, change.as_ref())),
            Some(merchant) if *merchant == batch.merchant.0 => {}
            Some(_) => violations.0.push(ChangeViolation {
                index,
                member: Some(change.movement.change_type()),
                violation: Violation::new(
                    "id",
                    reasons::ALREADY_EXISTS,
                    "another merchant has a change with this id",
                ),
            }),
        }
    }
    if violations.is_empty() {
        Ok(open)
    } else {
        Err(violations)
    }
}

/// Reason of a change naming a deleted custom reason.
pub const ADJUSTMENT_REASON_DELETED: &str = "ADJUSTMENT_REASON_DELETED";

/// Checks that every change names a tracked item of the caller and active locations, and
/// for a `live` batch, a custom reason of the caller that is not deleted. History brought
/// in by an import may name reasons the merchant deleted since, or whose definitions the
/// import does not carry: it is kept as recorded.
pub fn check_references(
    changes: &[(usize, &NewChange)],
    facts: &ReferenceFacts,
    live: bool,
) -> ChangeViolations {
    let mut all = ChangeViolations::default();
    for (index, change) in changes {
        let mut errors = Violations::default();
        match facts.items.get(&change.catalog_object_id) {
            None => errors.push(Violation::new(
                "catalog_object_id",
                NOT_FOUND,
                format!("no inventory item {}", quote(&change.catalog_object_id)),
            )),
            Some(false) => errors.push(Violation::new(
                "catalog_object_id",
                ITEM_NOT_TRACKED,
                "the inventory item is not tracked (tracked = false)",
            )),
            Some(true) => {}
        }
        for (field, location) in change.movement.locations() {
            match facts.locations.get(location) {
                None => errors.push(Violation::new(
                    field,
                    NOT_FOUND,
                    format!("no location {}", quote(location)),
                )),
                Some(false) => errors.push(Violation::new(
                    field,
                    LOCATION_INACTIVE,
                    "the location is inactive",
                )),
                Some(true) => {}
            }
        }
        let custom = change
            .reason
            .as_ref()
            .filter(|r| live && r.kind == ReasonType::Custom);
        if let Some(reason) = custom {
            const FIELD: &str = "reason_id.custom_reason_id";
            match facts.custom_reasons.get(&reason.custom_reason_id) {
                None => errors.push(Violation::new(
                    FIELD,
                    NOT_FOUND,
                    format!("no adjustment reason {}", quote(&reason.custom_reason_id)),
                )),
                Some(true) => errors.push(Violation::new(
                    FIELD,
                    ADJUSTMENT_REASON_DELETED,
                    "the adjustment reason is deleted; restore it to use it again",
                )),
                Some(false) => {}
            }
        }
        all.extend(ChangeViolations::in_member(
            *index,
            change.movement.change_type(),
            errors,
        ));
    }
    all
}

/// A count of the group, with its merchant: the order locks are taken in.
pub type GroupKey = (String, CountKey);

/// The counts of the open batches, read under lock, and what a late physical count replays.
#[derive(Clone, Debug, Default)]
pub struct CountFacts {
    /// Every count of [`Screening::counts_to_lock`], absent ones without state.
    pub counts: Vec<(String, CountFact)>,
    /// Stored deltas of each count positioned at or after [`Screening::earliest_sets`].
    pub stored_deltas: Vec<(String, StoredDelta)>,
    /// Merchant → the reorder points of the IN_STOCK counts among them
    /// ([`reorder_points_wanted`]).
    pub reorder_points: HashMap<String, ReorderPoints>,
}

/// The (merchant, item, location) of every IN_STOCK count among `counts`: the reorder
/// points a group's alerts are decided on.
pub fn reorder_points_wanted(counts: &BTreeSet<GroupKey>) -> BTreeSet<(&str, &str, &str)> {
    counts
        .iter()
        .filter(|(_, key)| key.state == super::ledger::InventoryState::InStock)
        .map(|(merchant, key)| {
            (
                merchant.as_str(),
                key.catalog_object_id.as_str(),
                key.location_id.as_str(),
            )
        })
        .collect()
}

/// One batch of a planned group.
#[derive(Debug)]
pub enum PlannedBatch {
    /// Replayed (the stored response or refusal) or refused; nothing to write.
    Decided(Result<Vec<u8>, Refusal>),
    /// Refused by one of its guards: nothing recorded, but the refusal is kept with the
    /// batch's idempotency key, so that a retry answers the same.
    Guarded(GuardRefusal),
    /// To record as planned.
    Planned(BatchPlan),
}

/// A group decided: each batch's fate, and the counts to write.
#[derive(Debug)]
pub struct GroupPlan<'g> {
    /// The group the plan is for.
    pub group: &'g [Submission],
    /// One per batch of the group, in order.
    pub batches: Vec<PlannedBatch>,
    /// Every count a planned batch moved, as it stands after the group, with its merchant.
    pub moved: Vec<(String, PlannedCount)>,
}

impl<'g> Screening<'g> {
    fn open(&self) -> impl Iterator<Item = (&'g Submission, &OpenChanges<'g>)> {
        self.group
            .iter()
            .zip(&self.batches)
            .filter_map(|(batch, screened)| match screened {
                Screened::Open(changes) => Some((batch, changes)),
                Screened::Decided(_) => None,
            })
    }

    /// Every count the open batches move, in lock order.
    pub fn counts_to_lock(&self) -> BTreeSet<GroupKey> {
        let mut keys = BTreeSet::new();
        for (batch, changes) in self.open() {
            for (_, change) in changes {
                for (key, _) in effects(change) {
                    keys.insert((batch.merchant.0.clone(), key));
                }
            }
        }
        keys
    }

    /// For each count an open batch sets by a physical count, the earliest occurred_at at
    /// which it does: the stored deltas at or after it are what the plan may replay.
    pub fn earliest_sets(&self) -> BTreeMap<GroupKey, i64> {
        let mut earliest: BTreeMap<GroupKey, i64> = BTreeMap::new();
        for (batch, changes) in self.open() {
            let sets = super::plan::earliest_sets(changes.iter().map(|(_, c)| *c));
            for (key, at) in sets {
                let slot = earliest
                    .entry((batch.merchant.0.clone(), key))
                    .or_insert(at);
                *slot = (*slot).min(at);
            }
        }
        earliest
    }

    /// How many server sequences planning may take: one per open change.
    pub fn changes_to_plan(&self) -> usize {
        self.open().map(|(_, changes)| changes.len()).sum()
    }

    /// Plans the open batches over `facts` with `seqs` (at least
    /// [`Screening::changes_to_plan`] of them, increasing): step 2 of the module
    /// documentation.
    pub fn plan(self, facts: CountFacts, seqs: Vec<i64>) -> GroupPlan<'g> {
        let mut counts: HashMap<String, Vec<CountFact>> = HashMap::new();
        for (merchant, fact) in facts.counts {
            counts.entry(merchant).or_default().push(fact);
        }
        let mut deltas: HashMap<String, Vec<StoredDelta>> = HashMap::new();
        for (merchant, delta) in facts.stored_deltas {
            deltas.entry(merchant).or_default().push(delta);
        }
        let mut planners: BTreeMap<&'g str, Planner> = BTreeMap::new();
        let mut seqs = seqs.into_iter();
        let mut next_seq = || {
            seqs.next()
                .expect("a sequence was reserved for every change to plan")
        };
        let mut batches = Vec::with_capacity(self.batches.len());
        for (batch, screened) in self.group.iter().zip(self.batches) {
            let changes = match screened {
                Screened::Decided(decided) => {
                    batches.push(PlannedBatch::Decided(decided));
                    continue;
                }
                Screened::Open(changes) => changes,
            };
            let merchant = batch.merchant.0.as_str();
            let planner = planners.entry(merchant).or_insert_with(|| {
                Planner::new(
                    counts.remove(merchant).unwrap_or_default(),
                    deltas.remove(merchant).unwrap_or_default(),
                )
            });
            let request = &batch.request;
            let created_at: Vec<i64> = request
                .kept
                .iter()
                .map(|k| k.created_at.unwrap_or(request.now))
                .collect();
            let input = BatchInput {
                changes: &changes,
                ignore_unchanged_counts: request.ignore_unchanged_counts,
                now: request.now,
                created_at: &created_at,
            };
            let no_location = HashSet::new();
            let forbidding = self
                .forbidding_negative_counts
                .get(merchant)
                .unwrap_or(&no_location);
            batches.push(match planner.try_batch(input, &mut next_seq) {
                Ok(tentative) => match check_guards(
                    &request.guards,
                    &changes,
                    |key| planner.quantity(key),
                    &tentative.plan,
                    |location| forbidding.contains(location),
                ) {
                    Ok(()) => {
                        let mut kept = planner.keep(tentative);
                        kept.alerts = match facts.reorder_points.get(merchant) {
                            Some(points) => alerts(&kept.updates, points),
                            None => Vec::new(),
                        };
                        PlannedBatch::Planned(kept)
                    }
                    Err(refusal) => PlannedBatch::Guarded(refusal),
                },
                Err(refusal) => {
                    let index = refusal.change_index;
                    let violation = ChangeViolation {
                        index,
                        member: Some(request.changes[index].movement.change_type()),
                        violation: Violation::new(
                            "quantity",
                            reasons::COUNT_OUT_OF_RANGE,
                            "the change would take a count beyond its bounds",
                        ),
                    };
                    PlannedBatch::Decided(Err(Refusal::CountOutOfRange(violation)))
                }
            });
        }
        let moved = planners
            .into_iter()
            .flat_map(|(merchant, planner)| {
                planner
                    .moved_counts()
                    .into_iter()
                    .map(move |count| (merchant.to_owned(), count))
            })
            .collect();
        GroupPlan {
            group: self.group,
            batches,
            moved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decimal::Fixed5;
    use crate::domain::guard::{Expected, GuardKind};
    use crate::domain::ledger::{
        ChangeMovement, ChangeReferences, ChangeType, CountState, InventoryState,
    };
    use InventoryState::{InStock, None as NoState, Sold};

    const NOW: i64 = 1_800_000_000_000_000;

    fn q(text: &str) -> Fixed5 {
        Fixed5::parse(text).unwrap()
    }

    fn adjust(item: &str, location: &str, from: InventoryState, quantity: &str) -> NewChange {
        NewChange {
            movement: ChangeMovement::Adjustment {
                from_state: from,
                to_state: if from == NoState { InStock } else { Sold },
                location_id: location.into(),
            },
            catalog_object_id: item.into(),
            quantity: q(quantity),
            occurred_at: NOW,
            total_price: None,
            cost: None,
            reason: None,
            references: ChangeReferences::default(),
        }
    }

    fn receive(quantity: &str) -> NewChange {
        adjust("I", "L", NoState, quantity)
    }

    fn sell(quantity: &str) -> NewChange {
        adjust("I", "L", InStock, quantity)
    }

    fn batch(merchant: &str, key: &str, changes: Vec<NewChange>) -> Submission {
        Submission {
            merchant: MerchantId(merchant.into()),
            request: BatchRequest {
                guards: BatchGuards::default(),
                reservation: None,
                idempotency_key: key.into(),
                request_digest: format!("digest of {key}"),
                changes: changes.into_iter().map(Arc::new).collect(),
                ignore_unchanged_counts: true,
                source: Arc::default(),
                now: NOW,
                kept: Vec::new(),
            },
        }
    }

    /// An import batch: each change keeps the id given (if any).
    fn import(merchant: &str, changes: Vec<(Option<&str>, NewChange)>) -> Submission {
        let (ids, changes): (Vec<_>, Vec<_>) = changes.into_iter().unzip();
        let mut submission = batch(merchant, "import:x", changes);
        submission.request.kept = ids
            .into_iter()
            .map(|id| KeptChange {
                id: id.map(str::to_owned),
                ..KeptChange::default()
            })
            .collect();
        submission
    }

    /// Merchant `m` has tracked item I and active location L, and IN_STOCK at (I, L) holds
    /// `in_stock` (absent when `None`).
    fn facts() -> GroupFacts {
        let references = ReferenceFacts {
            forbidding_negative_counts: HashSet::new(),
            items: HashMap::from([("I".to_owned(), true), ("U".to_owned(), false)]),
            locations: HashMap::from([("L".to_owned(), true), ("X".to_owned(), false)]),
            custom_reasons: HashMap::new(),
        };
        GroupFacts {
            references: HashMap::from([("m".to_owned(), references)]),
            ..GroupFacts::default()
        }
    }

    /// Plans a screened group over counts read as `in_stock` for IN_STOCK at (I, L) and
    /// absent for every other count, with sequences 1, 2, ….
    fn plan<'g>(screening: Screening<'g>, in_stock: Option<&str>) -> GroupPlan<'g> {
        let counts = screening
            .counts_to_lock()
            .into_iter()
            .map(|(merchant, key)| {
                let state = (key.state == InStock).then_some(in_stock).flatten();
                let fact = CountFact {
                    key,
                    state: state.map(|quantity| CountState {
                        quantity: q(quantity),
                        anchor: None,
                    }),
                    calculated_at: 0,
                };
                (merchant, fact)
            })
            .collect();
        let seqs = (1..=screening.changes_to_plan() as i64).collect();
        let facts = CountFacts {
            counts,
            ..CountFacts::default()
        };
        screening.plan(facts, seqs)
    }

    #[test]
    fn batches_of_a_group_alert_on_each_crossing_they_make_in_turn() {
        use crate::domain::alert::AlertKind::{Low, Recovered};
        // A batch its guard refuses (it would take the count below zero) records nothing,
        // so it raises no alert either.
        let mut guarded = batch("m", "kg", vec![adjust("I", "L", InStock, "10")]);
        guarded.request.guards.forbid_negative_counts = Some(true);
        let group = [
            batch("m", "k1", vec![adjust("I", "L", InStock, "2")]),
            batch("m", "k2", vec![receive("5")]),
            guarded,
            batch("m", "k3", vec![adjust("I", "L", InStock, "1")]),
            batch(
                "m",
                "k4",
                vec![adjust("I", "L", InStock, "4"), receive("0.5")],
            ),
        ];
        let screening = screen(&group, facts());
        let counts = vec![(
            "m".to_owned(),
            CountFact {
                key: CountKey {
                    catalog_object_id: "I".into(),
                    location_id: "L".into(),
                    state: InStock,
                },
                state: Some(CountState {
                    quantity: q("3"),
                    anchor: None,
                }),
                calculated_at: 0,
            },
        )];
        let to_lock = screening.counts_to_lock();
        assert_eq!(
            reorder_points_wanted(&to_lock),
            BTreeSet::from([("m", "I", "L")])
        );
        let points = HashMap::from([(
            "m".to_owned(),
            ReorderPoints::from([(("I".to_owned(), "L".to_owned()), q("2"))]),
        )]);
        let seqs = (1..=screening.changes_to_plan() as i64).collect();
        let facts = CountFacts {
            counts,
            reorder_points: points,
            ..CountFacts::default()
        };
        let plan = screening.plan(facts, seqs);
        let alerts: Vec<Vec<_>> = plan
            .batches
            .iter()
            .map(|b| match b {
                PlannedBatch::Planned(p) => p
                    .alerts
                    .iter()
                    .map(|a| (a.change, a.kind, a.quantity))
                    .collect(),
                PlannedBatch::Guarded(_) => vec![(99, Low, q("-1"))],
                other => panic!("not planned: {other:?}"),
            })
            .collect();
        // 3 → 1 (low), → 6 (recovered), → 5 (still above), → 1 (low) → 1.5 (still low).
        assert_eq!(
            alerts,
            [
                vec![(0, Low, q("1"))],
                vec![(0, Recovered, q("6"))],
                vec![(99, Low, q("-1"))], // refused: the marker of a guarded batch
                vec![],
                vec![(0, Low, q("1"))],
            ]
        );
    }

    /// Each batch's fate: `Ok(recorded positions)`, `Ok(replayed)` as `None`, or the refusal.
    fn fates(plan: &GroupPlan<'_>) -> Vec<Result<Option<Vec<usize>>, Refusal>> {
        plan.batches
            .iter()
            .map(|b| match b {
                PlannedBatch::Decided(Ok(_)) => Ok(None),
                PlannedBatch::Decided(Err(refusal)) => Err(refusal.clone()),
                PlannedBatch::Guarded(refusal) => Err(Refusal::Guard(refusal.clone())),
                PlannedBatch::Planned(p) => Ok(Some(p.recorded.iter().map(|r| r.index).collect())),
            })
            .collect()
    }

    /// The refusal of a one-batch group.
    fn only_refusal(plan: &GroupPlan<'_>) -> Refusal {
        match fates(plan).as_slice() {
            [Err(refusal)] => refusal.clone(),
            other => panic!("not one refused batch: {other:?}"),
        }
    }

    fn violation(index: usize, field: &str, reason: &'static str) -> (usize, String, &'static str) {
        (index, format!("adjustment.{field}"), reason)
    }

    fn named(refusal: &Refusal) -> Vec<(usize, String, &'static str)> {
        match refusal {
            Refusal::Invalid(violations) => violations
                .0
                .iter()
                .map(|v| (v.index, v.path_in_change(), v.violation.reason))
                .collect(),
            Refusal::CountOutOfRange(v) => vec![(v.index, v.path_in_change(), v.violation.reason)],
            Refusal::IdempotencyKeyReused => {
                vec![(0, String::new(), reasons::IDEMPOTENCY_KEY_REUSED)]
            }
            Refusal::Guard(guard) => {
                let v = guard.violation();
                vec![(v.index, v.path_in_change(), v.violation.reason)]
            }
            Refusal::ReservationChanged => vec![(0, String::new(), "RESERVATION_CHANGED")],
        }
    }

    #[test]
    fn wanted_names_every_key_id_item_and_location_of_the_group() {
        let group = [
            batch("m", "k1", vec![receive("1")]),
            import("n", vec![(Some("c1"), adjust("J", "M", NoState, "1"))]),
        ];
        let wanted = wanted(&group);
        assert_eq!(
            wanted.keys,
            BTreeSet::from([("m", "k1"), ("n", "import:x")])
        );
        assert_eq!(wanted.change_ids, BTreeSet::from(["c1"]));
        assert_eq!(wanted.items, BTreeSet::from(["I", "J"]));
        assert_eq!(wanted.locations, BTreeSet::from(["L", "M"]));
    }

    #[test]
    fn a_stored_key_replays_the_same_request_and_refuses_another() {
        let group = [
            batch("m", "same", vec![receive("1")]),
            batch("m", "reused", vec![receive("1")]),
            batch("m", "new", vec![receive("5")]),
        ];
        let mut facts = facts();
        for (key, digest) in [("same", "digest of same"), ("reused", "another digest")] {
            let stored = StoredKey {
                request_digest: digest.into(),
                answer: Ok(b"stored".to_vec()),
            };
            facts.keys.insert(("m".into(), key.into()), stored);
        }
        let screening = screen(&group, facts);
        assert_eq!(
            screening.changes_to_plan(),
            1,
            "only the new batch is planned"
        );
        let plan = plan(screening, None);
        assert_eq!(
            fates(&plan),
            vec![
                Ok(None),
                Err(Refusal::IdempotencyKeyReused),
                Ok(Some(vec![0]))
            ]
        );
        match &plan.batches[0] {
            PlannedBatch::Decided(Ok(response)) => assert_eq!(response, b"stored"),
            other => panic!("not replayed: {other:?}"),
        }
    }

    #[test]
    fn references_refuse_each_change_by_member_and_field() {
        let group = [batch(
            "m",
            "k",
            vec![
                receive("1"),
                adjust("nope", "L", NoState, "1"),
                adjust("U", "X", NoState, "1"),
                adjust("I", "gone", NoState, "1"),
            ],
        )];
        let screening = screen(&group, facts());
        assert!(
            screening.counts_to_lock().is_empty(),
            "a refused batch locks nothing"
        );
        let plan = plan(screening, None);
        let refusal = only_refusal(&plan);
        assert_eq!(
            named(&refusal),
            vec![
                violation(1, "catalog_object_id", NOT_FOUND),
                violation(2, "catalog_object_id", ITEM_NOT_TRACKED),
                violation(2, "location_id", LOCATION_INACTIVE),
                violation(3, "location_id", NOT_FOUND),
            ]
        );
    }

    #[test]
    fn another_merchants_facts_are_not_the_callers() {
        let group = [batch("n", "k", vec![receive("1")])];
        let plan = plan(screen(&group, facts()), None);
        let refusal = only_refusal(&plan);
        assert_eq!(
            named(&refusal),
            vec![
                violation(0, "catalog_object_id", NOT_FOUND),
                violation(0, "location_id", NOT_FOUND),
            ]
        );
    }

    #[test]
    fn an_import_skips_ids_already_recorded_and_names_changes_as_sent() {
        let group = [import(
            "m",
            vec![
                (Some("present"), receive("100")),
                (Some("new"), sell("3")),
                (None, sell("2")),
            ],
        )];
        let mut facts = facts();
        facts.change_ids.insert("present".into(), "m".into());
        let screening = screen(&group, facts);
        assert_eq!(screening.changes_to_plan(), 2);
        let plan = plan(screening, Some("10"));
        assert_eq!(fates(&plan), vec![Ok(Some(vec![1, 2]))]);
        let PlannedBatch::Planned(batch_plan) = &plan.batches[0] else {
            panic!("not planned")
        };
        assert_eq!(batch_plan.counts[0].state.quantity, q("5"));
    }

    #[test]
    fn a_refusal_after_skipped_changes_names_the_change_as_sent() {
        let huge = "1000000000";
        let group = [import(
            "m",
            vec![(Some("present"), receive("1")), (None, receive(huge))],
        )];
        let mut facts = facts();
        facts.change_ids.insert("present".into(), "m".into());
        let plan = plan(screen(&group, facts), Some("999999999999"));
        assert_eq!(
            fates(&plan)
                .into_iter()
                .map(|f| f.map_err(|r| named(&r)))
                .collect::<Vec<_>>(),
            vec![Err(vec![violation(
                1,
                "quantity",
                reasons::COUNT_OUT_OF_RANGE
            )])]
        );
    }

    #[test]
    fn an_id_another_merchant_holds_refuses_the_import() {
        let group = [import(
            "m",
            vec![(None, receive("1")), (Some("theirs"), receive("1"))],
        )];
        let mut facts = facts();
        facts.change_ids.insert("theirs".into(), "n".into());
        let plan = plan(screen(&group, facts), None);
        let refusal = only_refusal(&plan);
        assert_eq!(
            named(&refusal),
            vec![violation(1, "id", reasons::ALREADY_EXISTS)]
        );
    }

    #[test]
    fn batches_see_the_ones_before_them_and_a_refused_one_changes_nothing() {
        let group = [
            batch("m", "a", vec![receive("10")]),
            batch("m", "b", vec![receive("1"), receive("999999999")]),
            batch("m", "c", vec![sell("4")]),
        ];
        let plan = plan(screen(&group, facts()), Some("999999999000"));
        let fates = fates(&plan);
        assert_eq!(fates[0], Ok(Some(vec![0])));
        assert!(
            matches!(&fates[1], Err(Refusal::CountOutOfRange(v)) if v.index == 1
                && v.member == Some(ChangeType::Adjustment)),
            "{:?}",
            fates[1]
        );
        assert_eq!(fates[2], Ok(Some(vec![0])));
        let moved: Vec<Fixed5> = plan.moved.iter().map(|(_, c)| c.state.quantity).collect();
        assert_eq!(
            moved,
            vec![q("999999999006")],
            "10 in, 4 out; b left no trace"
        );
    }

    /// `b` with guards: per change what it expects, and the batch's negative rule.
    fn guarded(
        mut b: Submission,
        expected: Vec<Option<Expected>>,
        forbid_negative_counts: Option<bool>,
    ) -> Submission {
        b.request.guards = BatchGuards {
            expected,
            forbid_negative_counts,
        };
        b
    }

    fn exactly(quantity: &str) -> Option<Expected> {
        Some(Expected::Quantity(q(quantity)))
    }

    /// Each batch's guard refusal as (kind, change index, reported quantity), or `None`
    /// when it was planned.
    fn guard_fates(plan: &GroupPlan<'_>) -> Vec<Option<(GuardKind, usize, String)>> {
        plan.batches
            .iter()
            .map(|b| match b {
                PlannedBatch::Planned(_) => None,
                PlannedBatch::Guarded(g) => Some((g.kind, g.index, g.reported_quantity())),
                other => panic!("neither planned nor guarded: {other:?}"),
            })
            .collect()
    }

    /// IN_STOCK before the group, what each change of the batch expects, the fate.
    type ExpectedCase = (
        Option<&'static str>,
        Vec<Option<Expected>>,
        Option<(GuardKind, usize, &'static str)>,
    );

    #[test]
    fn expected_quantity_compares_the_count_as_the_change_finds_it() {
        use GuardKind::QuantityMismatch as Mismatch;
        let cases: Vec<ExpectedCase> = vec![
            (Some("10"), vec![exactly("10"), None], None),
            (
                Some("10"),
                vec![exactly("9"), None],
                Some((Mismatch, 0, "10")),
            ),
            (Some("10"), vec![exactly("10"), exactly("15")], None),
            (
                Some("10"),
                vec![exactly("10"), exactly("10")],
                Some((Mismatch, 1, "15")),
            ),
            (None, vec![Some(Expected::Absent), exactly("5")], None),
            (
                None,
                vec![exactly("0"), None],
                Some((Mismatch, 0, "ABSENT")),
            ),
            (
                Some("0"),
                vec![Some(Expected::Absent), None],
                Some((Mismatch, 0, "0")),
            ),
        ];
        for (before, expected, fate) in cases {
            // Receive 5, then sell 1.
            let b = guarded(
                batch("m", "k", vec![receive("5"), sell("1")]),
                expected.clone(),
                None,
            );
            let group = [b];
            let plan = plan(screen(&group, facts()), before);
            let want = fate.map(|(kind, index, quantity)| (kind, index, quantity.to_owned()));
            assert_eq!(guard_fates(&plan), vec![want], "{before:?} {expected:?}");
        }
    }

    #[test]
    fn forbidding_negative_counts_refuses_only_the_batch_that_would_go_below_zero() {
        let sale = |key: &str, quantity: &str, forbid| {
            guarded(batch("m", key, vec![sell(quantity)]), Vec::new(), forbid)
        };
        let group = [
            sale("a", "6", Some(true)),
            sale("b", "6", Some(true)),
            sale("c", "3", Some(true)),
            sale("d", "5", None),
            sale("e", "5", Some(false)),
        ];
        let plan = plan(screen(&group, facts()), Some("10"));
        assert_eq!(
            guard_fates(&plan),
            vec![
                None,
                Some((GuardKind::InsufficientQuantity, 0, "4".to_owned())),
                None,
                None,
                None,
            ],
            "b is refused with 4 available and leaves c its units; \
             d has no rule of its own and its location none; e allows negatives"
        );
        let counts: Vec<_> = plan.moved.iter().map(|(_, c)| c.state.quantity).collect();
        assert_eq!(
            counts,
            vec![q("-9")],
            "a, c, d and e applied: 10 - 6 - 3 - 5 - 5"
        );
    }

    #[test]
    fn a_location_can_forbid_negative_counts_unless_the_batch_says_otherwise() {
        let mut forbidding = facts();
        let shop = forbidding.references.get_mut("m").unwrap();
        shop.forbidding_negative_counts.insert("L".to_owned());
        let group = [
            guarded(batch("m", "a", vec![sell("11")]), Vec::new(), None),
            guarded(batch("m", "b", vec![sell("11")]), Vec::new(), Some(false)),
            // Below zero after b (-1): a receipt that leaves it below zero still rises.
            guarded(batch("m", "c", vec![receive("0.5")]), Vec::new(), None),
            // A receipt later in the batch covers the sale before it (-0.5 - 2 + 3).
            guarded(
                batch("m", "d", vec![sell("2"), receive("3")]),
                Vec::new(),
                None,
            ),
            guarded(batch("m", "e", vec![sell("1")]), Vec::new(), None),
        ];
        let plan = plan(screen(&group, forbidding), Some("10"));
        assert_eq!(
            guard_fates(&plan),
            vec![
                Some((GuardKind::InsufficientQuantity, 0, "10".to_owned())),
                None,
                None,
                None,
                Some((GuardKind::InsufficientQuantity, 0, "0.5".to_owned())),
            ]
        );
    }
}
