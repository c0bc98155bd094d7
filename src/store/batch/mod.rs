//! Applying a group of batches in one transaction: the store's half of the write path
//! (docs/architecture.md). Every decision is the domain's (`domain::decide`); this module
//! reads the facts each step asks for and writes what it decided — a constant number of
//! set-based statements per group, whatever its size.
//!
//! Locks are taken in one global order so that groups on different replicas never
//! deadlock: the reservations the group's steps name, sorted by id, then the counts of the
//! whole group sorted by (merchant, item, location, state), then
//! the merchants' feed rows sorted by merchant, then (covered by the feed row) the
//! merchants' idempotency keys. On SQLite the IMMEDIATE transaction is the lock.

mod checkpoints;
mod facts;
pub(super) mod rows;
pub(super) mod sql;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Deref;

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, RuntimeErr, Statement,
};
use tracing::Instrument;

use self::facts::{
    group_key_values, lock_counts, read_group_facts, reorder_points, reserve_seqs,
    stored_deltas_after,
};
use self::rows::GroupRows;
use self::sql::{run_values, tuples};
use super::ledger::{CountRecord, FEED_CHANNEL, RecordedChange};
use super::{Store, StoreError};
use crate::domain::decide::{
    self, CountFacts, Decided, GroupKey, GroupPlan, PlannedBatch, Submission,
};
use crate::domain::ledger::CountKey;
use crate::domain::plan::PlannedCount;

/// Builds a batch's response once it is decided: the bytes kept for replays, and what the
/// caller gets back.
pub type Encoder<T> = dyn Fn(&[RecordedChange], &[CountRecord]) -> (Vec<u8>, T) + Send + Sync;

impl Store {
    /// Applies the batches of `group` in one transaction, each atomically and on its own:
    /// a refused batch (unknown item, count out of range, reused key) does not fail the
    /// others. Returns the ledger's answer to each batch, in order. `Err` means the
    /// transaction failed as a whole; [`StoreError::is_transient`] tells whether trying
    /// again may succeed.
    #[tracing::instrument(level = "debug", name = "db.transaction", skip_all)]
    pub async fn apply_group<T>(
        &self,
        group: &[Submission],
        encode: &Encoder<T>,
    ) -> Result<Vec<Decided<T>>, StoreError> {
        let tx = self.begin_write().await?;
        let answers = apply_group_in(&tx, group, encode).await?;
        tx.commit()
            .instrument(tracing::debug_span!("db.commit"))
            .await?;
        Ok(answers)
    }
}

/// [`Store::apply_group`]'s work inside `tx`, which the caller commits (the write path) or
/// rolls back (an import's rehearsal, [`super::rehearsal`]).
pub(super) async fn apply_group_in<T>(
    tx: &DatabaseTransaction,
    group: &[Submission],
    encode: &Encoder<T>,
) -> Result<Vec<Decided<T>>, StoreError> {
    let facts = read_group_facts(tx, &decide::wanted(group)).await?;
    let screening = decide::screen(group, facts);
    let to_lock = screening.counts_to_lock();
    let locked = lock_counts(tx, &to_lock).await?;
    let seqs = reserve_seqs(tx, screening.changes_to_plan()).await?;
    let stored_deltas = stored_deltas_after(tx, &screening.earliest_sets()).await?;
    let reorder_points = reorder_points(tx, &decide::reorder_points_wanted(&to_lock)).await?;
    let counts = CountFacts {
        counts: locked.facts,
        stored_deltas,
        reorder_points,
    };
    let plan = screening.plan(counts, seqs);
    let recording = recorded_per_merchant(&plan);
    let feed_firsts = claim_feed_sequences(tx, &recording).await?;
    let orphans = unmoved(&locked.created, &plan.moved);
    let new_entries = checkpoints::new_entries(&plan);
    let (rows, answers) = GroupRows::record(plan, feed_firsts, encode);
    rows.write(tx).await?;
    checkpoints::maintain(tx, new_entries).await?;
    delete_counts(tx, &orphans).await?;
    announce(tx, recording.keys()).await?;
    Ok(answers)
}

impl StoreError {
    /// Whether the operation met a concurrent one and may succeed if tried again: a lost
    /// race for a new row, a deadlock or a serialization failure.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Contention => true,
            StoreError::Db(DbErr::Exec(RuntimeErr::SqlxError(e)))
            | StoreError::Db(DbErr::Query(RuntimeErr::SqlxError(e))) => {
                matches!(
                    e.deref(),
                    sea_orm::sqlx::Error::Database(d)
                        if matches!(d.code().as_deref(), Some("40001" | "40P01"))
                )
            }
            _ => false,
        }
    }
}

/// Hands out, for each merchant whose planned batches record changes, as many consecutive
/// feed sequences as they record: merchant → the first. Each merchant's row stays locked
/// until commit, so sequences are gap-free and ordered as commits are, however many
/// replicas write; merchants are claimed in lock order.
#[tracing::instrument(level = "debug", name = "db.claim_feed_sequences", skip_all)]
async fn claim_feed_sequences<'g>(
    tx: &DatabaseTransaction,
    recording: &BTreeMap<&'g str, usize>,
) -> Result<HashMap<&'g str, i64>, StoreError> {
    let backend = tx.get_database_backend();
    let sql = format!(
        "INSERT INTO merchant_feeds (merchant_id, last_seq) VALUES {} \
         ON CONFLICT (merchant_id) DO UPDATE SET last_seq = merchant_feeds.last_seq + excluded.last_seq \
         RETURNING last_seq",
        tuples(backend, 1, 2)
    );
    let mut firsts = HashMap::new();
    for (&merchant, &n) in recording {
        let row = tx
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql.clone(),
                [merchant.into(), (n as i64).into()],
            ))
            .await?
            .ok_or_else(|| StoreError::Corrupt("feed head not returned".into()))?;
        let last: i64 = row.try_get_by_index(0)?;
        firsts.insert(merchant, last - n as i64 + 1);
    }
    Ok(firsts)
}

/// How many changes each merchant's planned batches record (merchants recording none left
/// out), in merchant order.
fn recorded_per_merchant<'g>(plan: &GroupPlan<'g>) -> BTreeMap<&'g str, usize> {
    let mut recorded = BTreeMap::new();
    for (batch, planned) in plan.group.iter().zip(&plan.batches) {
        if let PlannedBatch::Planned(p) = planned
            && !p.recorded.is_empty()
        {
            *recorded.entry(batch.merchant.0.as_str()).or_default() += p.recorded.len();
        }
    }
    recorded
}

/// On PostgreSQL, tells every replica's feed listeners (at commit) which merchants' feeds
/// moved.
#[tracing::instrument(level = "debug", name = "db.announce", skip_all)]
async fn announce<'a>(
    tx: &DatabaseTransaction,
    merchants: impl Iterator<Item = &'a &'a str>,
) -> Result<(), StoreError> {
    let backend = tx.get_database_backend();
    if backend != DatabaseBackend::Postgres {
        return Ok(());
    }
    for &merchant in merchants {
        tx.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_notify($1, $2)",
            [FEED_CHANNEL.into(), merchant.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The count rows created only to be locked that no planned batch moved (their batches were
/// refused): they are deleted again.
fn unmoved<'a>(
    created: &'a BTreeSet<GroupKey>,
    moved: &[(String, PlannedCount)],
) -> Vec<&'a GroupKey> {
    if created.is_empty() {
        return Vec::new();
    }
    let moved: BTreeSet<(&str, &CountKey)> =
        moved.iter().map(|(m, c)| (m.as_str(), &c.key)).collect();
    created
        .iter()
        .filter(|(merchant, key)| !moved.contains(&(merchant.as_str(), key)))
        .collect()
}

/// Deletes count rows (those created only to be locked for a batch that was refused).
#[tracing::instrument(level = "debug", name = "db.delete_counts", skip_all)]
async fn delete_counts(tx: &DatabaseTransaction, keys: &[&GroupKey]) -> Result<(), StoreError> {
    let rows = keys.iter().map(|key| group_key_values(key)).collect();
    run_values(
        tx,
        "DELETE FROM inventory_counts \
         WHERE (merchant_id, catalog_object_id, location_id, state) IN (",
        ")",
        4,
        rows,
        false,
    )
    .await?;
    Ok(())
}
