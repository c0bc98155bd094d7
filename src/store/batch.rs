//! Applying a group of BatchChangeInventory calls in one transaction: the store's half of
//! the write path (docs/architecture.md). The store fetches the facts a group needs, lets
//! the domain's [`Planner`] decide, and writes the plans — a constant number of set-based
//! statements per group, whatever its size.
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
use super::ledger::{
    BatchOutcome, BatchRequest, CountRecord, DELTA, FEED_CHANNEL, RecordedChange, SET, parse_state,
};
use super::{MerchantId, Store, StoreError, new_id};
use crate::domain::decimal::Fixed5;
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::ledger::{
    ChangeMovement, CountKey, CountState, Effect, ReferenceFacts, change_path, check_references,
    effects,
};
use crate::domain::location::LocationStatus;
use crate::domain::plan::{
    BatchInput, BatchPlan, CountFact, PlannedCount, Planner, StoredDelta, earliest_sets,
};

/// Most bind values in one statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_BIND_VALUES: usize = 30_000;

/// One BatchChangeInventory call waiting to be applied.
#[derive(Clone, Debug)]
pub struct PendingBatch {
    /// Whose batch it is.
    pub merchant: MerchantId,
    /// The validated request.
    pub request: BatchRequest,
}

/// Builds a batch's response once it is decided: the bytes kept for replays, and what the
/// caller gets back.
pub type Encoder<T> = dyn Fn(&[RecordedChange], &[CountRecord]) -> (Vec<u8>, T) + Send + Sync;

/// A count of the group, with its merchant: the global lock order.
type GroupKey = (String, CountKey);

impl Store {
    /// Applies the batches of `group` in one transaction, each atomically and on its own:
    /// a refused batch (unknown item, count out of range, reused key) does not fail the
    /// others. Returns one outcome per batch, in order. `Err` means the whole transaction
    /// failed; [`StoreError::is_transient`] tells whether trying again may succeed.
    pub async fn apply_group<T>(
        &self,
        group: &[PendingBatch],
        encode: &Encoder<T>,
    ) -> Result<Vec<Result<BatchOutcome<T>, StoreError>>, StoreError> {
        let tx = self.begin_write().await?;
        let backend = tx.get_database_backend();
        let mut outcomes: Vec<Option<Result<BatchOutcome<T>, StoreError>>> =
            group.iter().map(|_| None).collect();

        let stored_keys = stored_idempotency_keys(&tx, group).await?;
        for (batch, outcome) in group.iter().zip(&mut outcomes) {
            let id = (
                batch.merchant.0.clone(),
                batch.request.idempotency_key.clone(),
            );
            if let Some((digest, response)) = stored_keys.get(&id) {
                *outcome = Some(if *digest == batch.request.request_digest {
                    Ok(BatchOutcome::Replayed(response.clone()))
                } else {
                    Err(StoreError::IdempotencyKeyReused)
                });
            }
        }

        // An import's changes whose ids the merchant already has are skipped; `positions`
        // keeps where the remaining ones were, so refusals name them as sent.
        let without_present: Vec<PendingBatch>;
        let mut positions: Vec<Option<Vec<usize>>> = group.iter().map(|_| None).collect();
        let group: &[PendingBatch] = match stored_change_ids(&tx, group, &outcomes).await? {
            present if present.is_empty() => group,
            present => {
                without_present = group
                    .iter()
                    .zip(&mut outcomes)
                    .zip(&mut positions)
                    .map(|((batch, outcome), position)| {
                        let (batch, kept_at) = skip_present(batch, &present, outcome);
                        *position = kept_at;
                        batch
                    })
                    .collect();
                &without_present
            }
        };

        let facts = load_reference_facts(&tx, group, &outcomes).await?;
        for (batch, outcome) in group.iter().zip(&mut outcomes) {
            if outcome.is_some() {
                continue;
            }
            let merchant_facts = facts.get(&batch.merchant.0).cloned().unwrap_or_default();
            let violations = check_references(&batch.request.changes, &merchant_facts);
            if !violations.0.is_empty() {
                *outcome = Some(Err(StoreError::Rejected(violations)));
            }
        }

        let open: Vec<usize> = (0..group.len())
            .filter(|i| outcomes[*i].is_none())
            .collect();
        let mut keys: BTreeSet<GroupKey> = BTreeSet::new();
        let mut earliest: BTreeMap<GroupKey, i64> = BTreeMap::new();
        for &i in &open {
            let batch = &group[i];
            for change in &batch.request.changes {
                for (key, _) in effects(change) {
                    keys.insert((batch.merchant.0.clone(), key));
                }
            }
            for (key, at) in earliest_sets(&batch.request.changes) {
                let slot = earliest
                    .entry((batch.merchant.0.clone(), key))
                    .or_insert(at);
                *slot = (*slot).min(at);
            }
        }
        let locked = lock_counts(&tx, &keys).await?;
        let total_changes = open.iter().map(|&i| group[i].request.changes.len()).sum();
        let mut seqs = reserve_seqs(&tx, total_changes).await?.into_iter();
        let stored_deltas = stored_deltas_after(&tx, &earliest).await?;

        let mut planners: BTreeMap<String, Planner> = BTreeMap::new();
        {
            let mut facts_by_merchant: HashMap<String, Vec<CountFact>> = HashMap::new();
            for (merchant, fact) in locked.facts {
                facts_by_merchant.entry(merchant).or_default().push(fact);
            }
            let mut deltas_by_merchant: HashMap<String, Vec<StoredDelta>> = HashMap::new();
            for (merchant, delta) in stored_deltas {
                deltas_by_merchant.entry(merchant).or_default().push(delta);
            }
            for &i in &open {
                let merchant = &group[i].merchant.0;
                planners.entry(merchant.clone()).or_insert_with(|| {
                    Planner::new(
                        facts_by_merchant.remove(merchant).unwrap_or_default(),
                        deltas_by_merchant.remove(merchant).unwrap_or_default(),
                    )
                });
            }
        }
        let mut next_seq = || {
            seqs.next()
                .expect("a sequence was reserved for every change of the group")
        };
        let mut plans: Vec<Option<BatchPlan>> = group.iter().map(|_| None).collect();
        for &i in &open {
            let batch = &group[i];
            let created_at: Vec<i64> = batch
                .request
                .kept
                .iter()
                .map(|k| k.created_at.unwrap_or(batch.request.now))
                .collect();
            let input = BatchInput {
                changes: &batch.request.changes,
                ignore_unchanged_counts: batch.request.ignore_unchanged_counts,
                now: batch.request.now,
                created_at: &created_at,
            };
            let planner = planners
                .get_mut(&batch.merchant.0)
                .expect("a planner per merchant");
            match planner.plan_batch(input, &mut next_seq) {
                Ok(plan) => plans[i] = Some(plan),
                Err(refusal) => {
                    let index = refusal.change_index;
                    let field = change_path(index, &batch.request.changes[index], "quantity");
                    outcomes[i] = Some(Err(StoreError::CountOutOfRange { field }))
                }
            }
        }

        // Feed sequences, per merchant in lock order.
        let mut recorded_per_merchant: BTreeMap<&str, usize> = BTreeMap::new();
        for (batch, plan) in group.iter().zip(&plans) {
            if let Some(plan) = plan {
                *recorded_per_merchant.entry(&batch.merchant.0).or_default() += plan.recorded.len();
            }
        }
        let mut next_feed_seq: HashMap<&str, i64> = HashMap::new();
        for (merchant, n) in &recorded_per_merchant {
            if *n > 0 {
                next_feed_seq.insert(merchant, claim_feed_sequences(&tx, merchant, *n).await?);
            }
        }

        let mut rows = GroupRows::default();
        let mut built: Vec<Option<T>> = group.iter().map(|_| None).collect();
        for (i, (batch, plan)) in group.iter().zip(&plans).enumerate() {
            let Some(plan) = plan else { continue };
            let recorded: Vec<RecordedChange> = plan
                .recorded
                .iter()
                .map(|p| {
                    let feed_seq = next_feed_seq
                        .get_mut(batch.merchant.0.as_str())
                        .expect("feed sequences claimed for every recording merchant");
                    *feed_seq += 1;
                    let kept = batch.request.kept.get(p.index);
                    RecordedChange {
                        seq: p.seq,
                        feed_seq: *feed_seq - 1,
                        id: kept.and_then(|k| k.id.clone()).unwrap_or_else(new_id),
                        change: batch.request.changes[p.index].clone(),
                        created_at: kept.and_then(|k| k.created_at).unwrap_or(batch.request.now),
                        source: kept
                            .and_then(|k| k.source.clone())
                            .unwrap_or_else(|| batch.request.source.clone()),
                    }
                })
                .collect();
            let counts: Vec<CountRecord> = plan.counts.iter().map(count_record).collect();
            let (response, value) = encode(&recorded, &counts);
            rows.add_batch(batch, plan, &recorded, response);
            built[i] = Some(value);
        }
        let mut moved: BTreeSet<GroupKey> = BTreeSet::new();
        for (merchant, planner) in &planners {
            for count in planner.moved_counts() {
                rows.counts.push(count_row(merchant, &count));
                moved.insert((merchant.clone(), count.key));
            }
        }
        let orphans: Vec<&GroupKey> = locked.created.difference(&moved).collect();

        rows.write(&tx).await?;
        delete_counts(&tx, &orphans).await?;
        if backend == DatabaseBackend::Postgres {
            for merchant in next_feed_seq.keys() {
                tx.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT pg_notify($1, $2)",
                    [FEED_CHANNEL.into(), (*merchant).into()],
                ))
                .await?;
            }
        }
        tx.commit().await?;

        Ok(outcomes
            .into_iter()
            .zip(built)
            .zip(positions)
            .map(|((outcome, value), position)| {
                let outcome = match (outcome, value) {
                    (Some(outcome), _) => outcome,
                    (None, Some(value)) => Ok(BatchOutcome::Applied(value)),
                    (None, None) => unreachable!("every batch is decided"),
                };
                match position {
                    Some(position) => outcome.map_err(|e| renumber(e, &position)),
                    None => outcome,
                }
            })
            .collect())
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

/// The stored idempotency keys the group's batches use: (merchant, key) → (digest, response).
async fn stored_idempotency_keys(
    tx: &DatabaseTransaction,
    group: &[PendingBatch],
) -> Result<HashMap<(String, String), (String, Vec<u8>)>, StoreError> {
    let ids: BTreeSet<(&str, &str)> = group
        .iter()
        .map(|b| (b.merchant.0.as_str(), b.request.idempotency_key.as_str()))
        .collect();
    let rows = ids
        .into_iter()
        .map(|(m, k)| vec![m.into(), k.into()])
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
            let digest: String = row.try_get_by_index(2)?;
            let response: Option<Vec<u8>> = row.try_get_by_index(3)?;
            let response = response
                .ok_or_else(|| StoreError::Corrupt("idempotency key without a response".into()))?;
            Ok(((merchant, key), (digest, unpack_response(response)?)))
        })
        .collect()
}

/// The ids an import's open batches keep that are already recorded: id → its merchant.
async fn stored_change_ids<T>(
    tx: &DatabaseTransaction,
    group: &[PendingBatch],
    outcomes: &[Option<T>],
) -> Result<HashMap<String, String>, StoreError> {
    let ids: BTreeSet<&str> = group
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| o.is_none())
        .flat_map(|(b, _)| b.request.kept.iter().filter_map(|k| k.id.as_deref()))
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (_, found) = run_values(
        tx,
        "WITH wanted (id) AS (",
        ") SELECT c.id, c.merchant_id FROM wanted JOIN inventory_changes c ON c.id = wanted.id",
        1,
        ids.into_iter().map(|id| vec![id.into()]).collect(),
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// The batch without the changes whose kept ids its merchant already has, and the
/// positions in the batch as sent of the changes left (`None`: none skipped). An id another
/// merchant holds refuses the batch (`ALREADY_EXISTS` on the change's id).
fn skip_present<T>(
    batch: &PendingBatch,
    present: &HashMap<String, String>,
    outcome: &mut Option<Result<BatchOutcome<T>, StoreError>>,
) -> (PendingBatch, Option<Vec<usize>>) {
    let mut kept_batch = batch.clone();
    if outcome.is_some() || batch.request.kept.is_empty() {
        return (kept_batch, None);
    }
    let mut violations = Violations::default();
    let (mut changes, mut kept, mut positions) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (change, k)) in batch
        .request
        .changes
        .iter()
        .zip(&batch.request.kept)
        .enumerate()
    {
        match k.id.as_ref().and_then(|id| present.get(id)) {
            None => {
                changes.push(change.clone());
                kept.push(k.clone());
                positions.push(i);
            }
            Some(merchant) if *merchant == batch.merchant.0 => {}
            Some(_) => violations.push(Violation::new(
                change_path(i, change, "id"),
                reasons::ALREADY_EXISTS,
                "another merchant has a change with this id",
            )),
        }
    }
    if !violations.0.is_empty() {
        // Refused here, with the positions as sent: nothing to renumber.
        *outcome = Some(Err(StoreError::Rejected(violations)));
        return (kept_batch, None);
    }
    let skipped = changes.len() < batch.request.changes.len();
    kept_batch.request.changes = changes;
    kept_batch.request.kept = kept;
    (kept_batch, skipped.then_some(positions))
}

/// A refusal of a batch that had changes skipped, its field paths (`changes[j].…`) renumbered
/// to the positions of the batch as sent.
fn renumber(error: StoreError, positions: &[usize]) -> StoreError {
    let field = |path: String| -> String {
        let sent = path
            .strip_prefix("changes[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(j, rest)| Some((*positions.get(j.parse::<usize>().ok()?)?, rest)));
        match sent {
            Some((i, rest)) => format!("changes[{i}]{rest}"),
            None => path,
        }
    };
    match error {
        StoreError::Rejected(violations) => StoreError::Rejected(Violations(
            violations
                .0
                .into_iter()
                .map(|mut v| {
                    v.field = field(v.field);
                    v
                })
                .collect(),
        )),
        StoreError::CountOutOfRange { field: path } => {
            StoreError::CountOutOfRange { field: field(path) }
        }
        other => other,
    }
}

/// Which items and locations the open batches name exist for their merchants, tracked and
/// active: merchant → facts.
async fn load_reference_facts<T>(
    tx: &DatabaseTransaction,
    group: &[PendingBatch],
    outcomes: &[Option<T>],
) -> Result<HashMap<String, ReferenceFacts>, StoreError> {
    let mut item_ids = BTreeSet::new();
    let mut location_ids = BTreeSet::new();
    for (batch, _) in group.iter().zip(outcomes).filter(|(_, o)| o.is_none()) {
        for change in &batch.request.changes {
            item_ids.insert(change.catalog_object_id.clone());
            for (_, l) in change.movement.locations() {
                location_ids.insert(l.to_owned());
            }
        }
    }
    let mut facts: HashMap<String, ReferenceFacts> = HashMap::new();
    if item_ids.is_empty() {
        return Ok(facts);
    }
    let items: Vec<(String, String, bool)> = inventory_item::Entity::find()
        .select_only()
        .column(inventory_item::Column::MerchantId)
        .column(inventory_item::Column::Id)
        .column(inventory_item::Column::Tracked)
        .filter(inventory_item::Column::Id.is_in(item_ids))
        .into_tuple()
        .all(tx)
        .await?;
    let locations: Vec<(String, String, String)> = location::Entity::find()
        .select_only()
        .column(location::Column::MerchantId)
        .column(location::Column::Id)
        .column(location::Column::Status)
        .filter(location::Column::Id.is_in(location_ids))
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

/// Hands out `n` consecutive feed sequences for the merchant and returns the first. The row
/// stays locked until commit, so sequences are gap-free and ordered as commits are, however
/// many replicas write.
async fn claim_feed_sequences(
    tx: &DatabaseTransaction,
    merchant: &str,
    n: usize,
) -> Result<i64, StoreError> {
    let backend = tx.get_database_backend();
    let sql = format!(
        "INSERT INTO merchant_feeds (merchant_id, last_seq) VALUES {} \
         ON CONFLICT (merchant_id) DO UPDATE SET last_seq = merchant_feeds.last_seq + excluded.last_seq \
         RETURNING last_seq",
        tuples(backend, 1, 2)
    );
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [merchant.into(), (n as i64).into()],
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("feed head not returned".into()))?;
    let last: i64 = row.try_get_by_index(0)?;
    Ok(last - n as i64 + 1)
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
    fn add_batch(
        &mut self,
        batch: &PendingBatch,
        plan: &BatchPlan,
        recorded: &[RecordedChange],
        response: Vec<u8>,
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
            pack_response(&response).into(),
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
