//! Planning BatchChangeInventory: every decision of a batch as one pure computation over
//! facts the store fetched beforehand (docs/architecture.md, "the write path").
//!
//! The store reads the counts a group of batches touches (locked), the stored deltas that a
//! physical count may have to replay, and reserves server sequences. A [`Planner`] then
//! plans the group's batches one after the other, each seeing the ones before it: which
//! changes are recorded, the effects they leave on counts, the new quantities, the count
//! updates of the live feed, or a refusal naming the change that would take a count out of
//! range. A refused batch leaves the planner as it found it, so it never affects its
//! neighbours. The store then writes the plans with a constant number of statements.

use std::collections::HashMap;

use indexmap::IndexSet;

use super::decimal::Fixed5;
use super::ledger::{
    ChangeMovement, CountKey, CountState, Effect, NewChange, Position, apply_effect, effects,
};

/// A count as stored when the group starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountFact {
    /// Which count.
    pub key: CountKey,
    /// Its state; `None` when no change has touched it yet (no row).
    pub state: Option<CountState>,
    /// Server time of the latest change that moved it, µs.
    pub calculated_at: i64,
}

/// A stored delta of a count, which a physical count positioned before it must replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDelta {
    /// Which count.
    pub key: CountKey,
    /// Where it sits in the count's order.
    pub position: Position,
    /// The signed quantity it adds.
    pub delta: Fixed5,
}

/// One BatchChangeInventory call to plan.
#[derive(Clone, Copy, Debug)]
pub struct BatchInput<'a> {
    /// The validated changes to record, in request order, each with its position in the
    /// batch as sent (an import's changes already recorded are not among them).
    pub changes: &'a [(usize, &'a NewChange)],
    /// Skip physical counts equal to the current count.
    pub ignore_unchanged_counts: bool,
    /// Receipt time, µs: the calculated_at of every count the batch moves.
    pub now: i64,
    /// Per change of the batch as sent, the original recording time an import keeps (µs),
    /// which replaces `now` as the calculated_at of the counts that change moves; empty for
    /// live calls.
    pub created_at: &'a [i64],
}

/// A change the batch records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedChange {
    /// Position of the change in the batch as sent.
    pub index: usize,
    /// Its server sequence.
    pub seq: i64,
}

/// An effect to keep in the count's history (what `verify` folds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedEntry {
    /// Index into [`BatchPlan::recorded`].
    pub change: usize,
    /// Which count.
    pub key: CountKey,
    /// How it moves the count.
    pub effect: Effect,
}

/// A count a recorded change moved: one line of WatchInventoryCounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCountUpdate {
    /// Index into [`BatchPlan::recorded`].
    pub change: usize,
    /// Position among that change's updates (0, then 1 for a transfer's or a state
    /// change's second count).
    pub ordinal: i32,
    /// Which count.
    pub key: CountKey,
    /// Quantity before; `None` if the count did not exist.
    pub previous: Option<Fixed5>,
    /// Quantity after.
    pub quantity: Fixed5,
}

/// A count as it stands after the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCount {
    /// Which count.
    pub key: CountKey,
    /// Its state after the batch.
    pub state: CountState,
    /// Server time of the latest change that moved it, µs.
    pub calculated_at: i64,
}

/// Everything a batch does, decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchPlan {
    /// The changes recorded, in request order (unchanged physical counts are left out).
    pub recorded: Vec<PlannedChange>,
    /// Their effects on counts.
    pub entries: Vec<PlannedEntry>,
    /// The counts they moved, with previous and new quantities.
    pub updates: Vec<PlannedCountUpdate>,
    /// Every count the batch names, in first-mention order, as it stands afterwards.
    pub counts: Vec<PlannedCount>,
    /// The low-stock alerts its count updates raise ([`super::alert`]), filled in by
    /// [`super::decide`] once the batch is kept.
    pub alerts: Vec<super::alert::PlannedAlert>,
}

/// Why a batch cannot be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("change {change_index} would take a count out of range")]
pub struct CountOutOfRange {
    /// Position in the batch as sent of the change that would leave the range.
    pub change_index: usize,
}

/// A batch planned but not yet kept ([`Planner::try_batch`]).
#[derive(Debug)]
pub struct TentativeBatch {
    /// What the batch would do.
    pub plan: BatchPlan,
    /// The counts it names as they would stand after it.
    local: HashMap<CountKey, Slot>,
    /// The deltas it would add.
    local_deltas: Vec<(CountKey, Position, Fixed5)>,
}

/// A count while a group is planned.
#[derive(Clone, Debug)]
struct Slot {
    state: Option<CountState>,
    calculated_at: i64,
}

/// Plans the batches of one merchant's group in order; see the module documentation.
#[derive(Debug, Default)]
pub struct Planner {
    counts: HashMap<CountKey, Slot>,
    /// Deltas a physical count may have to replay: stored ones, then the group's own.
    deltas: HashMap<CountKey, Vec<(Position, Fixed5)>>,
    /// Counts moved by a planned batch (to write once the group is planned), in the order
    /// they were first moved.
    moved: IndexSet<CountKey>,
}

impl Planner {
    /// A planner over the counts the group touches (every one must be given, absent or
    /// not) and the stored deltas positioned at or after the group's earliest physical
    /// count of each count.
    pub fn new(counts: Vec<CountFact>, stored_deltas: Vec<StoredDelta>) -> Planner {
        let mut deltas: HashMap<CountKey, Vec<(Position, Fixed5)>> = HashMap::new();
        for d in stored_deltas {
            deltas.entry(d.key).or_default().push((d.position, d.delta));
        }
        Planner {
            counts: counts
                .into_iter()
                .map(|c| {
                    let slot = Slot {
                        state: c.state,
                        calculated_at: c.calculated_at,
                    };
                    (c.key, slot)
                })
                .collect(),
            deltas,
            moved: IndexSet::new(),
        }
    }

    /// Plans one batch after every batch planned before it, and keeps the plan (the
    /// batches planned after it see its effects). See [`Planner::try_batch`].
    pub fn plan_batch(
        &mut self,
        batch: BatchInput<'_>,
        next_seq: &mut impl FnMut() -> i64,
    ) -> Result<BatchPlan, CountOutOfRange> {
        let tentative = self.try_batch(batch, next_seq)?;
        Ok(self.keep(tentative))
    }

    /// What a count holds now, after the batches kept so far: `None` when it does not
    /// exist. A tentative batch is not seen until it is kept.
    ///
    /// Panics if the planner was not given the count.
    pub fn quantity(&self, key: &CountKey) -> Option<Fixed5> {
        let slot = self.counts.get(key).unwrap_or_else(|| {
            panic!("the planner was not given count {key:?}");
        });
        slot.state.map(|s| s.quantity)
    }

    /// Keeps a tentative batch: the batches planned after it see its effects.
    pub fn keep(&mut self, tentative: TentativeBatch) -> BatchPlan {
        let TentativeBatch {
            plan,
            local,
            local_deltas,
        } = tentative;
        self.moved
            .extend(plan.updates.iter().map(|update| update.key.clone()));
        for (key, position, delta) in local_deltas {
            self.deltas.entry(key).or_default().push((position, delta));
        }
        self.counts.extend(local);
        plan
    }

    /// Plans one batch after every batch kept before it, without keeping it yet: the
    /// caller checks the plan (its guards) and then keeps it ([`Planner::keep`]) or drops
    /// it, which leaves the planner as it was. `next_seq` hands out server sequences in
    /// increasing order, above every stored one of the counts involved; sequences taken
    /// by a batch that is not kept are simply not used.
    ///
    /// Panics if the batch names a count the planner was not given.
    pub fn try_batch(
        &self,
        batch: BatchInput<'_>,
        next_seq: &mut impl FnMut() -> i64,
    ) -> Result<TentativeBatch, CountOutOfRange> {
        // Work on copies of the batch's counts and commit them only on success.
        let mut local: HashMap<CountKey, Slot> = HashMap::new();
        let mut local_deltas: Vec<(CountKey, Position, Fixed5)> = Vec::new();
        let mut plan = BatchPlan::default();
        let mut named: Vec<CountKey> = Vec::new();
        for &(index, change) in batch.changes {
            let change_effects = effects(change);
            for (key, _) in &change_effects {
                if !local.contains_key(key) {
                    // First mention of this count in the batch.
                    named.push(key.clone());
                    let slot = self.counts.get(key).cloned().unwrap_or_else(|| {
                        panic!("the planner was not given count {key:?}");
                    });
                    local.insert(key.clone(), slot);
                }
            }
            if batch.ignore_unchanged_counts && is_unchanged_count(change, &change_effects, &local)
            {
                continue;
            }
            let position = (change.occurred_at, next_seq());
            let recorded = plan.recorded.len();
            plan.recorded.push(PlannedChange {
                index,
                seq: position.1,
            });
            let mut ordinal = 0;
            for (key, effect) in change_effects {
                let slot = local.get_mut(&key).expect("copied above");
                let later = || {
                    self.deltas
                        .get(&key)
                        .into_iter()
                        .flatten()
                        .map(|(p, d)| (*p, *d))
                        .chain(
                            local_deltas
                                .iter()
                                .filter(|(k, _, _)| *k == key)
                                .map(|(_, p, d)| (*p, *d)),
                        )
                        .filter(|(p, _)| *p > position)
                        .map(|(_, d)| d)
                        .collect()
                };
                let next = apply_effect(slot.state, effect, position, later).map_err(|_| {
                    CountOutOfRange {
                        change_index: index,
                    }
                })?;
                if let Some(next) = next {
                    plan.updates.push(PlannedCountUpdate {
                        change: recorded,
                        ordinal,
                        key: key.clone(),
                        previous: slot.state.map(|s| s.quantity),
                        quantity: next.quantity,
                    });
                    ordinal += 1;
                    slot.state = Some(next);
                    slot.calculated_at = batch.created_at.get(index).copied().unwrap_or(batch.now);
                }
                if let Effect::Delta(d) = effect {
                    local_deltas.push((key.clone(), position, d));
                }
                plan.entries.push(PlannedEntry {
                    change: recorded,
                    key,
                    effect,
                });
            }
        }
        plan.counts = named
            .iter()
            .map(|key| {
                let slot = &local[key];
                PlannedCount {
                    key: key.clone(),
                    state: slot.state.expect("a count the batch names exists after it"),
                    calculated_at: slot.calculated_at,
                }
            })
            .collect();
        Ok(TentativeBatch {
            plan,
            local,
            local_deltas,
        })
    }

    /// The counts moved by the batches planned so far, as they stand now: what the store
    /// writes once the group is planned.
    pub fn moved_counts(&self) -> Vec<PlannedCount> {
        self.moved
            .iter()
            .map(|key| {
                let slot = &self.counts[key];
                PlannedCount {
                    key: key.clone(),
                    state: slot.state.expect("a moved count exists"),
                    calculated_at: slot.calculated_at,
                }
            })
            .collect()
    }
}

/// Whether a physical count equals the existing count it sets (and so is not recorded).
fn is_unchanged_count(
    change: &NewChange,
    change_effects: &[(CountKey, Effect)],
    counts: &HashMap<CountKey, Slot>,
) -> bool {
    match (&change.movement, change_effects) {
        (ChangeMovement::PhysicalCount { .. }, [(key, Effect::Set(quantity))]) => {
            counts[key].state.is_some_and(|s| s.quantity == *quantity)
        }
        _ => false,
    }
}

/// The physical counts of a batch's changes, with the earliest occurred_at at which one
/// sets each count: the store prefetches the stored deltas at or after it.
pub fn earliest_sets<'a>(
    changes: impl IntoIterator<Item = &'a NewChange>,
) -> HashMap<CountKey, i64> {
    let mut earliest: HashMap<CountKey, i64> = HashMap::new();
    for change in changes {
        for (key, effect) in effects(change) {
            if let Effect::Set(_) = effect {
                let at = earliest.entry(key).or_insert(change.occurred_at);
                *at = (*at).min(change.occurred_at);
            }
        }
    }
    earliest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::{ChangeReferences, InventoryState, fold_count};

    const NOW: i64 = 1_800_000_000_000_000;
    const MINUTE: i64 = 60_000_000;

    fn q(text: &str) -> Fixed5 {
        Fixed5::parse(text).unwrap()
    }

    fn key(state: InventoryState) -> CountKey {
        CountKey {
            catalog_object_id: "I".into(),
            location_id: "L".into(),
            state,
        }
    }

    fn change(movement: ChangeMovement, quantity: &str, at: i64) -> NewChange {
        NewChange {
            movement,
            catalog_object_id: "I".into(),
            quantity: q(quantity),
            occurred_at: at,
            total_price: None,
            cost: None,
            reason: None,
            references: ChangeReferences::default(),
        }
    }

    fn adjust(from: InventoryState, to: InventoryState, quantity: &str, at: i64) -> NewChange {
        let movement = ChangeMovement::Adjustment {
            from_state: from,
            to_state: to,
            location_id: "L".into(),
        };
        change(movement, quantity, at)
    }

    fn count(quantity: &str, at: i64) -> NewChange {
        let movement = ChangeMovement::PhysicalCount {
            state: InventoryState::InStock,
            location_id: "L".into(),
        };
        change(movement, quantity, at)
    }

    /// A planner over IN_STOCK and WASTE at (I, L), with the given stored state of IN_STOCK.
    fn planner(in_stock: Option<CountState>, stored: Vec<StoredDelta>) -> Planner {
        let fact = |state, s| CountFact {
            key: key(state),
            state: s,
            calculated_at: 7,
        };
        Planner::new(
            vec![
                fact(InventoryState::InStock, in_stock),
                fact(InventoryState::Waste, None),
            ],
            stored,
        )
    }

    fn sequences(from: i64) -> impl FnMut() -> i64 {
        let mut next = from;
        move || {
            next += 1;
            next
        }
    }

    fn input(changes: &[NewChange]) -> BatchInput<'_> {
        // Leaked: a test's few changes, listed with their positions as the planner takes them.
        let positioned: Vec<(usize, &NewChange)> = changes.iter().enumerate().collect();
        BatchInput {
            changes: Box::leak(positioned.into_boxed_slice()),
            ignore_unchanged_counts: true,
            now: NOW,
            created_at: &[],
        }
    }

    use InventoryState::{InStock, None as NoState, Sold, Waste};

    #[test]
    fn the_seed_day_in_one_batch() {
        let mut planner = planner(None, vec![]);
        let day = [
            adjust(NoState, InStock, "100", NOW),
            adjust(InStock, Sold, "3", NOW),
            adjust(InStock, Sold, "1", NOW),
            adjust(InStock, Waste, "2", NOW),
        ];
        let plan = planner.plan_batch(input(&day), &mut sequences(10)).unwrap();
        let seqs: Vec<i64> = plan.recorded.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [11, 12, 13, 14]);
        let counts: Vec<(InventoryState, Fixed5)> = plan
            .counts
            .iter()
            .map(|c| (c.key.state, c.state.quantity))
            .collect();
        assert_eq!(counts, [(InStock, q("94")), (Waste, q("2"))]);
        let updates: Vec<(usize, i32, Option<Fixed5>, Fixed5)> = plan
            .updates
            .iter()
            .map(|u| (u.change, u.ordinal, u.previous, u.quantity))
            .collect();
        assert_eq!(
            updates,
            [
                (0, 0, None, q("100")),
                (1, 0, Some(q("100")), q("97")),
                (2, 0, Some(q("97")), q("96")),
                (3, 0, Some(q("96")), q("94")),
                (3, 1, None, q("2")),
            ]
        );
        assert_eq!(
            plan.entries.len(),
            5,
            "the move to WASTE touches two counts"
        );

        let close = [count("93", NOW + 1)];
        let plan = planner
            .plan_batch(input(&close), &mut sequences(14))
            .unwrap();
        assert_eq!(plan.counts[0].state.quantity, q("93"));
        assert_eq!(plan.counts[0].state.anchor, Some((NOW + 1, 15)));
        let moved: Vec<(InventoryState, Fixed5)> = planner
            .moved_counts()
            .iter()
            .map(|c| (c.key.state, c.state.quantity))
            .collect();
        assert_eq!(moved, [(InStock, q("93")), (Waste, q("2"))]);
    }

    #[test]
    fn unchanged_counts_are_skipped_unless_asked_to_record_them() {
        let stored = CountState {
            quantity: q("5"),
            anchor: None,
        };
        let same = [count("5", NOW)];
        let mut p = planner(Some(stored), vec![]);
        let plan = p.plan_batch(input(&same), &mut sequences(0)).unwrap();
        assert!(plan.recorded.is_empty() && plan.updates.is_empty());
        assert_eq!(plan.counts[0].state.quantity, q("5"));
        assert_eq!(
            plan.counts[0].calculated_at, 7,
            "an untouched count keeps its time"
        );
        assert!(p.moved_counts().is_empty());

        let recorded = BatchInput {
            ignore_unchanged_counts: false,
            ..input(&same)
        };
        let plan = p.plan_batch(recorded, &mut sequences(0)).unwrap();
        assert_eq!(plan.recorded.len(), 1);
        assert_eq!(plan.counts[0].calculated_at, NOW);

        let mut fresh = planner(None, vec![]);
        let zero = [count("0", NOW)];
        let plan = fresh.plan_batch(input(&zero), &mut sequences(0)).unwrap();
        assert_eq!(
            plan.recorded.len(),
            1,
            "a first count of 0 creates the count"
        );
    }

    #[test]
    fn late_changes_follow_the_physical_count_order() {
        // Square's timeline: 100 at 13:00, sale of 3 at 13:10, count 95 at 13:30, a sale of
        // 2 at 13:20 arriving late, waste 2 at 13:40.
        let t = |minute: i64| NOW - 60 * MINUTE + minute * MINUTE;
        let mut p = planner(None, vec![]);
        let mut seq = sequences(0);
        let rows = [
            (adjust(NoState, InStock, "100", t(0)), "100"),
            (adjust(InStock, Sold, "3", t(10)), "97"),
            (count("95", t(30)), "95"),
            (adjust(InStock, Sold, "2", t(20)), "95"),
            (adjust(InStock, Waste, "2", t(40)), "93"),
        ];
        for (change, expected) in rows {
            let plan = p.plan_batch(input(&[change]), &mut seq).unwrap();
            assert_eq!(plan.counts[0].state.quantity, q(expected));
        }
    }

    #[test]
    fn a_late_physical_count_replays_stored_and_grouped_deltas_after_it() {
        let stored = CountState {
            quantity: q("10"),
            anchor: None,
        };
        let later_stored = StoredDelta {
            key: key(InStock),
            position: (NOW - MINUTE, 3),
            delta: q("-4"),
        };
        let earlier_stored = StoredDelta {
            key: key(InStock),
            position: (NOW - 20 * MINUTE, 2),
            delta: q("-1"),
        };
        let mut p = planner(Some(stored), vec![later_stored, earlier_stored]);
        let mut seq = sequences(100);
        // A sale planned earlier in the same group, after the late count.
        let sale = [adjust(InStock, Sold, "1", NOW)];
        p.plan_batch(input(&sale), &mut seq).unwrap();
        let late = [count("50", NOW - 10 * MINUTE)];
        let plan = p.plan_batch(input(&late), &mut seq).unwrap();
        assert_eq!(plan.counts[0].state.quantity, q("45"), "50 - 4 - 1");
    }

    #[test]
    fn a_refused_batch_leaves_the_planner_unchanged() {
        let near_limit = CountState {
            quantity: Fixed5::from_units(
                crate::domain::ledger::MAX_COUNT_MAGNITUDE.units() - q("1").units(),
            ),
            anchor: None,
        };
        let mut p = planner(Some(near_limit), vec![]);
        let too_much = [
            adjust(NoState, InStock, "1", NOW),
            adjust(NoState, Waste, "1", NOW),
            adjust(NoState, InStock, "1", NOW),
        ];
        let err = p.plan_batch(input(&too_much), &mut sequences(0));
        assert_eq!(err, Err(CountOutOfRange { change_index: 2 }));
        assert!(p.moved_counts().is_empty());
        let fine = [adjust(NoState, InStock, "1", NOW)];
        let plan = p.plan_batch(input(&fine), &mut sequences(10)).unwrap();
        assert_eq!(
            plan.counts[0].state.quantity,
            crate::domain::ledger::MAX_COUNT_MAGNITUDE
        );
        assert_eq!(plan.updates[0].previous, Some(near_limit.quantity));
    }

    /// A tiny deterministic generator (xorshift), so the test needs no dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    #[test]
    fn planned_counts_equal_the_reference_fold_of_their_history() {
        for seed in 1..=40u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut p = planner(None, vec![]);
            let mut seq = sequences(0);
            let mut history: Vec<(Position, Effect)> = Vec::new();
            for _ in 0..30 {
                let size = 1 + rng.below(4) as usize;
                let batch: Vec<NewChange> = (0..size)
                    .map(|_| {
                        let at = NOW - rng.below(120) as i64 * MINUTE;
                        let quantity = (1 + rng.below(20)).to_string();
                        match rng.below(4) {
                            0 => count(&quantity, at),
                            1 => adjust(InStock, Sold, &quantity, at),
                            _ => adjust(NoState, InStock, &quantity, at),
                        }
                    })
                    .collect();
                let plan = p.plan_batch(input(&batch), &mut seq).unwrap();
                for entry in plan.entries.iter().filter(|e| e.key.state == InStock) {
                    let recorded = plan.recorded[entry.change];
                    let at = batch[recorded.index].occurred_at;
                    history.push(((at, recorded.seq), entry.effect));
                }
                let planned = plan.counts.iter().find(|c| c.key.state == InStock);
                assert_eq!(
                    planned.map(|c| c.state.quantity),
                    fold_count(history.clone()),
                    "seed {seed}"
                );
            }
        }
    }
}
