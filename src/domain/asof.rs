//! Counts as of a moment (docs/ledger.md, "Counts as of a moment"), as pure functions:
//! what a count was at an instant, where its fold may start (checkpoints), where the write
//! path puts new checkpoints and how a change recorded late revises the checkpoints after
//! it.
//!
//! A count as of `T` is the fold of its entries positioned at or before `(T, ∞)` — the
//! latest physical count (Set) there plus every delta after it, as [`fold_count`] of the
//! entries with `occurred_at ≤ T`. A **checkpoint** of a count is a position of one of its
//! entries with the fold up to and including it (and the Set that fold starts from, its
//! *base*). So a fold as of `T` may start from the latest of {Set, checkpoint} at or before
//! `T` and add only the deltas between it and `T`. The write path puts a checkpoint at
//! every [`CHECKPOINT_EVERY`]-th entry a count records, which bounds the deltas read.
//!
//! [`fold_count`]: super::ledger::fold_count

use super::decimal::Fixed5;
use super::error::Violation;
use super::ledger::{Effect, INVALID_TIME, Position, fold_count};

/// Entries a count records between two of its checkpoints (in recording order).
pub const CHECKPOINT_EVERY: u64 = 512;

/// The last position at or before the instant `at` (µs): every entry with
/// `occurred_at ≤ at`, whatever its sequence.
pub fn position_at(at: i64) -> Position {
    (at, i64::MAX)
}

/// Checks an `as_of` already read as µs: no later than `now` (a count at a moment that has
/// not come yet is not known), refused as INVALID_TIME naming `field`.
pub fn check_as_of(field: &str, as_of: i64, now: i64) -> Result<i64, Violation> {
    if as_of > now {
        return Err(Violation::new(
            field,
            INVALID_TIME,
            "must not be in the future: counts are known up to now (leave as_of unset for current counts)",
        ));
    }
    Ok(as_of)
}

/// The reference definition of a count as of `at` (µs): [`fold_count`] of the entries with
/// `occurred_at ≤ at`. `None` when no entry is that old: the count did not exist yet.
pub fn fold_as_of(history: &[(Position, Effect)], at: i64) -> Option<Fixed5> {
    let limit = position_at(at);
    fold_count(
        history
            .iter()
            .filter(|(position, _)| *position <= limit)
            .copied()
            .collect(),
    )
}

/// A known fold of a count: the quantity up to and including `position`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// Where the fold ends.
    pub position: Position,
    /// Its quantity.
    pub quantity: Fixed5,
}

/// Where a fold as of some position starts: the later of the latest Set and the latest
/// checkpoint at or before it (at the same position, either: they agree). `None`: from the
/// first entry, at zero.
pub fn start_of(set: Option<Anchor>, checkpoint: Option<Anchor>) -> Option<Anchor> {
    match (set, checkpoint) {
        (Some(s), Some(c)) => Some(if s.position > c.position { s } else { c }),
        (s, c) => s.or(c),
    }
}

/// A count as of a position, from its start and the deltas after the start up to the
/// position (their sum and how many there are). `None` when there is neither: no entry is
/// that old. `None` too if the sum leaves the 64-bit range, which no stored history reaches.
pub fn quantity_from(start: Option<Anchor>, delta_sum: Fixed5, deltas: u64) -> Option<Fixed5> {
    match start {
        Some(start) => start.quantity.checked_add(delta_sum),
        None if deltas > 0 => Some(delta_sum),
        None => None,
    }
}

/// A stored checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The entry it sits on.
    pub position: Position,
    /// The fold up to and including that entry.
    pub quantity: Fixed5,
    /// Position of the latest Set at or before it; `None`: the fold starts from zero.
    pub base: Option<Position>,
}

/// Where the write path puts new checkpoints of one count: `recorded` entries were
/// recorded for it before (its running total), `new` are the positions of the entries it
/// records now. Every [`CHECKPOINT_EVERY`]-th entry in recording order gets one; the group's
/// new entries are taken in position order, so an import of old changes spreads its
/// checkpoints through the history it adds. Returns the positions, in order.
pub fn due_checkpoints(recorded: u64, new: &[Position]) -> Vec<Position> {
    let mut sorted = new.to_vec();
    sorted.sort_unstable();
    sorted
        .into_iter()
        .enumerate()
        .filter(|(i, _)| (recorded + *i as u64 + 1).is_multiple_of(CHECKPOINT_EVERY))
        .map(|(_, position)| position)
        .collect()
}

/// The ranges (after, up to and including) of entries the revision of a count's
/// checkpoints needs deltas of: for each new Set with a checkpoint after it that it
/// supersedes the base of, from the Set to the first such checkpoint. `old` sorted by
/// position.
pub fn ranges_to_read(old: &[Checkpoint], new: &[(Position, Effect)]) -> Vec<(Position, Position)> {
    new.iter()
        .filter(|(_, effect)| matches!(effect, Effect::Set(_)))
        .filter_map(|(set, _)| {
            let first_after = old.iter().find(|c| c.position > *set)?;
            supersedes(first_after, *set).then_some((*set, first_after.position))
        })
        .collect()
}

/// Whether a new Set at `set` is the latest Set of `checkpoint`'s fold now.
fn supersedes(checkpoint: &Checkpoint, set: Position) -> bool {
    set < checkpoint.position && checkpoint.base.is_none_or(|base| base < set)
}

/// Revises a count's checkpoints for the entries it records now (`new`, any order), each
/// checkpoint to the fold up to it of the history with those entries. `old` are the stored
/// checkpoints positioned after the earliest new entry, sorted by position (earlier ones
/// cannot change); `deltas` are the count's stored deltas — the new ones included — in the
/// ranges [`ranges_to_read`] named (others are ignored). Returns the checkpoints that
/// changed, revised. `None` if a sum leaves the 64-bit range.
///
/// A checkpoint whose base stays its latest Set moves by the new deltas after that base. One
/// that a new Set now bases is that Set plus every delta between them: the previous
/// checkpoint (revised) plus the old difference between the two when the Set lies before
/// the previous checkpoint, else the Set plus the deltas read.
pub fn revise(
    old: &[Checkpoint],
    new: &[(Position, Effect)],
    deltas: &[(Position, Fixed5)],
) -> Option<Vec<Checkpoint>> {
    let sum_between =
        |entries: &mut dyn Iterator<Item = (Position, Fixed5)>, after: Position, to: Position| {
            entries
                .filter(|(p, _)| *p > after && *p <= to)
                .try_fold(Fixed5::ZERO, |sum, (_, d)| sum.checked_add(d))
        };
    let new_deltas = || {
        new.iter().filter_map(|(p, e)| match e {
            Effect::Delta(d) => Some((*p, *d)),
            Effect::Set(_) => None,
        })
    };
    let mut changed = Vec::new();
    let mut previous: Option<(Checkpoint, Checkpoint)> = None; // (old, revised)
    for checkpoint in old {
        let latest_new_set = new
            .iter()
            .filter_map(|(p, e)| match e {
                Effect::Set(q) if supersedes(checkpoint, *p) => Some((*p, *q)),
                _ => None,
            })
            .max_by_key(|(p, _)| *p);
        let revised = match latest_new_set {
            None => {
                let after = checkpoint.base.unwrap_or((i64::MIN, i64::MIN));
                let moved = sum_between(&mut new_deltas(), after, checkpoint.position)?;
                Checkpoint {
                    quantity: checkpoint.quantity.checked_add(moved)?,
                    ..*checkpoint
                }
            }
            Some((set, quantity)) => {
                let quantity = match previous {
                    Some((old_previous, revised_previous)) if old_previous.position >= set => {
                        let old_difference = checkpoint
                            .quantity
                            .checked_add(old_previous.quantity.checked_neg()?)?;
                        let moved = sum_between(
                            &mut new_deltas(),
                            old_previous.position,
                            checkpoint.position,
                        )?;
                        revised_previous
                            .quantity
                            .checked_add(old_difference)?
                            .checked_add(moved)?
                    }
                    _ => quantity.checked_add(sum_between(
                        &mut deltas.iter().copied(),
                        set,
                        checkpoint.position,
                    )?)?,
                };
                Checkpoint {
                    position: checkpoint.position,
                    quantity,
                    base: Some(set),
                }
            }
        };
        if revised != *checkpoint {
            changed.push(revised);
        }
        previous = Some((*checkpoint, revised));
    }
    Some(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(units: i64) -> Fixed5 {
        Fixed5::from_units(units)
    }

    fn d(at: i64, seq: i64, units: i64) -> (Position, Effect) {
        ((at, seq), Effect::Delta(q(units)))
    }

    fn s(at: i64, seq: i64, units: i64) -> (Position, Effect) {
        ((at, seq), Effect::Set(q(units)))
    }

    /// The checkpoint the reference fold puts at `position` of `history`.
    fn reference_checkpoint(history: &[(Position, Effect)], position: Position) -> Checkpoint {
        let upto: Vec<_> = history
            .iter()
            .filter(|(p, _)| *p <= position)
            .copied()
            .collect();
        Checkpoint {
            position,
            quantity: fold_count(upto.clone()).unwrap(),
            base: upto
                .iter()
                .filter(|(_, e)| matches!(e, Effect::Set(_)))
                .map(|(p, _)| *p)
                .max(),
        }
    }

    #[test]
    fn as_of_folds_what_occurred_by_then() {
        let history = [d(10, 1, 5), s(20, 2, 100), d(30, 3, -3), d(15, 4, 7)];
        let table: [(i64, Option<i64>); 6] = [
            (9, None),      // nothing had happened
            (10, Some(5)),  // the first delta
            (15, Some(12)), // the late delta, placed where it happened
            (19, Some(12)),
            (20, Some(100)), // the physical count
            (99, Some(97)),
        ];
        for (at, expected) in table {
            assert_eq!(fold_as_of(&history, at), expected.map(q), "as of {at}");
        }
    }

    #[test]
    fn starts_from_the_later_anchor() {
        let set = Anchor {
            position: (5, 1),
            quantity: q(10),
        };
        let checkpoint = Anchor {
            position: (7, 3),
            quantity: q(4),
        };
        assert_eq!(start_of(Some(set), Some(checkpoint)), Some(checkpoint));
        assert_eq!(start_of(Some(set), None), Some(set));
        assert_eq!(start_of(None, Some(checkpoint)), Some(checkpoint));
        assert_eq!(start_of(None, None), None);
        let later_set = Anchor {
            position: (9, 1),
            ..set
        };
        assert_eq!(start_of(Some(later_set), Some(checkpoint)), Some(later_set));
    }

    #[test]
    fn quantity_from_a_start_and_deltas() {
        let start = Anchor {
            position: (1, 1),
            quantity: q(10),
        };
        assert_eq!(quantity_from(Some(start), q(-3), 2), Some(q(7)));
        assert_eq!(quantity_from(Some(start), q(0), 0), Some(q(10)));
        assert_eq!(quantity_from(None, q(5), 1), Some(q(5)));
        assert_eq!(quantity_from(None, q(0), 0), None, "no entry: absent");
    }

    #[test]
    fn as_of_refuses_the_future() {
        assert_eq!(check_as_of("as_of", 5, 5), Ok(5));
        assert_eq!(check_as_of("as_of", 4, 5), Ok(4));
        let refused = check_as_of("as_of", 6, 5).unwrap_err();
        assert_eq!(
            (refused.field.as_str(), refused.reason),
            ("as_of", INVALID_TIME)
        );
    }

    #[test]
    fn checkpoints_every_k_entries_in_position_order() {
        let k = CHECKPOINT_EVERY;
        assert_eq!(due_checkpoints(0, &[(1, 1)]), vec![]);
        assert_eq!(due_checkpoints(k - 1, &[(1, 1)]), vec![(1, 1)]);
        assert_eq!(due_checkpoints(k - 2, &[(9, 9), (1, 1)]), vec![(9, 9)]);
        let many: Vec<Position> = (0..2 * k as i64).rev().map(|i| (i, i)).collect();
        assert_eq!(
            due_checkpoints(1, &many),
            vec![
                (k as i64 - 2, k as i64 - 2),
                (2 * k as i64 - 2, 2 * k as i64 - 2)
            ]
        );
    }

    /// Table of histories: stored entries, checkpoints put on some of them, then new entries
    /// (late among them). The revision must give every checkpoint the reference fold.
    #[test]
    fn revision_matches_the_reference_fold() {
        type Case = (
            &'static str,
            Vec<(Position, Effect)>,
            Vec<Position>,
            Vec<(Position, Effect)>,
        );
        let cases: Vec<Case> = vec![
            (
                "a late delta moves the checkpoints after it",
                vec![d(10, 1, 5), d(20, 2, 5), d(30, 3, 5)],
                vec![(20, 2), (30, 3)],
                vec![d(15, 9, 2)],
            ),
            (
                "a late delta before a Set moves nothing past the Set",
                vec![d(10, 1, 5), s(20, 2, 50), d(30, 3, 5)],
                vec![(10, 1), (30, 3)],
                vec![d(15, 9, 2)],
            ),
            (
                "a late delta on a checkpoint's base side",
                vec![s(10, 1, 5), d(20, 2, 5), d(30, 3, 5)],
                vec![(20, 2), (30, 3)],
                vec![d(5, 9, 2), d(25, 10, -1)],
            ),
            (
                "a late Set rebases every checkpoint up to the next Set",
                vec![
                    d(10, 1, 5),
                    d(20, 2, 5),
                    d(30, 3, 5),
                    s(40, 4, 1),
                    d(50, 5, 1),
                ],
                vec![(20, 2), (30, 3), (50, 5)],
                vec![s(15, 9, 100)],
            ),
            (
                "a late Set after a checkpoint, before the next",
                vec![d(10, 1, 5), d(20, 2, 5), d(30, 3, 5), d(40, 4, 5)],
                vec![(10, 1), (40, 4)],
                vec![s(25, 9, 100), d(35, 10, 1)],
            ),
            (
                "two late Sets and deltas around them",
                vec![
                    d(10, 1, 5),
                    d(20, 2, 5),
                    d(30, 3, 5),
                    d(40, 4, 5),
                    d(50, 5, 5),
                ],
                vec![(20, 2), (30, 3), (40, 4), (50, 5)],
                vec![
                    d(12, 9, 1),
                    s(15, 10, 7),
                    d(22, 11, 1),
                    s(35, 12, 9),
                    d(45, 13, 2),
                ],
            ),
            (
                "two late Sets before one checkpoint, the later one its base",
                vec![d(10, 1, 5), d(20, 3, 5)],
                vec![(20, 3)],
                vec![s(20, 2, 3), s(10, 9, 1)],
            ),
            (
                "a Set on a checkpoint's instant, later sequence, is after it",
                vec![d(10, 1, 5), d(20, 2, 5)],
                vec![(20, 2)],
                vec![s(20, 9, 3), s(10, 10, 1)],
            ),
            (
                "new entries after every checkpoint change nothing",
                vec![d(10, 1, 5), d(20, 2, 5)],
                vec![(10, 1), (20, 2)],
                vec![s(30, 9, 3), d(40, 10, 1)],
            ),
        ];
        for (name, stored, at, new) in cases {
            let old: Vec<Checkpoint> = at
                .iter()
                .map(|p| reference_checkpoint(&stored, *p))
                .collect();
            let earliest = new.iter().map(|(p, _)| *p).min().unwrap();
            let old_after: Vec<Checkpoint> = old
                .iter()
                .filter(|c| c.position > earliest)
                .copied()
                .collect();
            let all: Vec<(Position, Effect)> = stored.iter().chain(&new).copied().collect();
            // Ranges of one count may overlap: each delta once, as the store reads them.
            let deltas: Vec<(Position, Fixed5)> = ranges_to_read(&old_after, &new)
                .into_iter()
                .flat_map(|(after, to)| {
                    all.iter().filter_map(move |(p, e)| match e {
                        Effect::Delta(v) if *p > after && *p <= to => Some((*p, *v)),
                        _ => None,
                    })
                })
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .collect();
            let changed = revise(&old_after, &new, &deltas).unwrap();
            let revised: Vec<Checkpoint> = old
                .iter()
                .map(|c| {
                    changed
                        .iter()
                        .find(|r| r.position == c.position)
                        .copied()
                        .unwrap_or(*c)
                })
                .collect();
            let expected: Vec<Checkpoint> =
                at.iter().map(|p| reference_checkpoint(&all, *p)).collect();
            assert_eq!(revised, expected, "{name}");
            for c in &changed {
                assert!(old.iter().any(|o| o.position == c.position && o != c));
            }
        }
    }
}
