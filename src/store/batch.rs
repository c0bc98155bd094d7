//! Applying a group of batches in one transaction: the store's half of the write path
//! (docs/architecture.md). Every decision is the domain's (`domain::decide`); this module
//! reads the facts each step asks for and writes what it decided — a constant number of
//! set-based statements per group, whatever its size.
//!
//! Locks are taken in one global order so that groups on different replicas never
//! deadlock: the counts of the whole group sorted by (merchant, item, location, state), then
//! the merchants' feed rows sorted by merchant, then (covered by the feed row) the
//! merchants' idempotency keys. On SQLite the IMMEDIATE transaction is the lock.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Deref;

use sea_orm::sea_query::Value;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryResult, QuerySelect, RuntimeErr, Statement,
};

use super::entity::{inventory_item, location};
use super::ledger::{CountRecord, DELTA, FEED_CHANNEL, RecordedChange, SET, parse_state};
use super::{Store, StoreError, new_id};
use crate::domain::decide::{
    self, BatchOutcome, CountFacts, Decided, GroupFacts, GroupKey, GroupPlan, PlannedBatch,
    ReferenceFacts, StoredKey, Submission, Wanted,
};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::{ChangeMovement, CountKey, CountState, Effect};
use crate::domain::location::LocationStatus;
use crate::domain::plan::{BatchPlan, CountFact, PlannedCount, StoredDelta};

/// Most bind values in one statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_BIND_VALUES: usize = 30_000;

/// Builds a batch's response once it is decided: the bytes kept for replays, and what the
/// caller gets back.
pub type Encoder<T> = dyn Fn(&[RecordedChange], &[CountRecord]) -> (Vec<u8>, T) + Send + Sync;

impl Store {
    /// Applies the batches of `group` in one transaction, each atomically and on its own:
    /// a refused batch (unknown item, count out of range, reused key) does not fail the
    /// others. Returns the ledger's answer to each batch, in order. `Err` means the
    /// transaction failed as a whole; [`StoreError::is_transient`] tells whether trying
    /// again may succeed.
    pub async fn apply_group<T>(
        &self,
        group: &[Submission],
        encode: &Encoder<T>,
    ) -> Result<Vec<Decided<T>>, StoreError> {
        let tx = self.begin_write().await?;
        let facts = read_group_facts(&tx, &decide::wanted(group)).await?;
        let screening = decide::screen(group, facts);
        let locked = lock_counts(&tx, &screening.counts_to_lock()).await?;
        let seqs = reserve_seqs(&tx, screening.changes_to_plan()).await?;
        let stored_deltas = stored_deltas_after(&tx, &screening.earliest_sets()).await?;
        let counts = CountFacts {
            counts: locked.facts,
            stored_deltas,
        };
        let plan = screening.plan(counts, seqs);
        let recording = recorded_per_merchant(&plan);
        let feed_firsts = claim_feed_sequences(&tx, &recording).await?;
        let orphans = unmoved(&locked.created, &plan.moved);
        let (rows, answers) = GroupRows::record(plan, feed_firsts, encode);
        rows.write(&tx).await?;
        delete_counts(&tx, &orphans).await?;
        announce(&tx, recording.keys()).await?;
        tx.commit().await?;
        Ok(answers)
    }
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

fn count_record(count: &PlannedCount) -> CountRecord {
    CountRecord {
        key: count.key.clone(),
        quantity: count.state.quantity,
        calculated_at: count.calculated_at,
    }
}

/// `$1, $2, …` on PostgreSQL, `?` on SQLite: `rows` parenthesised tuples of `width`.
fn tuples(backend: DatabaseBackend, rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 5);
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..width {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            match backend {
                DatabaseBackend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Runs `head VALUES (…),(…) tail` over `rows` in as few statements as the bind limit
/// allows, returning the rows each statement returned.
async fn run_values(
    tx: &DatabaseTransaction,
    head: &str,
    tail: &str,
    width: usize,
    rows: Vec<Vec<Value>>,
    returning: bool,
) -> Result<(u64, Vec<QueryResult>), StoreError> {
    let backend = tx.get_database_backend();
    let per_statement = (MAX_BIND_VALUES / width).max(1);
    let mut affected = 0;
    let mut returned = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let sql = format!(
            "{head} VALUES {} {tail}",
            tuples(backend, chunk.len(), width)
        );
        let statement = Statement::from_sql_and_values(backend, sql, chunk.into_iter().flatten());
        if returning {
            let result = tx.query_all_raw(statement).await?;
            affected += result.len() as u64;
            returned.extend(result);
        } else {
            affected += tx.execute_raw(statement).await?.rows_affected();
        }
    }
    Ok((affected, returned))
}

/// The facts `decide::screen` needs, read with one statement each (per bind limit).
async fn read_group_facts(
    tx: &DatabaseTransaction,
    wanted: &Wanted<'_>,
) -> Result<GroupFacts, StoreError> {
    Ok(GroupFacts {
        keys: stored_idempotency_keys(tx, &wanted.keys).await?,
        change_ids: stored_change_ids(tx, &wanted.change_ids).await?,
        references: reference_facts(tx, &wanted.items, &wanted.locations).await?,
    })
}

/// The stored idempotency keys among `keys`: (merchant, key) → stored.
async fn stored_idempotency_keys(
    tx: &DatabaseTransaction,
    keys: &BTreeSet<(&str, &str)>,
) -> Result<HashMap<(String, String), StoredKey>, StoreError> {
    let rows = keys
        .iter()
        .map(|(m, k)| vec![(*m).into(), (*k).into()])
        .collect();
    let (_, found) = run_values(
        tx,
        // A join with the list, not `IN (VALUES …)`: SQLite answers a multi-row IN list of
        // row values with a scan of the whole table.
        "WITH wanted (m, k) AS (",
        ") SELECT i.merchant_id, i.idempotency_key, i.request_digest, i.response \
         FROM wanted JOIN idempotency_keys i ON i.merchant_id = wanted.m \
         AND i.idempotency_key = wanted.k",
        2,
        rows,
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| {
            let merchant: String = row.try_get_by_index(0)?;
            let key: String = row.try_get_by_index(1)?;
            let request_digest: String = row.try_get_by_index(2)?;
            let response: Option<Vec<u8>> = row.try_get_by_index(3)?;
            let response = response
                .ok_or_else(|| StoreError::Corrupt("idempotency key without a response".into()))?;
            let stored = StoredKey {
                request_digest,
                response: unpack_response(response)?,
            };
            Ok(((merchant, key), stored))
        })
        .collect()
}

/// Which of `ids` are recorded changes: id → its merchant.
async fn stored_change_ids(
    tx: &DatabaseTransaction,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, String>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (_, found) = run_values(
        tx,
        "WITH wanted (id) AS (",
        ") SELECT c.id, c.merchant_id FROM wanted JOIN inventory_changes c ON c.id = wanted.id",
        1,
        ids.iter().map(|id| vec![(*id).into()]).collect(),
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// Which of the items and locations named exist, for which merchant, tracked and active:
/// merchant → facts.
async fn reference_facts(
    tx: &DatabaseTransaction,
    item_ids: &BTreeSet<&str>,
    location_ids: &BTreeSet<&str>,
) -> Result<HashMap<String, ReferenceFacts>, StoreError> {
    let mut facts: HashMap<String, ReferenceFacts> = HashMap::new();
    if item_ids.is_empty() {
        return Ok(facts);
    }
    let items: Vec<(String, String, bool)> = inventory_item::Entity::find()
        .select_only()
        .column(inventory_item::Column::MerchantId)
        .column(inventory_item::Column::Id)
        .column(inventory_item::Column::Tracked)
        .filter(inventory_item::Column::Id.is_in(item_ids.iter().copied()))
        .into_tuple()
        .all(tx)
        .await?;
    let locations: Vec<(String, String, String)> = location::Entity::find()
        .select_only()
        .column(location::Column::MerchantId)
        .column(location::Column::Id)
        .column(location::Column::Status)
        .filter(location::Column::Id.is_in(location_ids.iter().copied()))
        .into_tuple()
        .all(tx)
        .await?;
    for (merchant, id, tracked) in items {
        facts.entry(merchant).or_default().items.insert(id, tracked);
    }
    for (merchant, id, status) in locations {
        let active = LocationStatus::from_stored(&status) == Some(LocationStatus::Active);
        facts
            .entry(merchant)
            .or_default()
            .locations
            .insert(id, active);
    }
    Ok(facts)
}

/// The group's counts, read under lock.
struct LockedCounts {
    /// Every count of the group with its merchant; absent counts have no state.
    facts: Vec<(String, CountFact)>,
    /// Rows created only to be locked (PostgreSQL): deleted again unless a batch moved them.
    created: BTreeSet<GroupKey>,
}

/// Reads every count of the group under lock, in key order. PostgreSQL: one upsert creates
/// the missing rows (so that a concurrent first change of the same count waits) and locks
/// them all in the order given. SQLite: the IMMEDIATE transaction already excludes every
/// other writer, so a plain read suffices.
async fn lock_counts(
    tx: &DatabaseTransaction,
    keys: &BTreeSet<GroupKey>,
) -> Result<LockedCounts, StoreError> {
    let postgres = tx.get_database_backend() == DatabaseBackend::Postgres;
    const COLUMNS: &str = "merchant_id, catalog_object_id, location_id, state, quantity_units, \
                           calculated_at, anchor_occurred_at, anchor_seq";
    const COUNT_COLUMNS: &str = "c.merchant_id, c.catalog_object_id, c.location_id, c.state, \
                                 c.quantity_units, c.calculated_at, c.anchor_occurred_at, \
                                 c.anchor_seq";
    let (_, rows) = if postgres {
        // The ordinal keeps the rows, and so the locks, in the group's key order.
        let rows = keys
            .iter()
            .enumerate()
            .map(|(n, key)| {
                let mut values = group_key_values(key);
                values.push((n as i64).into());
                values
            })
            .collect();
        run_values(
            tx,
            "INSERT INTO inventory_counts (merchant_id, catalog_object_id, location_id, state, \
             quantity_units, calculated_at) SELECT m, i, l, s, 0, 0 FROM (",
            &format!(
                ") AS v(m, i, l, s, n) ORDER BY n \
                 ON CONFLICT (merchant_id, catalog_object_id, location_id, state) \
                 DO UPDATE SET quantity_units = inventory_counts.quantity_units \
                 RETURNING {COLUMNS}, (xmax = 0) AS created"
            ),
            5,
            rows,
            true,
        )
        .await?
    } else {
        run_values(
            tx,
            "WITH wanted (m, i, l, s) AS (",
            &format!(
                ") SELECT {COUNT_COLUMNS}, 0 AS created FROM wanted JOIN inventory_counts c \
                 ON c.merchant_id = wanted.m AND c.catalog_object_id = wanted.i \
                 AND c.location_id = wanted.l AND c.state = wanted.s"
            ),
            4,
            keys.iter().map(group_key_values).collect(),
            true,
        )
        .await?
    };
    let mut found: HashMap<GroupKey, (Option<CountState>, i64)> = HashMap::new();
    let mut created = BTreeSet::new();
    for row in rows {
        let merchant: String = row.try_get_by_index(0)?;
        let state_text: String = row.try_get_by_index(3)?;
        let key = CountKey {
            catalog_object_id: row.try_get_by_index(1)?,
            location_id: row.try_get_by_index(2)?,
            state: parse_state(&state_text)?,
        };
        let quantity: i64 = row.try_get_by_index(4)?;
        let calculated_at: i64 = row.try_get_by_index(5)?;
        let anchor_at: Option<i64> = row.try_get_by_index(6)?;
        let anchor_seq: Option<i64> = row.try_get_by_index(7)?;
        let is_new: bool = row.try_get_by_index(8)?;
        let state = (!is_new).then_some(CountState {
            quantity: Fixed5::from_units(quantity),
            anchor: anchor_at.zip(anchor_seq),
        });
        if is_new {
            created.insert((merchant.clone(), key.clone()));
        }
        found.insert((merchant, key), (state, calculated_at));
    }
    let facts = keys
        .iter()
        .map(|(merchant, key)| {
            let (state, calculated_at) = found
                .remove(&(merchant.clone(), key.clone()))
                .unwrap_or((None, 0));
            let fact = CountFact {
                key: key.clone(),
                state,
                calculated_at,
            };
            (merchant.clone(), fact)
        })
        .collect();
    Ok(LockedCounts { facts, created })
}

/// `n` new server sequences, increasing, above every stored change of the counts the
/// transaction has locked.
async fn reserve_seqs(tx: &DatabaseTransaction, n: usize) -> Result<Vec<i64>, StoreError> {
    let backend = tx.get_database_backend();
    if n == 0 {
        return Ok(Vec::new());
    }
    if backend == DatabaseBackend::Postgres {
        let rows = tx
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT nextval(pg_get_serial_sequence('inventory_changes', 'seq')) \
                 FROM generate_series(1, $1) ORDER BY 1",
                [(n as i64).into()],
            ))
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get_by_index::<i64>(0)?))
            .collect()
    } else {
        let row = tx
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COALESCE(MAX(seq), 0) FROM inventory_changes",
            ))
            .await?
            .ok_or_else(|| StoreError::Corrupt("no maximum sequence".into()))?;
        let last: i64 = row.try_get_by_index(0)?;
        Ok((1..=n as i64).map(|k| last + k).collect())
    }
}

/// The stored deltas of each count positioned at or after the given occurred_at (the
/// earliest physical count of the group on that count).
async fn stored_deltas_after(
    tx: &DatabaseTransaction,
    earliest: &BTreeMap<GroupKey, i64>,
) -> Result<Vec<(String, StoredDelta)>, StoreError> {
    let rows = earliest
        .iter()
        .map(|(key, at)| {
            let mut values = group_key_values(key);
            values.push((*at).into());
            values
        })
        .collect();
    let (_, found) = run_values(
        tx,
        "WITH wanted (m, i, l, s, at) AS (",
        ") SELECT e.merchant_id, e.catalog_object_id, e.location_id, e.state, e.occurred_at, \
         e.change_seq, e.quantity_units FROM wanted JOIN inventory_entries e \
         ON e.merchant_id = wanted.m AND e.catalog_object_id = wanted.i \
         AND e.location_id = wanted.l AND e.state = wanted.s AND e.occurred_at >= wanted.at \
         WHERE e.effect = 'DELTA'",
        5,
        rows,
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| {
            let merchant: String = row.try_get_by_index(0)?;
            let state_text: String = row.try_get_by_index(3)?;
            let delta = StoredDelta {
                key: CountKey {
                    catalog_object_id: row.try_get_by_index(1)?,
                    location_id: row.try_get_by_index(2)?,
                    state: parse_state(&state_text)?,
                },
                position: (row.try_get_by_index(4)?, row.try_get_by_index(5)?),
                delta: Fixed5::from_units(row.try_get_by_index(6)?),
            };
            Ok((merchant, delta))
        })
        .collect()
}

/// A count of the group as bind values: merchant, item, location, state.
fn group_key_values((merchant, key): &GroupKey) -> Vec<Value> {
    vec![
        merchant.clone().into(),
        key.catalog_object_id.clone().into(),
        key.location_id.clone().into(),
        key.state.as_str().into(),
    ]
}

/// Hands out, for each merchant whose planned batches record changes, as many consecutive
/// feed sequences as they record: merchant → the first. Each merchant's row stays locked
/// until commit, so sequences are gap-free and ordered as commits are, however many
/// replicas write; merchants are claimed in lock order.
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

/// The rows a group writes, gathered so that each table gets one statement (per bind limit).
#[derive(Default)]
struct GroupRows {
    changes: Vec<Vec<Value>>,
    entries: Vec<Vec<Value>>,
    updates: Vec<Vec<Value>>,
    counts: Vec<Vec<Value>>,
    keys: Vec<Vec<Value>>,
}

impl GroupRows {
    /// The rows of a decided group, and the answer to each batch: each planned batch's
    /// changes get their feed sequences (from `feed_firsts`) and ids, and its response is
    /// encoded once — kept with its idempotency key, returned to its caller.
    fn record<T>(
        plan: GroupPlan<'_>,
        mut feed_firsts: HashMap<&str, i64>,
        encode: &Encoder<T>,
    ) -> (GroupRows, Vec<Decided<T>>) {
        let mut rows = GroupRows::default();
        let mut answers = Vec::with_capacity(plan.batches.len());
        for (batch, planned) in plan.group.iter().zip(plan.batches) {
            let batch_plan = match planned {
                PlannedBatch::Decided(decided) => {
                    answers.push(decided.map(BatchOutcome::Replayed));
                    continue;
                }
                PlannedBatch::Planned(batch_plan) => batch_plan,
            };
            let feed_seq = feed_firsts.get_mut(batch.merchant.0.as_str());
            let recorded = recorded_changes(batch, &batch_plan, feed_seq);
            let counts: Vec<CountRecord> = batch_plan.counts.iter().map(count_record).collect();
            let (response, value) = encode(&recorded, &counts);
            rows.add_batch(batch, &batch_plan, &recorded, &response);
            answers.push(Ok(BatchOutcome::Applied(value)));
        }
        for (merchant, count) in &plan.moved {
            rows.counts.push(count_row(merchant, count));
        }
        (rows, answers)
    }

    fn add_batch(
        &mut self,
        batch: &Submission,
        plan: &BatchPlan,
        recorded: &[RecordedChange],
        response: &[u8],
    ) {
        let merchant = &batch.merchant.0;
        for r in recorded {
            self.changes.push(change_row(merchant, r));
        }
        for entry in &plan.entries {
            let change = &recorded[entry.change];
            let (kind, quantity) = match entry.effect {
                Effect::Delta(q) => (DELTA, q),
                Effect::Set(q) => (SET, q),
            };
            self.entries.push(vec![
                change.seq.into(),
                merchant.clone().into(),
                entry.key.catalog_object_id.clone().into(),
                entry.key.location_id.clone().into(),
                entry.key.state.as_str().into(),
                kind.into(),
                quantity.units().into(),
                change.change.occurred_at.into(),
            ]);
        }
        for update in &plan.updates {
            let change = &recorded[update.change];
            self.updates.push(vec![
                merchant.clone().into(),
                change.feed_seq.into(),
                update.ordinal.into(),
                update.key.catalog_object_id.clone().into(),
                update.key.location_id.clone().into(),
                update.key.state.as_str().into(),
                update.previous.map(Fixed5::units).into(),
                update.quantity.units().into(),
                change.created_at.into(),
                change.id.clone().into(),
                change.change.movement.change_type().as_str().into(),
            ]);
        }
        self.keys.push(vec![
            merchant.clone().into(),
            batch.request.idempotency_key.clone().into(),
            batch.request.request_digest.clone().into(),
            pack_response(response).into(),
            batch.request.now.into(),
        ]);
    }

    async fn write(self, tx: &DatabaseTransaction) -> Result<(), StoreError> {
        run_values(
            tx,
            "INSERT INTO inventory_changes (seq, feed_seq, id, merchant_id, change_type, \
             catalog_object_id, location_id, to_location_id, from_state, to_state, \
             quantity_units, total_price_units, total_price_currency, occurred_at, created_at, \
             source_product, source_application_id, source_name, reference_id, employee_id, \
             team_member_id, transaction_id, refund_id, purchase_order_id, goods_receipt_id)",
            "",
            CHANGE_COLUMNS,
            self.changes,
            false,
        )
        .await?;
        run_values(
            tx,
            "INSERT INTO inventory_entries (change_seq, merchant_id, catalog_object_id, \
             location_id, state, effect, quantity_units, occurred_at)",
            "",
            8,
            self.entries,
            false,
        )
        .await?;
        run_values(
            tx,
            "INSERT INTO inventory_count_updates (merchant_id, feed_seq, ordinal, \
             catalog_object_id, location_id, state, previous_units, quantity_units, \
             calculated_at, change_id, change_type)",
            "",
            11,
            self.updates,
            false,
        )
        .await?;
        run_values(
            tx,
            "INSERT INTO inventory_counts (merchant_id, catalog_object_id, location_id, state, \
             quantity_units, calculated_at, anchor_occurred_at, anchor_seq)",
            "ON CONFLICT (merchant_id, catalog_object_id, location_id, state) DO UPDATE SET \
             quantity_units = excluded.quantity_units, calculated_at = excluded.calculated_at, \
             anchor_occurred_at = excluded.anchor_occurred_at, anchor_seq = excluded.anchor_seq",
            8,
            self.counts,
            false,
        )
        .await?;
        let expected = self.keys.len() as u64;
        let (inserted, _) = run_values(
            tx,
            "INSERT INTO idempotency_keys (merchant_id, idempotency_key, request_digest, \
             response, created_at)",
            "ON CONFLICT (merchant_id, idempotency_key) DO NOTHING",
            5,
            self.keys,
            false,
        )
        .await?;
        if inserted != expected {
            // Another replica committed one of these keys since the group read them.
            return Err(StoreError::Contention);
        }
        Ok(())
    }
}

/// A planned batch's changes as recorded: the next feed sequences of its merchant (none
/// when it records nothing), an id (the one an import keeps, or a new one), created_at and
/// source (an import's, or the batch's).
fn recorded_changes(
    batch: &Submission,
    plan: &BatchPlan,
    mut feed_seq: Option<&mut i64>,
) -> Vec<RecordedChange> {
    let request = &batch.request;
    plan.recorded
        .iter()
        .map(|planned| {
            let feed_seq = feed_seq
                .as_deref_mut()
                .expect("feed sequences claimed for every recording merchant");
            *feed_seq += 1;
            let kept = request.kept.get(planned.index);
            RecordedChange {
                seq: planned.seq,
                feed_seq: *feed_seq - 1,
                id: kept.and_then(|k| k.id.clone()).unwrap_or_else(new_id),
                change: request.changes[planned.index].clone(),
                created_at: kept.and_then(|k| k.created_at).unwrap_or(request.now),
                source: kept
                    .and_then(|k| k.source.clone())
                    .unwrap_or_else(|| request.source.clone()),
            }
        })
        .collect()
}

/// The format byte of an LZ4-compressed stored response. Responses repeat the same ids and
/// names in every change, so they shrink several times, and they are most of the bytes a
/// batch writes. A bare protobuf message never starts with 0x01 (field number 0 does not
/// exist), so rows stored before compression still read back.
const LZ4_RESPONSE: u8 = 1;

fn pack_response(response: &[u8]) -> Vec<u8> {
    let mut packed = vec![LZ4_RESPONSE];
    packed.extend(lz4_flex::compress_prepend_size(response));
    packed
}

fn unpack_response(stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    match stored.split_first() {
        Some((&LZ4_RESPONSE, packed)) => lz4_flex::decompress_size_prepended(packed)
            .map_err(|e| StoreError::Corrupt(format!("stored response: {e}"))),
        _ => Ok(stored),
    }
}

fn count_row(merchant: &str, count: &PlannedCount) -> Vec<Value> {
    vec![
        merchant.into(),
        count.key.catalog_object_id.clone().into(),
        count.key.location_id.clone().into(),
        count.key.state.as_str().into(),
        count.state.quantity.units().into(),
        count.calculated_at.into(),
        count.state.anchor.map(|a| a.0).into(),
        count.state.anchor.map(|a| a.1).into(),
    ]
}

const CHANGE_COLUMNS: usize = 25;

fn change_row(merchant: &str, recorded: &RecordedChange) -> Vec<Value> {
    let change = &recorded.change;
    let (location_id, to_location_id, from_state, to_state) = match &change.movement {
        ChangeMovement::Adjustment {
            from_state,
            to_state,
            location_id,
        } => (
            location_id,
            None,
            Some(from_state.as_str()),
            to_state.as_str(),
        ),
        ChangeMovement::PhysicalCount { state, location_id } => {
            (location_id, None, None, state.as_str())
        }
        ChangeMovement::Transfer {
            state,
            from_location_id,
            to_location_id,
        } => (
            from_location_id,
            Some(to_location_id.clone()),
            Some(state.as_str()),
            state.as_str(),
        ),
    };
    let refs = &change.references;
    let source = &recorded.source;
    vec![
        recorded.seq.into(),
        recorded.feed_seq.into(),
        recorded.id.clone().into(),
        merchant.into(),
        change.movement.change_type().as_str().into(),
        change.catalog_object_id.clone().into(),
        location_id.clone().into(),
        to_location_id.into(),
        from_state.map(str::to_owned).into(),
        to_state.into(),
        change.quantity.units().into(),
        change.total_price.as_ref().map(|m| m.amount.units()).into(),
        change
            .total_price
            .as_ref()
            .map(|m| m.currency.clone())
            .into(),
        change.occurred_at.into(),
        recorded.created_at.into(),
        source.product.clone().into(),
        source.application_id.clone().into(),
        source.name.clone().into(),
        refs.reference_id.clone().into(),
        refs.employee_id.clone().into(),
        refs.team_member_id.clone().into(),
        refs.transaction_id.clone().into(),
        refs.refund_id.clone().into(),
        refs.purchase_order_id.clone().into(),
        refs.goods_receipt_id.clone().into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_responses_round_trip_packed_or_bare() {
        let response = b"\x0a\x05hello\x12\x03abc".repeat(50);
        let packed = pack_response(&response);
        assert!(
            packed.len() < response.len() / 4,
            "repetitive responses shrink"
        );
        assert_eq!(unpack_response(packed).unwrap(), response);
        assert_eq!(
            unpack_response(response.clone()).unwrap(),
            response,
            "rows stored bare"
        );
        assert!(unpack_response(vec![LZ4_RESPONSE, 9, 9]).is_err());
    }
}
