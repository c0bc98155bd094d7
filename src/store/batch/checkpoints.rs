//! The checkpoints of counts as of a moment (docs/ledger.md, "Counts as of a moment"),
//! kept in the group's transaction after its entries are written; every decision is
//! `domain::asof`'s. With a constant number of set-based statements per group, whatever
//! its size:
//!
//! 1. the stored checkpoints positioned after each moved count's earliest new entry — none
//!    for changes recorded in time order, so this is an index seek per count that finds
//!    nothing;
//! 2. only when a new physical count lands before a checkpoint: the deltas between it and
//!    that checkpoint;
//! 3. the revised checkpoints (changes recorded late move the ones after them), one upsert;
//! 4. the running number of entries each count recorded, one upsert that returns it;
//! 5. only when a count's running number crosses a multiple of
//!    [`CHECKPOINT_EVERY`](crate::domain::asof::CHECKPOINT_EVERY): the fold at each new
//!    checkpoint's entry (`store::asof::fold_at`, two statements) and one insert.

use std::collections::BTreeMap;

use sea_orm::DatabaseTransaction;
use sea_orm::sea_query::Value;

use super::facts::group_key_values;
use super::sql::run_values;
use crate::domain::asof::{Checkpoint, due_checkpoints, ranges_to_read, revise};
use crate::domain::decide::{GroupKey, GroupPlan, PlannedBatch};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::{CountKey, Effect, Position};
use crate::store::StoreError;
use crate::store::asof::fold_at;
use crate::store::ledger::parse_state;

/// The entries a group records, per count: position and effect.
pub(super) type NewEntries = BTreeMap<GroupKey, Vec<(Position, Effect)>>;

/// The entries the planned batches of `plan` record, per count.
pub(super) fn new_entries(plan: &GroupPlan<'_>) -> NewEntries {
    let mut entries = NewEntries::new();
    for (batch, planned) in plan.group.iter().zip(&plan.batches) {
        let PlannedBatch::Planned(batch_plan) = planned else {
            continue;
        };
        for entry in &batch_plan.entries {
            let recorded = &batch_plan.recorded[entry.change];
            let occurred_at = batch.request.changes[recorded.index].occurred_at;
            entries
                .entry((batch.merchant.0.clone(), entry.key.clone()))
                .or_default()
                .push(((occurred_at, recorded.seq), entry.effect));
        }
    }
    entries
}

/// Keeps the checkpoints of the counts `entries` moved (already written in `tx`) equal to
/// the fold of their history, and adds the ones now due.
#[tracing::instrument(level = "debug", name = "db.maintain_checkpoints", skip_all)]
pub(super) async fn maintain(
    tx: &DatabaseTransaction,
    entries: NewEntries,
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let old = checkpoints_after_earliest(tx, &entries).await?;
    let ranges: Vec<(GroupKey, Position, Position)> = old
        .iter()
        .flat_map(|(count, checkpoints)| {
            ranges_to_read(checkpoints, &entries[count])
                .into_iter()
                .map(move |(after, to)| (count.clone(), after, to))
        })
        .collect();
    let deltas = deltas_in(tx, ranges).await?;
    let mut revised = Vec::new();
    for (count, checkpoints) in &old {
        let deltas: Vec<(Position, Fixed5)> = deltas
            .get(count)
            .map(|d| d.iter().map(|(p, q)| (*p, *q)).collect())
            .unwrap_or_default();
        let changed = revise(checkpoints, &entries[count], &deltas).ok_or_else(|| {
            StoreError::Corrupt("a checkpoint of a count leaves the 64-bit range".into())
        })?;
        revised.extend(changed.into_iter().map(|c| (count.clone(), c)));
    }
    write_checkpoints(tx, &revised).await?;
    let totals = count_recorded(tx, &entries).await?;
    let mut due = Vec::new();
    for (count, total) in totals {
        let new = &entries[&count];
        let positions: Vec<Position> = new.iter().map(|(p, _)| *p).collect();
        let before = total.saturating_sub(positions.len() as u64);
        for position in due_checkpoints(before, &positions) {
            due.push((count.0.clone(), count.1.clone(), position));
        }
    }
    if due.is_empty() {
        return Ok(());
    }
    let folded = fold_at(tx, &due).await?;
    let mut added = Vec::with_capacity(due.len());
    for ((merchant, key, position), folded) in due.into_iter().zip(folded) {
        let quantity = folded
            .quantity
            .ok_or_else(|| StoreError::Corrupt("a new entry folds to nothing".into()))?;
        let checkpoint = Checkpoint {
            position,
            quantity,
            base: folded.base,
        };
        added.push(((merchant, key), checkpoint));
    }
    write_checkpoints(tx, &added).await
}

/// The stored checkpoints of each count positioned after its earliest new entry, sorted.
async fn checkpoints_after_earliest(
    tx: &DatabaseTransaction,
    entries: &NewEntries,
) -> Result<BTreeMap<GroupKey, Vec<Checkpoint>>, StoreError> {
    let rows = entries
        .iter()
        .map(|(count, new)| {
            let (at, seq) = new.iter().map(|(p, _)| *p).min().expect("a new entry");
            let mut values = group_key_values(count);
            values.extend([at.into(), seq.into()]);
            values
        })
        .collect();
    let (_, found) = run_values(
        tx,
        "WITH w (m, i, l, s, at, seq) AS (",
        ") SELECT x.merchant_id, x.catalog_object_id, x.location_id, x.state, \
         x.occurred_at, x.change_seq, x.quantity_units, x.base_occurred_at, x.base_seq \
         FROM w JOIN inventory_checkpoints x ON x.merchant_id = w.m \
         AND x.catalog_object_id = w.i AND x.location_id = w.l AND x.state = w.s \
         AND (x.occurred_at, x.change_seq) > (w.at, w.seq)",
        6,
        rows,
        true,
    )
    .await?;
    let mut old: BTreeMap<GroupKey, Vec<Checkpoint>> = BTreeMap::new();
    for row in found {
        let count = count_of(&row)?;
        old.entry(count)
            .or_default()
            .push(checkpoint_after_key(&row)?);
    }
    for checkpoints in old.values_mut() {
        checkpoints.sort_by_key(|c| c.position);
    }
    Ok(old)
}

/// The stored deltas of each count in the ranges (after, up to and including) given.
async fn deltas_in(
    tx: &DatabaseTransaction,
    ranges: Vec<(GroupKey, Position, Position)>,
) -> Result<BTreeMap<GroupKey, BTreeMap<Position, Fixed5>>, StoreError> {
    let mut deltas: BTreeMap<GroupKey, BTreeMap<Position, Fixed5>> = BTreeMap::new();
    if ranges.is_empty() {
        return Ok(deltas);
    }
    let rows = ranges
        .iter()
        .map(|(count, after, to)| {
            let mut values = group_key_values(count);
            values.extend([after.0.into(), after.1.into(), to.0.into(), to.1.into()]);
            values
        })
        .collect();
    let (_, found) = run_values(
        tx,
        "WITH w (m, i, l, s, fat, fseq, tat, tseq) AS (",
        ") SELECT x.merchant_id, x.catalog_object_id, x.location_id, x.state, \
         x.occurred_at, x.change_seq, x.quantity_units \
         FROM w JOIN inventory_entries x ON x.merchant_id = w.m \
         AND x.catalog_object_id = w.i AND x.location_id = w.l AND x.state = w.s \
         AND x.effect = 'DELTA' AND (x.occurred_at, x.change_seq) > (w.fat, w.fseq) \
         AND (x.occurred_at, x.change_seq) <= (w.tat, w.tseq)",
        8,
        rows,
        true,
    )
    .await?;
    for row in found {
        let count = count_of(&row)?;
        let position = (row.try_get_by_index(4)?, row.try_get_by_index(5)?);
        let units: i64 = row.try_get_by_index(6)?;
        // Two ranges of one count may overlap: each delta counts once.
        deltas
            .entry(count)
            .or_default()
            .insert(position, Fixed5::from_units(units));
    }
    Ok(deltas)
}

/// Writes checkpoints, new or revised, with one upsert.
async fn write_checkpoints(
    tx: &DatabaseTransaction,
    checkpoints: &[(GroupKey, Checkpoint)],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value>> = checkpoints
        .iter()
        .map(|(count, c)| {
            let mut values = group_key_values(count);
            values.extend([
                c.position.0.into(),
                c.position.1.into(),
                c.quantity.units().into(),
                c.base.map(|b| b.0).into(),
                c.base.map(|b| b.1).into(),
            ]);
            values
        })
        .collect();
    run_values(
        tx,
        "INSERT INTO inventory_checkpoints (merchant_id, catalog_object_id, location_id, \
         state, occurred_at, change_seq, quantity_units, base_occurred_at, base_seq)",
        "ON CONFLICT (merchant_id, catalog_object_id, location_id, state, occurred_at, \
         change_seq) DO UPDATE SET quantity_units = excluded.quantity_units, \
         base_occurred_at = excluded.base_occurred_at, base_seq = excluded.base_seq",
        9,
        rows,
        false,
    )
    .await?;
    Ok(())
}

/// Adds each count's new entries to its running number of recorded entries: count → the
/// number after.
async fn count_recorded(
    tx: &DatabaseTransaction,
    entries: &NewEntries,
) -> Result<Vec<(GroupKey, u64)>, StoreError> {
    let rows = entries
        .iter()
        .map(|(count, new)| {
            let mut values = group_key_values(count);
            values.push((new.len() as i64).into());
            values
        })
        .collect();
    let (_, found) = run_values(
        tx,
        "INSERT INTO inventory_checkpoint_runs (merchant_id, catalog_object_id, location_id, \
         state, recorded)",
        "ON CONFLICT (merchant_id, catalog_object_id, location_id, state) DO UPDATE SET \
         recorded = inventory_checkpoint_runs.recorded + excluded.recorded \
         RETURNING merchant_id, catalog_object_id, location_id, state, recorded",
        5,
        rows,
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| {
            let total: i64 = row.try_get_by_index(4)?;
            Ok((count_of(&row)?, total.max(0) as u64))
        })
        .collect()
}

/// The count a row names in its first four columns.
fn count_of(row: &sea_orm::QueryResult) -> Result<GroupKey, StoreError> {
    let state: String = row.try_get_by_index(3)?;
    let key = CountKey {
        catalog_object_id: row.try_get_by_index(1)?,
        location_id: row.try_get_by_index(2)?,
        state: parse_state(&state)?,
    };
    Ok((row.try_get_by_index(0)?, key))
}

/// A checkpoint in columns 4.. of a row (after the count's four).
fn checkpoint_after_key(row: &sea_orm::QueryResult) -> Result<Checkpoint, StoreError> {
    let at: i64 = row.try_get_by_index(4)?;
    let seq: i64 = row.try_get_by_index(5)?;
    let units: i64 = row.try_get_by_index(6)?;
    let base_at: Option<i64> = row.try_get_by_index(7)?;
    let base_seq: Option<i64> = row.try_get_by_index(8)?;
    Ok(Checkpoint {
        position: (at, seq),
        quantity: Fixed5::from_units(units),
        base: base_at.zip(base_seq),
    })
}
